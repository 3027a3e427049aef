"""Taking entries out of the store: one rename into a private trash in ``tmp/``, then deleted.

``store prune`` and ``store verify --fix`` take an entry out of ``entries/`` in one rename, so
no lookup ever finds half an entry. Both run in a tree teammates may write, and root runs
them: every step goes through directories held open below the store root
(``pepip.dirhandle``), and the owner is read from the directory held, never from a path a
teammate can point elsewhere between the look and the rename.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from pepip.dirhandle import DirHandle, NotInStore
from pepip.store.layout import Store
from pepip.users import is_running_user, running_as_root

__all__ = ["Trash", "may_remove"]


def may_remove(uid: int) -> bool:
    """Whether this process may take out what ``uid`` owns: its owner, or root (or anyone
    where there are no owners: Windows)."""
    return is_running_user(uid) or running_as_root()


class Trash:
    """A private directory in the store's ``tmp/`` that entries are renamed into."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.path = store.staging_dir()
        self._handle = DirHandle.open(self.path, below=store.root)
        self._count = 0

    def __enter__(self) -> Trash:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()

    def take(self, entry: Path) -> tuple[str, int] | None:
        """Rename ``entry`` into the trash: its name there and its mode, or None if it is
        gone or no directory any more (a link swapped in: never followed).

        ``PermissionError`` if the OS refuses, or the entry is another user's.
        """
        try:
            with DirHandle.open(entry.parent, below=self.store.root) as parent:
                with parent.child(entry.name) as directory:
                    info = directory.stat()
                    if not may_remove(info.st_uid):
                        raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(entry))
                    mode = stat.S_IMODE(info.st_mode)
                    directory.chmod(mode | stat.S_IRWXU)  # moving a directory rewrites its `..`
                name = str(self._count)
                self._count += 1
                try:
                    parent.rename(entry.name, self._handle, name)
                except OSError:
                    _set_mode(parent, entry.name, mode)
                    raise
        except (FileNotFoundError, NotInStore):
            return None
        return name, mode

    def put_back(self, name: str, entry: Path, mode: int) -> bool:
        """Rename what ``take`` moved back to ``entry``, with its mode; False if the name is
        taken (a new publish of the same build) or its directory gone."""
        try:
            with DirHandle.open(entry.parent, below=self.store.root) as parent:
                self._handle.rename(name, parent, entry.name)
                _set_mode(parent, entry.name, mode)
        except (OSError, NotInStore):
            return False
        return True

    def empty(self) -> None:
        """Delete everything in the trash (through the directory held), then the trash."""
        for name in self._handle.names():
            self._handle.remove(name)
        with DirHandle.open(self.path.parent, below=self.store.root) as tmp:
            tmp.rmdir(self.path.name)


def _set_mode(parent: DirHandle, name: str, mode: int) -> None:
    try:
        with parent.child(name) as directory:
            if stat.S_IMODE(directory.stat().st_mode) != mode:
                directory.chmod(mode)
    except (OSError, NotInStore):
        pass
