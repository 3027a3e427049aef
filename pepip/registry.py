"""The registry: which venvs use a store, as found on disk now.

Every command that changes a venv registers it: one small file in ``venvs/`` holding the
venv's canonical path, named after a digest of it. A registered venv counts only while its
manifest is there: a venv deleted with ``rm -rf`` stops counting; one moved by hand counts
again once a pepip command runs in it.

In a team store anyone in the group may add files to ``venvs/``, so a record is trusted
only as far as it can do no harm: any record keeps the entries its venv names from
``store prune`` (a teammate's fake record can only waste space), but a venv counts as
registered for its user only through a record that user owns. A record file another user
wrote first under the name a venv's record would have (squatting it) is passed over: the
user's record then goes to a name of their own with a random part nobody can take first.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pepip import fsops
from pepip.errors import PepipError
from pepip.manifest import Manifest, manifest_path, read_manifest
from pepip.store import Store

__all__ = ["Registry", "scan_registry", "register_venv", "registered_venvs", "forget_venv", "is_registered"]


def _key(venv: Path) -> str:
    return hashlib.sha256(str(venv).encode("utf-8")).hexdigest()[:16]


def _records(store: Store) -> list[tuple[Path, Path, int]]:
    """``(record file, venv path, owner uid)`` of every readable regular record file."""
    found = []
    try:
        names = sorted(os.listdir(store.venvs_dir))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in names:
        path = store.venvs_dir / name
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or name.startswith("."):
                continue  # a stray directory, a link, a temp file being written
            text = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text and "\n" not in text and os.path.isabs(text):
            found.append((path, Path(text), info.st_uid))
    return found


def _mine(uid: int) -> bool:
    return not hasattr(os, "geteuid") or uid == os.geteuid()


def is_registered(store: Store, venv: Path) -> bool:
    """Whether ``venv`` has a record of the running user's."""
    return any(named == venv and _mine(uid) for _path, named, uid in _records(store))


def register_venv(store: Store, venv: Path) -> None:
    """Record that ``venv`` uses the store, under the running user's own record file."""
    canonical = store.venvs_dir / _key(venv)
    try:
        info = os.lstat(canonical)
    except FileNotFoundError:
        info = None
    if info is not None and _mine(info.st_uid) and stat.S_ISREG(info.st_mode):
        if canonical.read_text(encoding="utf-8", errors="replace").strip() == str(venv):
            return
    elif info is None:
        fsops.atomic_write_text(canonical, str(venv) + "\n", fsops.file_mode(others_write=False))
        return
    # The name is another user's (or holds something else): a record of our own beside it.
    if is_registered(store, venv):
        return
    own = store.venvs_dir / ("%s-%s" % (_key(venv), secrets.token_hex(8)))
    fsops.atomic_write_text(own, str(venv) + "\n", fsops.file_mode(others_write=False))


def registered_venvs(store: Store) -> list[Path]:
    """Every venv any record names (a deleted or moved one included: check before use)."""
    return sorted({named for _path, named, _uid in _records(store)})


def forget_venv(store: Store, venv: Path) -> bool:
    """Drop the records naming a venv that no longer exists; False if one is another user's
    (the sticky bit keeps it: their own prune forgets it)."""
    forgotten = True
    for path, named, _uid in _records(store):
        if named != venv:
            continue
        try:
            fsops.unlink_if_present(path)
        except PermissionError:
            forgotten = False
    return forgotten


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
    for venv in registered_venvs(store):
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
