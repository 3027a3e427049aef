"""Filesystem operations with the guarantees pepip needs: atomic writes, link fallbacks.

Every write that another process or a later command may read goes aside first and is renamed
into place, so a reader sees the old file or the new one, never half of one.

Modes follow the umask, as ``open`` and ``mkdir`` do: a team that shares a store sets umask
002 and gets group-writable directories. A directory others may write gets the sticky bit,
as ``/tmp`` has, so nobody renames or deletes what another user put there.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import shutil
import stat
from pathlib import Path
from types import FrameType
from typing import Final, Iterator, Tuple

from pepip.dirhandle import DirHandle, NotInStore
from pepip.users import is_running_user, running_as_root, user_name

__all__ = [
    "atomic_write_text",
    "atomic_write_bytes",
    "make_temp_file",
    "make_temp_dir",
    "link_or_copy",
    "hardlink_or_copy",
    "make_tree_readonly",
    "remove_tree",
    "unlink_if_present",
    "file_mode",
    "dir_mode",
    "make_shared_dir",
    "owner_name",
    "owned",
    "chmod_dir",
    "interrupts_deferred",
    "NotInStore",
    "Owner",
    "heir",
    "give",
    "give_tree",
]

# (uid, gid) that root's files in a personal store of another user are given to (``heir``).
Owner = Tuple[int, int]


def atomic_write_text(path: Path, text: str, mode: int | None = None, owner: Owner | None = None) -> None:
    """Write ``text`` to ``path`` by writing a sibling temp file and renaming it over."""
    atomic_write_bytes(path, text.encode("utf-8"), mode, owner)


# What tempfile's mkstemp and mkdtemp do, without loading tempfile (and random, hashlib):
# a remembered install writes a few files and would pay for those imports on every call.
_TEMP_FILE_FLAGS: Final = (
    os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NOINHERIT", 0)
)
_TEMP_ATTEMPTS: Final = 100  # 48 random bits a name: a clash is a retry, not an error


def _temp_name(directory: Path, prefix: str, suffix: str) -> Path:
    return directory / ("%s%s%s" % (prefix, os.urandom(6).hex(), suffix))


def make_temp_file(directory: Path, prefix: str, suffix: str = "") -> tuple[int, Path]:
    """A new file in ``directory`` only this user can read (``tempfile.mkstemp``): its open
    descriptor and its path."""
    for _ in range(_TEMP_ATTEMPTS):
        path = _temp_name(directory, prefix, suffix)
        try:
            return os.open(path, _TEMP_FILE_FLAGS, 0o600), path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(directory))


def make_temp_dir(directory: Path, prefix: str) -> Path:
    """A new directory in ``directory`` only this user can enter (``tempfile.mkdtemp``)."""
    for _ in range(_TEMP_ATTEMPTS):
        path = _temp_name(directory, prefix, "")
        try:
            os.mkdir(path, 0o700)
            return path
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no unused temporary name", str(directory))


def atomic_write_bytes(path: Path, data: bytes, mode: int | None = None, owner: Owner | None = None) -> None:
    """Write ``data`` to ``path`` by writing a sibling temp file and renaming it over.

    ``mode`` defaults to ``file_mode()``: the temp file ``mkstemp`` makes is private.
    ``owner`` (root in another user's store, see ``heir``) gets the file before it is
    renamed into place, through the descriptor written: never a file a link leads to.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = make_temp_file(path.parent, "." + path.name + ".", ".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            if owner is not None:
                os.fchown(handle.fileno(), *owner)
        os.chmod(temp_name, file_mode() if mode is None else mode)
        os.replace(temp_name, path)
    except BaseException:
        unlink_if_present(Path(temp_name))
        raise


def link_or_copy(source: Path, target: Path, copy: bool = False) -> None:
    """Make ``target`` a file of its own with ``source``'s contents and mode: a hardlink, or a copy.

    Never a symlink: a program that checks where a file really is (tornado's static file
    handler answers 403 for a file whose real path leaves its root, and so JupyterLab's UI
    stays blank) must find it inside the venv. A hardlink costs what a symlink costs (one
    directory entry); where it fails (another filesystem, a store of another user under
    ``protected_hardlinks``, the link count limit) the file is copied, as with ``copy``.
    ``target``'s directory must exist (a venv links hundreds of files into few directories:
    the caller makes each once).
    """
    unlink_if_present(target)
    if not copy:
        try:
            os.link(source, target)
            return
        except OSError as error:
            if error.errno not in _NO_HARDLINK:
                raise
    shutil.copy2(source, target)
    os.chmod(target, stat.S_IMODE(os.stat(source).st_mode) | stat.S_IWUSR)


# Why os.link fails where a copy works: another filesystem, refused (protected_hardlinks,
# Windows shares), too many links, not supported.
_NO_HARDLINK = (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES)


def hardlink_or_copy(source: Path, target: Path) -> None:
    """Hardlink ``source`` to ``target``; copy across filesystems (EXDEV) or where refused."""
    unlink_if_present(target)
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in _NO_HARDLINK:
            raise
        shutil.copyfile(source, target)


def make_tree_readonly(root: Path, keep_writable: str | None = None, writable_pycache: Path | None = None) -> None:
    """Remove write permission from every file and directory below ``root`` (not ``root``).

    The root stays writable until it is published: moving a directory to another parent
    needs write permission on the directory itself (its ``..`` entry changes). Directories
    named ``keep_writable`` (and what they hold) keep their owner's write permission.
    Below ``writable_pycache``, each directory holding ``.py`` files gets a ``__pycache__``
    only its owner may write, made in the same walk.
    """
    top = str(root)
    pycache_below = None if writable_pycache is None else str(writable_pycache)
    for directory, subdirs, files in os.walk(top):
        has_pycache = "__pycache__" in subdirs  # a wheel may ship its own (numpy 2.0-2.3 do)
        if keep_writable is not None and keep_writable in subdirs:
            subdirs.remove(keep_writable)
        if (
            pycache_below is not None
            and (directory == pycache_below or directory.startswith(pycache_below + os.sep))
            and any(name.endswith(".py") for name in files)
            and not has_pycache
        ):
            # Writable by the owner alone: a teammate's bytecode would run in every venv.
            os.mkdir(os.path.join(directory, "__pycache__"), 0o755)
        for name in files:
            _drop_write(os.path.join(directory, name))
        if directory != top:
            _drop_write(directory)


def _drop_write(path: str | Path) -> None:
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        return
    os.chmod(path, stat.S_IMODE(mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def remove_tree(root: Path, below: Path | None = None) -> None:
    """Delete a directory tree, including read-only store entries; missing is fine.

    Only ``below`` (``root``'s parent if None) is reached by its path: every level beneath
    is opened without following a link (``DirHandle``), so a link a teammate swaps in for a
    directory of the store meanwhile is removed, never followed.
    """
    try:
        with DirHandle.open(root.parent, below) as parent:
            parent.remove(root.name)
    except FileNotFoundError:
        return


def chmod_dir(path: Path, mode: int, below: Path | None = None) -> None:
    """``chmod`` a directory, never through a symlink put in its place or in place of a
    directory above it up to ``below`` meanwhile (a teammate's link to ``~/.ssh`` must not
    get its mode changed): ``NotInStore`` then."""
    with DirHandle.open(path, below) as directory:
        directory.chmod(mode)


@contextlib.contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold Ctrl-C (SIGINT) until the block is done, then act on it as Python would have.

    For cleanup that must not be cut short: a staging directory half removed is a leftover.
    Signals are only the main thread's to handle; elsewhere the block runs as it is.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[tuple[int, FrameType | None]] = []
    previous = signal.signal(signal.SIGINT, lambda number, frame: received.append((number, frame)))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and callable(previous):
            previous(*received[0])  # default_int_handler raises KeyboardInterrupt


def unlink_if_present(path: Path) -> None:
    """Remove a file or symlink if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@functools.lru_cache(maxsize=None)
def _umask() -> int:
    """The process's umask, read once: reading it means setting it for a moment."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def file_mode(others_write: bool = True) -> int:
    """The mode ``open`` gives a new file: 0o666 less the umask.

    Without ``others_write`` no group or other write bit: for store files every teammate
    reads and only their writer may change (in the store's sticky directories nobody else can
    rename over them either; a group-writable file could still be rewritten in place).
    """
    mode = 0o666 & ~_umask()
    return mode if others_write else mode & ~(stat.S_IWGRP | stat.S_IWOTH)


def dir_mode(others_write: bool = True) -> int:
    """The mode ``mkdir`` gives a new directory: 0o777 less the umask (see ``file_mode``)."""
    mode = 0o777 & ~_umask()
    return mode if others_write else mode & ~(stat.S_IWGRP | stat.S_IWOTH)


def make_shared_dir(path: Path) -> bool:
    """Create ``path`` (and its parents); give it the sticky bit if others may write it.

    In a group-writable store anyone in the group can rename or delete what a directory
    holds, a teammate's published entry too; with the sticky bit only the owner of an entry
    (or of the directory) can. Only the directory's owner may set the bit, and it is set on
    directories made before this rule as well, the next time their owner runs pepip.
    False if others may write ``path`` and it lacks the bit, which we may not set.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file, or a dangling link
        raise NotInStore(path) from None
    if os.name == "nt":
        return True
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode):
        raise NotInStore(path)
    mode = stat.S_IMODE(info.st_mode)
    if not mode & (stat.S_IWGRP | stat.S_IWOTH) or mode & stat.S_ISVTX:
        return True
    if not is_running_user(info.st_uid):
        return False
    chmod_dir(path, mode | stat.S_ISVTX)
    return True


def heir(directory: Path) -> Owner | None:
    """Who gets what root makes in ``directory``: its owner when root (a container run
    without ``--user``) works in a personal directory of another user, one nobody else may
    write (a personal store bound into the container); None otherwise.

    Root's files there would stay root's: the user's next install, prune or ``rm -rf``
    would fail on them (docs/security.md, "Root in a user's store"). A team store (group
    writable) is left as it is: root is its admin there.
    """
    if not running_as_root():
        return None
    try:
        info = os.stat(directory)
    except OSError:
        return None
    if info.st_uid == 0 or not stat.S_ISDIR(info.st_mode) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return None
    return info.st_uid, info.st_gid


def give(directory: DirHandle, owner: Owner | None) -> None:
    """Give the held directory to ``owner`` if it is root's (``fchown``: what was opened,
    never what a link leads to)."""
    if owner is None or directory.fd is None:
        return
    if directory.stat().st_uid == 0:
        os.fchown(directory.fd, *owner)


def give_tree(directory: DirHandle, owner: Owner) -> None:
    """Give ``owner`` everything below the held directory and the directory itself.

    Every level is opened without following a link, and a link is given itself (``lchown``),
    never what it leads to. Only for a tree root made and nobody else could enter until now
    (a private ``mkdtemp``): the caller checks that.
    """
    if directory.fd is None:
        return
    for name in directory.names():
        info = directory.stat(name)
        if stat.S_ISDIR(info.st_mode):
            with directory.child(name) as inner:
                give_tree(inner, owner)
        else:
            os.chown(name, *owner, dir_fd=directory.fd, follow_symlinks=False)
    os.fchown(directory.fd, *owner)


def owned(path: Path) -> bool:
    """True if ``path`` is a regular file or directory (not a link) of the running user.

    A store file that decides what code runs (a remembered resolution or interpreter, a
    venv template) is trusted only when its writer is the user running pepip: in a team
    store any member can write one under the name another member's pepip will look for.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
        return False
    return is_running_user(info.st_uid)


def owner_name(path: Path) -> str:
    """The user name of ``path``'s owner, for messages (its uid where names are unknown)."""
    return user_name(os.lstat(path).st_uid)
