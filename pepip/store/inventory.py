"""``pepip store ls`` and ``pepip store status``: what the store holds and what it saves."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pepip.errors import PepipError
from pepip.store.registry import scan_registry
from pepip.store.entries import read_entry
from pepip.store.layout import Store, iter_entries

__all__ = ["EntryRow", "StoreStatus", "list_entries", "store_status", "tree_bytes"]


@dataclass(frozen=True)
class EntryRow:
    """One stored build."""

    name: str
    version: str
    tags: str
    size: int
    users: int
    path: Path


@dataclass(frozen=True)
class StoreStatus:
    """Totals over the whole store."""

    entries: int
    bytes_on_disk: int
    venvs_registered: int
    venvs_live: int
    plain_install_bytes: int

    @property
    def saving(self) -> int:
        """Bytes the live venvs would take beyond the store with a copy each."""
        return max(self.plain_install_bytes - self.bytes_on_disk, 0)


def tree_bytes(root: Path, seen: set[tuple[int, int]] | None = None) -> int:
    """Bytes of the files below ``root``, each inode once (hardlinks count once)."""
    seen = set() if seen is None else seen
    total = 0
    for directory, _subdirs, files in os.walk(root):
        for name in files:
            info = os.lstat(os.path.join(directory, name))
            key = (info.st_dev, info.st_ino)
            if key not in seen:
                seen.add(key)
                total += info.st_size
    return total


def list_entries(store: Store) -> list[EntryRow]:
    """One row per stored build (base stores' too), with the number of live venvs using it."""
    users = scan_registry(store).users()
    rows = []
    for path in (path for layer in store.layers() for path in iter_entries(layer)):
        try:
            tags = path.name.rpartition("-")[0]
            entry = read_entry(path)
            name, version = str(entry.name), entry.version
        except PepipError:  # not an entry pepip published: listed so that verify is run
            name, version, tags = path.parent.parent.name, path.parent.name, "(damaged: run `pepip store verify`)"
        rows.append(EntryRow(name, version, tags, tree_bytes(path), users[path], path))
    return rows


def store_status(store: Store) -> StoreStatus:
    """Entries, true bytes, registered and live venvs, and the bytes copies would take."""
    registry = scan_registry(store)
    sizes = {path: tree_bytes(path) for path in iter_entries(store)}
    seen: set[tuple[int, int]] = set()
    on_disk = sum(tree_bytes(path, seen) for path in sizes)
    plain = sum(size * registry.users()[path] for path, size in sizes.items())
    registered = len(registry.live) + len(registry.gone) + len(registry.damaged)
    return StoreStatus(len(sizes), on_disk, registered, len(registry.live), plain)
