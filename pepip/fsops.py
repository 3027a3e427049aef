"""Filesystem operations with the guarantees pepip needs: atomic writes, link fallbacks.

Every write that another process or a later command may read goes aside first and is renamed
into place, so a reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import tempfile
from pathlib import Path

__all__ = [
    "atomic_write_text",
    "atomic_write_bytes",
    "link_or_copy",
    "hardlink_or_copy",
    "make_tree_readonly",
    "remove_tree",
    "unlink_if_present",
]


def atomic_write_text(path: Path, text: str, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` by writing a sibling temp file and renaming it over."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` by writing a sibling temp file and renaming it over."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix="." + path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        os.replace(temp_name, path)
    except BaseException:
        unlink_if_present(Path(temp_name))
        raise


def link_or_copy(source: Path, target: Path, symlinks: bool) -> None:
    """Make ``target`` show ``source``: a symlink when allowed, else a copy.

    Symlinks are an optimisation only: where creating one fails (Windows without the
    privilege, some network filesystems) the copy works the same. ``target``'s directory
    must exist (a venv links hundreds of files into few directories: the caller makes each once).
    """
    unlink_if_present(target)
    if symlinks:
        try:
            os.symlink(source, target)
            return
        except OSError:
            pass
    shutil.copy2(source, target)
    os.chmod(target, stat.S_IMODE(os.stat(source).st_mode) | stat.S_IWUSR)


def hardlink_or_copy(source: Path, target: Path) -> None:
    """Hardlink ``source`` to ``target``; copy across filesystems (EXDEV) or where refused."""
    unlink_if_present(target)
    try:
        os.link(source, target)
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
        shutil.copyfile(source, target)


def make_tree_readonly(root: Path, keep_writable: str | None = None) -> None:
    """Remove write permission from every file and directory below ``root`` (not ``root``).

    The root stays writable until it is published: moving a directory to another parent
    needs write permission on the directory itself (its ``..`` entry changes). Directories
    named ``keep_writable`` (and what they hold) keep their owner's write permission.
    """
    for directory, subdirs, files in os.walk(root):
        if keep_writable is not None and keep_writable in subdirs:
            subdirs.remove(keep_writable)
        for name in files:
            _drop_write(Path(directory, name))
        if Path(directory) != root:
            _drop_write(Path(directory))


def _drop_write(path: Path) -> None:
    mode = os.lstat(path).st_mode
    if stat.S_ISLNK(mode):
        return
    os.chmod(path, stat.S_IMODE(mode) & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def remove_tree(root: Path) -> None:
    """Delete a directory tree, including read-only store entries; missing is fine."""
    if not os.path.lexists(root):
        return
    if root.is_symlink() or not root.is_dir():
        root.unlink()
        return
    for directory, _subdirs, _files in os.walk(root):
        mode = stat.S_IMODE(os.stat(directory).st_mode)
        os.chmod(directory, mode | stat.S_IWUSR | stat.S_IXUSR)
    shutil.rmtree(root)


def unlink_if_present(path: Path) -> None:
    """Remove a file or symlink if it exists."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
