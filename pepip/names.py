"""A distribution's name and version as PEP 503 and PEP 440 spell them, read from its METADATA.

``pepip list`` reads these for what pip or uv installed beside the store's distributions, and
answers before anything heavy loads (``pepip.commands.listing``): so this module imports
nothing beyond ``os``, not even ``re`` (which costs about as much as the listing itself),
and ``packaging.version`` only for a version that is not already in its normal form.
"""

from __future__ import annotations

import os

__all__ = ["normalized_name", "name_version"]

_SEPARATORS = ("_", ".")


def normalized_name(name: str) -> str:
    """A distribution name as PEP 503 compares it (``Foo.Bar_baz`` -> ``foo-bar-baz``): each
    run of ``-``, ``_`` and ``.`` becomes one ``-`` (``re.sub(r"[-_.]+", "-", name)``)."""
    for separator in _SEPARATORS:
        name = name.replace(separator, "-")
    while "--" in name:
        name = name.replace("--", "-")
    return name.lower()


def name_version(dist_info: str | os.PathLike[str]) -> tuple[str, str]:
    """The normalized name and version a dist-info's METADATA gives.

    Read from the header lines directly: ``email.parser`` costs more to import than a warm
    install takes to link a distribution. ``KeyError`` if either is missing, ``ValueError``
    for a version PEP 440 cannot read.
    """
    fields: dict[str, str] = {}
    with open(os.path.join(dist_info, "METADATA"), encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                break  # the body (the long description) starts after the first blank line
            key, colon, value = line.partition(":")
            if colon and key in ("Name", "Version") and key not in fields:
                fields[key] = value.strip()
    return normalized_name(fields["Name"]), _normal_version(fields["Version"])


def _normal_version(text: str) -> str:
    """``str(packaging.version.Version(text))``; a plain release (``1.10.0``: ASCII digits,
    no leading zeros) is its own normal form, and needs no ``packaging`` (nor its ``re``)."""
    if all(part.isascii() and part.isdigit() and (part == "0" or part[0] != "0") for part in text.split(".")):
        return text
    from packaging.version import Version

    return str(Version(text))
