"""Changing a tree other users may write: one held directory at a time, never through a link.

In a team store any member creates names in ``entries/``, ``tmp/`` and ``venvs/``, and the
owner of a directory may swap what it holds for a symlink at any moment. A call given a
path of several components (``os.rename``, ``os.chmod``, ``os.lstat``, ``os.rmdir``)
resolves every component again when it runs: a link put in place of ``<version>/`` between
pepip's look and its rename led root's ``store prune`` to move a directory outside the store
into its trash and delete it. So in such trees pepip opens one level at a time relative to
the directory above, with ``O_NOFOLLOW`` (``openat``), reads type and owner from the
descriptor it holds, and renames, changes modes and deletes by one name relative to a held
directory: what a name stands for can change, but no call ever goes through a link.

Where the OS has no such calls (Windows: no ``O_NOFOLLOW``, no ``dir_fd``) the same methods
work on paths; there nobody without administrator rights can plant a symlink.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import sys
from pathlib import Path
from types import TracebackType
from typing import Callable, Final

from pepip.errors import PepipError
from pepip.users import is_running_user, user_name

__all__ = ["DirHandle", "NotInStore", "FD_CALLS", "stat_below"]

FD_CALLS: Final = (
    hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
    and {os.open, os.stat, os.mkdir, os.rename, os.rmdir, os.unlink} <= os.supports_dir_fd
    and os.listdir in os.supports_fd
    and os.chmod in os.supports_fd
)
_FLAGS: Final = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class NotInStore(PepipError):
    """A path pepip was to use inside the store is a symlink (or a file): a teammate could
    point it at anything, so pepip refuses to follow it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        whose = _owner_of(path)
        super().__init__(
            "%s is a link or a file where pepip keeps a directory, and pepip never follows a "
            "link out of the store; %s" % (
                path, "remove it" if whose is None else "ask %s or the store's admin to remove it" % whose
            )
        )


def _owner_of(path: Path) -> str | None:
    """The name of ``path``'s owner; None if it is the running user (or unknown)."""
    try:
        uid = os.lstat(path).st_uid
    except OSError:
        return "its owner"
    return None if is_running_user(uid) else user_name(uid)


class DirHandle:
    """A directory held open: what it holds is reached by one name, never through a link.

    ``fd`` is None where the OS has no ``dir_fd`` calls; every method then uses paths.
    """

    def __init__(self, path: Path, fd: int | None) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def open(cls, path: Path, below: Path | None = None) -> DirHandle:
        """``path``, opened one level at a time below ``below`` (``path``'s parent if None).

        ``below`` is opened by its path: a directory the caller trusts, such as the store
        root the user named. ``NotInStore`` if a level beneath it is a link or a file,
        ``FileNotFoundError`` if one is missing.
        """
        below = path.parent if below is None else below
        parts = path.relative_to(below).parts if path != below else ()
        if not FD_CALLS:
            for depth in range(len(parts) + 1):
                _check_dir(below.joinpath(*parts[:depth]), follow=depth == 0)
            return cls(path, None)
        handle = cls(below, os.open(below, _FLAGS & ~getattr(os, "O_NOFOLLOW", 0)))
        try:
            for part in parts:
                child = handle.child(part)
                handle.close()
                handle = child
        except BaseException:
            handle.close()
            raise
        return handle

    def close(self) -> None:
        """Let the directory go (a second close does nothing)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> DirHandle:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def child(self, name: str) -> DirHandle:
        """The directory ``name`` holds, opened without following a link: ``NotInStore`` if
        it is a link or a file."""
        path = self.path / name
        if self.fd is None:
            _check_dir(path, follow=False)
            return DirHandle(path, None)
        try:
            return DirHandle(path, os.open(name, _FLAGS, dir_fd=self.fd))
        except OSError as error:
            if error.errno in (errno.ELOOP, errno.ENOTDIR):
                raise NotInStore(path) from None
            raise

    def stat(self, name: str | None = None) -> os.stat_result:
        """``lstat`` of ``name`` in this directory, or (None) of the held directory itself."""
        if name is None:
            return os.fstat(self.fd) if self.fd is not None else os.lstat(self.path)
        if self.fd is None:
            return os.lstat(self.path / name)
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def names(self) -> list[str]:
        """What the directory holds, sorted."""
        return sorted(os.listdir(self.fd if self.fd is not None else self.path))

    def chmod(self, mode: int) -> None:
        """Change the held directory's mode (``fchmod``: the directory opened, not a link)."""
        if self.fd is None:
            os.chmod(self.path, mode)
        else:
            os.fchmod(self.fd, mode)

    def make_dir(self, name: str, mode: int = 0o777) -> DirHandle:
        """The directory ``name``, made here if missing (``NotInStore``: a file or a link,
        dangling or not, is in its place)."""
        try:
            if self.fd is None:
                os.mkdir(self.path / name, mode)
            else:
                os.mkdir(name, mode, dir_fd=self.fd)
        except FileExistsError:
            pass
        return self.child(name)

    def rename(self, name: str, target: DirHandle, new_name: str) -> None:
        """Rename ``name`` here to ``new_name`` in ``target``; a link is moved, not followed."""
        if self.fd is None or target.fd is None:
            os.rename(self.path / name, target.path / new_name)
        else:
            os.rename(name, new_name, src_dir_fd=self.fd, dst_dir_fd=target.fd)

    def unlink(self, name: str) -> None:
        """Remove the file or link ``name`` (a link itself, never what it leads to)."""
        if self.fd is None:
            os.unlink(self.path / name)
        else:
            os.unlink(name, dir_fd=self.fd)

    def rmdir(self, name: str) -> None:
        """Remove the empty directory ``name`` (a link in its place is not followed: ENOTDIR)."""
        if self.fd is None:
            os.rmdir(self.path / name)
        else:
            os.rmdir(name, dir_fd=self.fd)

    def remove(self, name: str) -> None:
        """Delete ``name`` and all it holds, read-only directories too; missing is fine.

        Each directory below is opened without following a link and made writable by its
        owner through that descriptor (``PermissionError`` if it is another user's), as
        ``shutil.rmtree``'s descriptor walk does; a link is removed, never followed.
        """
        if self.fd is None:
            _remove_by_path(self.path / name)
            return
        try:
            info = self.stat(name)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            try:
                directory = self.child(name)
            except NotInStore:  # swapped for a link or a file since: that goes, not its target
                directory = None
            if directory is not None:
                with directory:
                    mode = stat.S_IMODE(directory.stat().st_mode)
                    if mode & stat.S_IRWXU != stat.S_IRWXU:
                        directory.chmod(mode | stat.S_IRWXU)
                    for inner in directory.names():
                        directory.remove(inner)
                try:
                    os.rmdir(name, dir_fd=self.fd)
                except FileNotFoundError:
                    pass
                return
        try:
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass


def stat_below(path: Path, below: Path) -> os.stat_result:
    """``lstat`` of ``path``, every directory between ``below`` and it opened without
    following a link (``NotInStore`` if one is a link): the owner a teammate cannot fake by
    pointing a directory on the way elsewhere."""
    with DirHandle.open(path.parent, below) as parent:
        return parent.stat(path.name)


def _check_dir(path: Path, follow: bool) -> None:
    """Where there are no ``dir_fd`` calls: ``path`` must be a directory, not a link."""
    info = os.stat(path) if follow else os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or (not follow and stat.S_ISLNK(info.st_mode)):
        raise NotInStore(path)


def _remove_by_path(root: Path) -> None:
    """``remove`` without descriptors (Windows), read-only files and directories too."""
    if not os.path.lexists(root):
        return
    if root.is_symlink() or not root.is_dir():
        root.unlink()
        return
    for directory, _subdirs, _files in os.walk(root):
        mode = stat.S_IMODE(os.lstat(directory).st_mode)
        os.chmod(directory, mode | stat.S_IWUSR | stat.S_IXUSR)
    if sys.platform == "win32" and sys.version_info >= (3, 12):
        shutil.rmtree(root, onexc=_clear_readonly_and_retry)
    elif sys.platform == "win32":
        shutil.rmtree(root, onerror=_clear_readonly_and_retry)
    else:
        shutil.rmtree(root)


def _clear_readonly_and_retry(function: Callable[[str], object], path: str, error: object) -> None:
    """Windows refuses to delete a read-only file (WinError 5) where POSIX asks only for a
    writable directory: clear the file's read-only attribute and delete it again.

    The attribute belongs to the file, not to one of its names: clearing it on a hardlink
    clears it on every link. So nothing pepip deletes on Windows may be a hardlink of a
    store file (staging copies into entries there, and venvs get copies of dist-info files).
    """
    if isinstance(error, tuple):  # onerror (before 3.12) passes sys.exc_info()
        error = error[1]
    if not isinstance(error, PermissionError):
        raise error if isinstance(error, BaseException) else OSError(path)
    os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
    function(path)
