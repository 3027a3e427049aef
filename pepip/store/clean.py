"""``pepip store clean``: remove the whole store, as ``uv cache clean`` removes uv's cache.

``rm -rf ~/.pepip`` fails for the store's own (non-root) owner: entries are read-only
directories. Clean makes each directory of the user's writable before emptying it.

A store may be a team's, and it is a tree other users write (docs/security.md): clean walks
it one held directory at a time (``pepip.dirhandle``), removes a link itself and never what
it leads to, and leaves in place what another user owns (root may remove anything, as with
``store prune``). Base stores (``PEPIP_BASE_STORES``) are never touched.

Venvs wired to the store break when it goes (their imports name store entries): the command
names them first (``store_users``) and goes on only when told to.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from pepip.dirhandle import DirHandle, NotInStore
from pepip.errors import PepipError
from pepip.store.layout import Store
from pepip.store.registry import records_elsewhere, scan_registry
from pepip.store.trash import may_remove
from pepip.users import user_name

__all__ = ["CleanResult", "StoreUsers", "clean_store", "store_users"]


@dataclass(frozen=True)
class StoreUsers:
    """The venvs a clean would break: this machine's, and how many other machines have."""

    venvs: tuple[Path, ...]
    elsewhere: int = 0

    def __bool__(self) -> bool:
        return bool(self.venvs) or self.elsewhere > 0


@dataclass
class CleanResult:
    """What a clean removed, and the top-most paths it left because another user owns them."""

    files: int = 0
    freed: int = 0
    kept: list[Path] = field(default_factory=list)
    _seen: set[tuple[int, int]] = field(default_factory=set, repr=False)

    def count(self, info: os.stat_result) -> None:
        """One path removed: files counted, their bytes once per inode (hardlinks)."""
        if not stat.S_ISDIR(info.st_mode):
            self.files += 1
        if stat.S_ISREG(info.st_mode) and (info.st_dev, info.st_ino) not in self._seen:
            self._seen.add((info.st_dev, info.st_ino))
            self.freed += info.st_size

    def owners(self) -> list[str]:
        """The names of the users whose paths were kept."""
        owners = set()
        for path in self.kept:
            try:
                owners.add(user_name(os.lstat(path).st_uid))
            except OSError:
                owners.add("an unknown user")
        return sorted(owners)


def store_users(store: Store) -> StoreUsers:
    """Every venv a registry record names that still uses the store: this machine's live
    (or damaged) venvs by path, other machines' renewed records by count."""
    if not store.venvs_dir.is_dir():
        return StoreUsers(())
    registry = scan_registry(store)
    venvs = sorted(set(registry.live) | set(registry.damaged))
    return StoreUsers(tuple(venvs), len(records_elsewhere(store)))


def clean_store(store: Store) -> CleanResult:
    """Remove everything under the store root that this user may remove, then the root.

    Holds the store lock exclusively while it works, so no install of this machine is
    halfway through a lookup; the lock file goes last.
    """
    result = CleanResult()
    if not os.path.lexists(store.root):
        return result
    try:
        with DirHandle.open(store.root, below=store.root) as root:
            if store.layout_root.is_dir() and not os.path.islink(store.layout_root):
                with store.locked(exclusive=True):
                    for name in root.names():
                        _clean(root, name, result, keep=(store.lock_file.name,) if name == store.layout_root.name else ())
            for name in root.names():  # the lock file, and what was made meanwhile
                _clean(root, name, result)
    except OSError as error:
        if error.errno == errno.EROFS:
            raise PepipError(
                "the store %s is on a read-only filesystem, so clean cannot remove it; run it "
                "where the store is mounted read-write" % store.root
            ) from None
        raise
    try:
        os.rmdir(store.root)  # the directory the user named: by its path
    except OSError:
        pass  # not empty (kept paths), or its parent is not ours to change
    return result


def _clean(
    parent: DirHandle, name: str, result: CleanResult, keep: tuple[str, ...] = (), counted: bool = False
) -> bool:
    """Remove ``name`` from ``parent`` and all it holds that this user may remove, except
    the names ``keep`` directly in it; whether ``name`` is gone.

    Another user's directory that the team may write (``entries/``, ``<name>/``) is gone
    through for this user's own entries in it, and stays; ``counted``: a path above is
    already in ``result.kept``.
    """
    path = parent.path / name
    try:
        info = parent.stat(name)
    except FileNotFoundError:
        return True
    ours = may_remove(info.st_uid)
    if not ours:
        if not counted:
            result.kept.append(path)
        if not stat.S_ISDIR(info.st_mode) or not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            return False  # a teammate's file, link or read-only entry: nothing of ours inside
    if stat.S_ISDIR(info.st_mode):
        try:
            directory: DirHandle | None = parent.child(name)
        except NotInStore:  # swapped for a link since the look: the link goes, not its target
            directory = None
        except FileNotFoundError:
            return True
        if directory is not None:
            with directory:
                mode = stat.S_IMODE(directory.stat().st_mode)
                if ours and mode & stat.S_IRWXU != stat.S_IRWXU:  # a read-only entry: ours to open up
                    directory.chmod(mode | stat.S_IRWXU)
                gone = [
                    _clean(directory, inner, result, counted=counted or not ours)
                    for inner in directory.names() if inner not in keep
                ]
            if keep or not ours or not all(gone):
                return False
            return _removed(parent, name, path, result, info, parent.rmdir)
        if not ours:
            return False
    return _removed(parent, name, path, result, info, parent.unlink)


def _removed(
    parent: DirHandle, name: str, path: Path, result: CleanResult, info: os.stat_result,
    remove: Callable[[str], None],
) -> bool:
    """Remove one file, link or empty directory by its name in ``parent``; a refusal (a
    teammate's directory we may not write) keeps it."""
    try:
        try:
            remove(name)
        except PermissionError:
            if parent.fd is not None or stat.S_ISDIR(info.st_mode):
                raise
            os.chmod(path, stat.S_IWRITE | stat.S_IREAD)  # Windows refuses a read-only file
            remove(name)
    except FileNotFoundError:
        return True
    except PermissionError:
        result.kept.append(path)
        return False
    result.count(info)
    return True
