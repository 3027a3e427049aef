"""Distributions pip or uv installed into a pepip venv's site-packages, beside the store's.

pepip keeps them: they take part in resolution like the venv's own pins (preferred at their
version), stay as they are when the resolution agrees, and are uninstalled with uv only when
it moves them. An editable install is always left to the tool that made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet

from pepip.artifacts import normalized

from pepip.store.entries import name_version

__all__ = ["Foreign", "scan_foreign"]


@dataclass(frozen=True)
class Foreign:
    """One distribution in site-packages that the manifest does not name."""

    name: str
    version: str
    dist_info: str
    url: str | None = None  # from direct_url.json
    editable: bool = False

    @property
    def requirement(self) -> str:
        """How resolution asks for it again: ``-e URL``, ``name @ URL`` or the bare name."""
        if self.editable and self.url:
            return "-e " + self.url
        if self.url:
            return "%s @ %s" % (self.name, self.url)
        return self.name


def scan_foreign(site: Path, wired: AbstractSet[str]) -> list[Foreign]:
    """Every ``*.dist-info`` of ``site`` whose name is not in ``wired``, sorted by name."""
    found = []
    for dist_info in sorted(site.glob("*.dist-info")) if site.is_dir() else []:
        if dist_info.name in wired:
            continue
        name, version = _name_version(dist_info)
        url, editable = _direct_url(dist_info)
        found.append(Foreign(name, version, dist_info.name, url, editable))
    return sorted(found, key=lambda foreign: foreign.name)


def _name_version(dist_info: Path) -> tuple[str, str]:
    try:
        return name_version(dist_info)
    except (OSError, KeyError, ValueError, UnicodeDecodeError):
        name, _, version = dist_info.name[: -len(".dist-info")].partition("-")
        return normalized(name), version


def _direct_url(dist_info: Path) -> tuple[str | None, bool]:
    try:
        direct = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, False
    if not isinstance(direct, dict) or not isinstance(direct.get("url"), str):
        return None, False
    return direct["url"], bool(direct.get("dir_info", {}).get("editable"))
