"""The requirements a user types (``numpy<2``, ``name @ url``): checked before any uv call, so
a typo is one error line naming it, not uv's output about a temporary file.

A bare name, the common case, is checked without packaging's PEP 508 parser.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final

from pepip.artifacts import NormalizedName, normalized
from pepip.errors import PepipError

if TYPE_CHECKING:
    from packaging.requirements import Requirement

__all__ = ["is_bare_name", "check_request", "request_name", "parse_request"]

# A requirement that is just a name (`numpy`): valid as it is, read without packaging's
# PEP 508 parser, whose import costs a remembered install a fifth of its time.
_BARE_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z")


def is_bare_name(text: str) -> bool:
    """Whether the requirement ``text`` is a project name alone."""
    return _BARE_NAME.match(text) is not None


def check_request(text: str) -> None:
    """``parse_request``'s check, without its parser for a bare name."""
    if not is_bare_name(text):
        parse_request(text)


def request_name(text: str) -> NormalizedName:
    """The normalized project name of a valid requirement."""
    return normalized(text if is_bare_name(text) else parse_request(text).name)


def parse_request(text: str) -> Requirement:
    """Validate one requirement the user typed, before any uv call."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason, *quote = str(error).splitlines()  # the message, then the text with a caret
        column = quote[-1].find("^") - 4 if len(quote) == 2 else -1
        if 0 < column < len(text):
            reason += " at `%s`" % text[column:]
        raise PepipError("invalid requirement `%s`: %s" % (text, reason)) from None
    for specifier in requirement.specifier:
        if specifier.operator != "===":
            continue
        try:
            Version(specifier.version)
        except InvalidVersion:  # `===` takes any string; uv takes versions only
            raise PepipError(
                "invalid requirement `%s`: `%s` is not a version" % (text, specifier.version)
            ) from None
    return requirement
