"""Distributions pip or uv installed into a pepip venv's site-packages, beside the store's.

pepip keeps them: they take part in resolution like the venv's own pins (preferred at their
version), stay as they are when the resolution agrees, and are uninstalled with uv only when
it moves them. An editable install is always left to the tool that made it.

``pepip list`` reads site-packages through this module before anything heavy loads
(``pepip.commands.listing``), so it uses ``os`` and plain classes, not ``pathlib`` and
dataclasses (with ``typing``, they would double the listing's time), and ``json`` only for a
``direct_url.json`` that is there.
"""

from __future__ import annotations

import os

from pepip.names import name_version, normalized_name
from pepip_runtime.lookup import owned

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import AbstractSet, Sequence

    from pepip.manifest import DistRecord

__all__ = ["Foreign", "scan_foreign", "scan_site", "is_pepips"]


class Foreign:
    """One distribution in site-packages that the manifest does not name (a frozen value)."""

    __slots__ = ("name", "version", "dist_info", "url", "editable")

    def __init__(self, name: str, version: str, dist_info: str, url: str | None = None, editable: bool = False) -> None:
        self.name = name
        self.version = version
        self.dist_info = dist_info
        self.url = url  # from direct_url.json
        self.editable = editable

    def _fields(self) -> tuple[str, str, str, str | None, bool]:
        return self.name, self.version, self.dist_info, self.url, self.editable

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Foreign) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return "Foreign(%r, %r, %r, url=%r, editable=%r)" % self._fields()

    @property
    def requirement(self) -> str:
        """How resolution asks for it again: ``-e URL``, ``name @ URL`` or the bare name."""
        if self.editable and self.url:
            return "-e " + self.url
        if self.url:
            return "%s @ %s" % (self.name, self.url)
        return self.name


def is_pepips(site: str | os.PathLike[str], dist_info: str) -> bool:
    """True when ``dist_info`` in ``site`` is the copy pepip made (as the runtime checks)."""
    return owned(os.fspath(site), dist_info)


def scan_site(site: str | os.PathLike[str], dists: Sequence[DistRecord]) -> tuple[list[DistRecord], list[Foreign]]:
    """The manifest's distributions that are still the venv's, and what pip or uv installed.

    A distribution is the venv's while its dist-info is there and pepip's: after `pip
    uninstall` it is gone, after `pip install --force-reinstall`, `pip install -e .` or `uv
    pip install --reinstall` it is pip's or uv's (a foreign one). The runtime decides the
    same way, so it imports what this lists, and no later command brings it back unasked.
    """
    kept = [record for record in dists if is_pepips(site, record.dist_info)]
    return kept, scan_foreign(site, {record.dist_info for record in kept})


def scan_foreign(site: str | os.PathLike[str], wired: AbstractSet[str]) -> list[Foreign]:
    """Every ``*.dist-info`` of ``site`` whose name is not in ``wired``, sorted by name."""
    found = []
    names = sorted(os.listdir(site)) if os.path.isdir(site) else []
    for name in names:
        if not os.path.normcase(name).endswith(".dist-info") or name in wired:
            continue
        dist_info = os.path.join(site, name)
        dist_name, version = _name_version(dist_info, name)
        url, editable = _direct_url(dist_info)
        found.append(Foreign(dist_name, version, name, url, editable))
    return sorted(found, key=lambda foreign: foreign.name)


def _name_version(dist_info: str, name: str) -> tuple[str, str]:
    try:
        return name_version(dist_info)
    except (OSError, KeyError, ValueError, UnicodeDecodeError):
        dist_name, _, version = name[: -len(".dist-info")].partition("-")
        return normalized_name(dist_name), version


def _direct_url(dist_info: str) -> tuple[str | None, bool]:
    try:
        with open(os.path.join(dist_info, "direct_url.json"), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, ValueError):
        return None, False
    import json  # only for a direct reference or an editable: `json` loads `re`

    try:
        direct = json.loads(text)
    except ValueError:
        return None, False
    if not isinstance(direct, dict) or not isinstance(direct.get("url"), str):
        return None, False
    return direct["url"], bool(direct.get("dir_info", {}).get("editable"))
