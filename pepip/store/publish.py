"""Publishing a built entry: made read-only, then renamed into place in one step.

An entry is built in the store's ``tmp/`` (``staging``) and appears under ``entries/`` by one
``os.rename``, so nobody ever sees half an entry. A process that loses a publishing race
finds the winner's entry, built from the same artifact, in its place and uses that one.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path
from typing import Final

from pepip import fsops
from pepip.dirhandle import DirHandle, NotInStore
from pepip.errors import PepipError
from pepip.store.entries import StoreEntry, read_entry
from pepip.store.layout import Store, open_entry_dir

__all__ = ["publish_entry"]

_PUBLISH_ATTEMPTS: Final = 5


def publish_entry(store: Store, temp: Path, entry: StoreEntry, lazy_bytecode: bool) -> StoreEntry:
    """Make a built entry read-only and rename it into place; reuse a winner's entry.

    With ``lazy_bytecode`` the entry gets empty ``__pycache__`` directories that stay
    writable by their owner, for the background compile to fill (``pepip.store.bytecode``) or,
    with ``PEPIP_BYTECODE=lazy``, Python on first import.
    """
    if lazy_bytecode:
        fsops.make_tree_readonly(temp, "__pycache__", writable_pycache=temp / "site")
    else:
        fsops.make_tree_readonly(temp)
    # Readable as the umask allows before anyone can see it (mkdtemp made it private);
    # its owner keeps write permission until it is moved (see make_tree_readonly).
    readable = fsops.dir_mode(others_write=False)
    version, build = entry.path.parent, entry.path.name
    with DirHandle.open(temp.parent, below=store.root) as staging:
        if store.owner is not None:
            _give_entry(staging, temp.name, store.owner)
        os.chmod(temp, readable)
        for attempt in range(_PUBLISH_ATTEMPTS):
            # Each level opened without following a link: a file or a link in place of
            # <name>/ or <version>/ is one error line, and nothing goes through a link.
            with open_entry_dir(store, version.parent.name, version.name, create=True) as held:
                try:
                    staging.rename(temp.name, held, build)
                    with held.child(build) as published:
                        published.chmod(readable & ~stat.S_IWUSR)
                    return entry
                except FileNotFoundError:
                    # Another machine's prune removed the empty <version>/ directory between
                    # our mkdir and the rename (prune's lock may not reach us): make it again.
                    if not temp.is_dir() or attempt == _PUBLISH_ATTEMPTS - 1:
                        raise
                except OSError as error:
                    # "Already there": EEXIST or ENOTEMPTY on a local disk, EPERM on sshfs and
                    # for a teammate's entry that the sticky bit protects. On a network share
                    # this mount may not list the winner yet: ask for its ENTRY by name.
                    if error.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EPERM, errno.EACCES, errno.ENOTDIR):
                        raise
                    try:
                        there = held.stat(build)
                    except FileNotFoundError:
                        there = None
                    if there is not None and not stat.S_ISDIR(there.st_mode):
                        raise NotInStore(entry.path) from None  # a link or a file in the entry's place
                    winner = _winner(entry.path, store.sharing.visibility)
                    if winner is None:
                        if error.errno in (errno.EPERM, errno.EACCES) and there is None:
                            raise
                        raise PepipError(
                            "store entry %s is damaged or incomplete; run `pepip store verify --fix`" % entry.path
                        ) from None
                    fsops.remove_tree(temp, below=store.root)  # another process published the same build first
                    return winner
            time.sleep(min(2.0**attempt, store.sharing.visibility or 1.0))  # a mount's stale dentry
    raise AssertionError("unreachable")  # every attempt returns or raises


def _give_entry(staging: DirHandle, name: str, owner: fsops.Owner) -> None:
    """Give a built entry to the store's owner (root in a user's store), while it is still
    root's private ``mkdtemp``: nobody else could have put a link or another user's file
    in it, so every file given is one root made."""
    with staging.child(name) as built:
        info = built.stat()
        if info.st_uid != 0 or stat.S_IMODE(info.st_mode) & 0o077:
            raise PepipError("the staging directory %s changed hands while pepip built in it" % built.path)
        fsops.give_tree(built, owner)


def _winner(path: Path, visibility: float) -> StoreEntry | None:
    """The entry another process published at ``path``; None if none is readable there.

    Tried until this mount surely sees the server as it is: a network mount can remember for
    ``visibility`` seconds that the ``ENTRY`` file was missing (it was, while another
    machine's prune had the entry out), and on GlusterFS a directory renamed into place by
    another client can take a moment to show its files.
    """
    deadline = time.monotonic() + max(visibility + 1.0, 1.7)
    delay = 0.0
    while True:
        time.sleep(delay)
        try:
            return read_entry(path)
        except PepipError:
            if time.monotonic() + delay > deadline:
                return None
        delay = min(max(2 * delay, 0.2), 2.0)
