"""The venvs that use a store, as found on disk now: a registered venv counts only while its
manifest is there. A venv deleted with ``rm -rf`` stops counting; one moved by hand counts
again once a pepip command runs in it (every command registers its venv)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pepip.errors import PepipError
from pepip.manifest import Manifest, manifest_path, read_manifest
from pepip.store import Store

__all__ = ["Registry", "scan_registry"]


@dataclass
class Registry:
    """Registered venvs sorted by state, and how many live venvs use each entry."""

    live: dict[Path, Manifest] = field(default_factory=dict)
    gone: list[Path] = field(default_factory=list)
    damaged: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)  # the damaged ones we may not read

    def users(self) -> Counter[Path]:
        """Store entry directory -> number of live venvs whose manifest names it."""
        counts: Counter[Path] = Counter()
        for manifest in self.live.values():
            counts.update({Path(record.site_dir).parent for record in manifest.dists})
        return counts


def scan_registry(store: Store) -> Registry:
    """Read every registered venv's manifest."""
    registry = Registry()
    for venv in store.registered_venvs():
        try:
            manifest = read_manifest(venv)
        except PepipError:
            registry.damaged.append(venv)
            if not os.access(manifest_path(venv), os.R_OK):
                registry.unreadable.append(venv)  # a teammate's venv, closed to us
            continue
        if manifest is None:
            registry.gone.append(venv)
        else:
            registry.live[venv] = manifest
    return registry
