"""A venv transaction: what a command changes in a venv is journaled first, so a command that
dies half-way (SIGKILL, an OOM kill, a closed terminal) is rolled back by the next pepip command.

A venv cannot change in one rename: tools read its dist-info directories, launchers and data
files where they are. So before a command touches a path it records it, and moves (or, for a
file that is replaced atomically, hardlinks) what was there into the journal's backup::

    <venv>/.pepip-txn/
    ├── listing       names in the venv root, bin/ and site-packages when the command began
    ├── journal       one line per guarded path: "<n> <E|N> <path relative to the venv>"
    └── backup/<n>    what the path held before ("E": existed; "N": the command creates it)

Rolling back puts every backup where it was, removes what the command created and every
name the listing lacks (temp files, new dist-info directories, launchers of an editable
install uv made). Committing renames ``.pepip-txn`` aside and deletes it, the one step that
makes the change final. The runtime reads the venv's index, which is replaced atomically
and last, so interpreters started meanwhile import the old or the new pins.

A venv is locked (``flock`` on its directory) while a command changes it: a second command
waits, and recovery never rolls back the transaction of a live process.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Iterator

from pepip import fsops
from pepip.errors import PepipError
from pepip.locking import UNSUPPORTED, flock_waiting
from pepip.report import warn
from pepip.venv.contents import TXN_DIR, TXN_DONE, TXN_STARTING, unfinished

__all__ = ["Journal", "venv_locked", "unfinished", "recover", "transaction"]

_CREATED_VENV: Final = "created-venv"


class Journal:
    """The journal of one running transaction; ``guard`` a path before changing it."""

    def __init__(self, venv: Path) -> None:
        self.venv = venv
        self.directory = venv / TXN_DIR
        self._guarded: dict[str, int] = {}  # venv-relative path -> its number, in order
        self._fd = os.open(self.directory / "journal", os.O_WRONLY | os.O_APPEND)

    def guard(self, path: Path, keep: bool = False) -> None:
        """Record ``path`` before it changes and move its content to the backup.

        ``keep`` leaves the path in place and backs up a hardlinked copy instead: for files
        that are replaced atomically (the runtime index must never be missing) or that uv,
        not pepip, is about to remove.
        """
        relative = os.path.relpath(path, self.venv)
        if relative in self._guarded:
            return
        number = self._guarded[relative] = len(self._guarded) + 1
        existed = os.path.lexists(path)
        # The line is written before anything moves: recovery then knows the path, and a
        # backup that never got made means the path was never touched.
        os.write(self._fd, ("%d %s %s\n" % (number, "E" if existed else "N", relative)).encode("utf-8"))
        if not existed:
            return
        backup = self.directory / "backup" / str(number)
        if keep:
            partial = backup.with_name(backup.name + ".part")
            _link_copy(path, partial)
            os.rename(partial, backup)
        else:
            os.rename(path, backup)

    @property
    def count(self) -> int:
        """How many paths are guarded so far: a mark for ``guarded_since``."""
        return len(self._guarded)

    def guarded_since(self, mark: int, path: Path) -> bool:
        """Whether ``path`` was first guarded after ``count`` was ``mark``."""
        return self._guarded.get(os.path.relpath(path, self.venv), 0) > mark

    def make_dirs(self, directory: Path) -> None:
        """``os.makedirs`` that journals each directory it creates, so rollback removes it."""
        missing = []
        while not directory.exists():
            missing.append(directory)
            directory = directory.parent
        for path in reversed(missing):
            self.guard(path)
            path.mkdir()

    def close(self) -> None:
        os.close(self._fd)


def _link_copy(source: Path, target: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, copy_function=_link_file)
    else:
        _link_file(str(source), str(target))


def _link_file(source: str, target: str) -> None:
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
    else:
        fsops.hardlink_or_copy(Path(source), Path(target))


@contextmanager
def venv_locked(venv: Path, lock_dir: Path) -> Iterator[None]:
    """Hold the venv's lock while changing it; where locks are unavailable, go on unlocked.

    On POSIX the lock is a ``flock`` on the venv directory itself. Windows cannot open a
    directory as a file, and a lock file inside the venv would be open while a failed
    command deletes the venv it created, which Windows refuses: there the lock is a file in
    ``lock_dir`` (the store's) named by the venv's path, which is canonical.
    """
    if sys.platform == "win32":
        fsops.make_shared_dir(lock_dir)
        digest = hashlib.sha256(str(venv).lower().encode("utf-8")).hexdigest()[:32]
        fd = os.open(lock_dir / ("venv-" + digest), os.O_RDWR | os.O_CREAT, 0o666)
    else:
        fd = os.open(venv, os.O_RDONLY)
    try:
        try:
            flock_waiting(fd, True, "the venv %s, which another pepip command is changing" % venv)
        except OSError as error:
            if error.errno not in UNSUPPORTED:
                raise
        yield
    finally:
        os.close(fd)


def recover(venv: Path) -> bool:
    """Roll back what a command that died left half-done in ``venv``; True if it did.

    The caller holds the venv's lock, so the transaction found is not a live one.
    """
    fsops.remove_tree(venv / TXN_STARTING)
    fsops.remove_tree(venv / TXN_DONE)
    directory = venv / TXN_DIR
    if not directory.is_dir():
        return False
    if (directory / _CREATED_VENV).exists():
        fsops.remove_tree(venv)  # the command created the venv: its old state is none
        return True
    try:
        lines = (directory / "journal").read_text(encoding="utf-8").splitlines()
        listing = (directory / "listing").read_text(encoding="utf-8").split("\0")
    except (OSError, UnicodeDecodeError) as error:
        raise PepipError(
            "the interrupted change of %s cannot be undone (%s); recreate the venv" % (venv, error)
        ) from None
    for line in reversed(lines):
        number, kind, relative = line.split(" ", 2)
        path, backup = venv / relative, directory / "backup" / number
        if os.path.lexists(backup):
            fsops.remove_tree(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.rename(backup, path)
        elif kind == "N":
            fsops.remove_tree(path)
    _remove_unlisted(venv, listing)
    fsops.remove_tree(directory)
    return True


def _listed_dirs(venv: Path) -> list[Path]:
    """The directories whose every name the listing keeps: venv root, bin and site-packages."""
    found = [venv, venv / "bin", venv / "Scripts", venv / "Lib" / "site-packages"]
    found += sorted((venv / "lib").glob("python*/site-packages"))
    return [directory for directory in found if directory.is_dir() and not directory.is_symlink()]


def _listing(venv: Path) -> list[str]:
    names = []
    for directory in _listed_dirs(venv):
        relative = os.path.relpath(directory, venv)
        names += [os.path.join(relative, name) for name in os.listdir(directory)]
    return names


def _remove_unlisted(venv: Path, listing: list[str]) -> None:
    kept = {os.path.normpath(name) for name in listing}
    for name in _listing(venv):
        if os.path.normpath(name) not in kept and name != TXN_DIR:
            fsops.remove_tree(venv / name)


@contextmanager
def transaction(venv: Path, created: bool = False) -> Iterator[Journal]:
    """Journal the changes the body makes to ``venv``: roll them back if it raises, else commit.

    ``created`` marks a venv the command made: rolling back after a crash removes it.
    """
    starting = venv / TXN_STARTING
    try:
        fsops.remove_tree(starting)
        (starting / "backup").mkdir(parents=True)
        (starting / "journal").write_bytes(b"")
        (starting / "listing").write_text("\0".join(_listing(venv)), encoding="utf-8")
        if created:
            (starting / _CREATED_VENV).write_bytes(b"")
        os.rename(starting, venv / TXN_DIR)
        journal = Journal(venv)
    except OSError as error:
        fsops.remove_tree(starting)
        raise PepipError("cannot change the venv %s (%s)" % (venv, error.strerror or error)) from None
    try:
        yield journal
    except BaseException:
        journal.close()
        if not created:  # a created venv is removed whole by the caller
            try:
                recover(venv)
            except (OSError, PepipError):
                pass  # the journal stays: the next command rolls back again
        raise
    journal.close()
    done = venv / TXN_DONE
    os.rename(venv / TXN_DIR, done)  # the commit
    try:
        fsops.remove_tree(done)
    except OSError as error:  # committed; the next command deletes it
        warn("cannot delete %s (%s)" % (done, error.strerror))
