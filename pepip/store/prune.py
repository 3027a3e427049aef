"""``pepip store prune``: remove entries no live venv uses, and leftovers of interrupted work.

Prune holds the store lock exclusively; installs hold it shared from their first store
lookup until their manifest is written. So an entry a venv is being wired to, even a venv
created while prune runs, is either named by a manifest prune reads or published after it.

Prune judges only this machine's venvs. Another machine's venvs (on a shared store) are
known by their registry records alone: the entries a record lists are kept while it is
renewed within ``PEPIP_REGISTRATION_TTL``. As the lock may not reach other machines, prune
also leaves alone every entry and temp directory younger than the grace period (they may be
another machine's install at work), and re-reads the records after taking entries out: an
entry a record has come to list meanwhile is put back (docs/reliability.md).

An entry leaves ``entries/`` in one rename (into ``tmp/``) before it is deleted: a prune that
dies half-way leaves a temp leftover, never half an entry. In a team store (see ``pepip/store/__init__.py``)
only the owner of an entry or a leftover (or root) may remove it: prune keeps a teammate's
and says so in one line.
"""

from __future__ import annotations

import os
import stat
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pepip import fsops
from pepip.dirhandle import DirHandle, NotInStore, stat_below
from pepip.errors import PepipError
from pepip.report import warn
from pepip.store.inventory import tree_bytes
from pepip.store.registry import forget_record, forget_venv, scan_registry
from pepip.store.layout import Store, iter_entries
from pepip.store.trash import Trash, may_remove
from pepip.users import user_name

__all__ = ["PruneResult", "prune"]

_FRESH: Final = 0.5  # seconds a reading of the records is trusted for (reserve_entries waits 1 s more)


@dataclass
class PruneResult:
    """What prune removed (or, with ``dry_run``, would remove), and what it had to keep."""

    entries: list[Path] = field(default_factory=list)
    freed: int = 0
    leftovers: int = 0
    forgotten_venvs: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # unused, but another user's


def prune(store: Store, dry_run: bool) -> PruneResult:
    """Remove unused entries, temp leftovers and registry records of deleted venvs."""
    result = PruneResult()
    if not store.layout_root.is_dir():
        return result
    if not dry_run and _read_only_mount(store.layout_root):
        raise PepipError(
            "the store %s is on a read-only filesystem, so prune cannot remove anything; run it "
            "where the store is mounted read-write (`--dry-run` shows what it would remove)" % store.root
        )
    with store.locked(exclusive=True):
        registry = scan_registry(store)
        if registry.unreadable:
            raise PepipError(
                "cannot read the manifest of %s, so prune cannot tell what it uses; let the "
                "team read that venv, or prune as its owner" % registry.unreadable[0]
            )
        if registry.damaged:
            raise PepipError(
                "the manifest of %s is damaged, so prune cannot tell what it uses; "
                "run `pepip doctor --venv %s`" % (registry.damaged[0], registry.damaged[0])
            )
        used = set(registry.users())
        settled = time.time() - store.prune_grace
        unused = [path for path in iter_entries(store) if path not in used]
        leftovers = iter_paths(store.tmp_dir)
        # Type, age and owner as the directories held open below the store root show them:
        # a path's `lstat` would go through a link a teammate put in place of a directory.
        infos = {path: _stat(store, path) for path in unused + leftovers}
        unused = [path for path in unused if _older(infos[path], settled, directory=True)]
        leftovers = [path for path in leftovers if _older(infos[path], settled)]
        result.kept = [path for path in unused + leftovers if not may_remove(_uid(infos[path]))]
        kept = set(result.kept)
        sizes = {path: _size(path) for path in unused if path not in kept}
        leftovers = [path for path in leftovers if path not in kept]
        result.forgotten_venvs = registry.gone
        if not dry_run:
            _remove(store, result, list(sizes), leftovers)
            for record in registry.expired:  # another machine's, unrenewed for the TTL
                forget_record(store, record)
        else:
            result.entries, result.leftovers = list(sizes), len(leftovers)
        result.freed = sum(sizes.get(path, 0) for path in result.entries)
    if result.kept:
        owners = sorted({_owner(store, path) for path in result.kept})
        warn(
            "%s %d unused store %s owned by %s: only their owner or the store's admin can "
            "remove them"
            % ("would keep" if dry_run else "kept", len(result.kept),
               "path" if len(result.kept) == 1 else "paths", ", ".join(owners))
        )
    return result


def _read_only_mount(path: Path) -> bool:
    """Whether ``path`` is on a filesystem mounted read-only (root's write bits mean nothing)."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (AttributeError, OSError):  # Windows has no statvfs
        return False


def _stat(store: Store, path: Path) -> os.stat_result | None:
    """``path``'s lstat, every directory from the store root down opened without following
    a link; None if it is gone, or a directory on the way is a link now."""
    try:
        return stat_below(path, store.root)
    except (OSError, NotInStore):
        return None


def _older(info: os.stat_result | None, moment: float, directory: bool = False) -> bool:
    """Whether what ``info`` describes was last changed before ``moment`` (and, with
    ``directory``, is a directory: a link in ``entries/`` is no entry)."""
    if info is None or (directory and not stat.S_ISDIR(info.st_mode)):
        return False
    return info.st_mtime < moment


def _uid(info: os.stat_result | None) -> int:
    return -1 if info is None else info.st_uid


def _owner(store: Store, path: Path) -> str:
    """The name of ``path``'s owner, for the warning."""
    info = _stat(store, path)
    return "an unknown user" if info is None else user_name(info.st_uid)


def _size(path: Path) -> int:
    try:
        return tree_bytes(path)
    except OSError:  # removed meanwhile by another machine's prune
        return 0


def iter_paths(directory: Path) -> list[Path]:
    """What ``directory`` holds, sorted; nothing if it is missing."""
    try:
        return sorted(directory / name for name in os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []


def _remove(store: Store, result: PruneResult, entries: list[Path], leftovers: list[Path]) -> None:
    """Delete ``entries`` and ``leftovers``; what the OS refuses after all goes to ``result.kept``.

    Two steps: every entry is first renamed into a trash directory (out of every lookup's
    sight), then the records are read again, and an entry one of them lists now (an install
    on another machine reserved it meanwhile) is renamed back before anything is deleted.
    """
    with Trash(store) as trash:
        moved = _take_out(store, trash, entries, result.kept)
        if moved:
            _put_back_wanted(store, trash, moved)
        result.entries.extend(moved)
        problems = _remove_leftovers(store, leftovers, result)
        try:
            trash.empty()
        except (OSError, NotInStore) as error:
            problems.append(_problem(trash.path, error))
    if problems:
        warn("could not remove %s; the next `pepip store prune` tries again" % ", ".join(problems[:3]))
    # forget_venv keeps a teammate's record (and says False): their own prune forgets it.
    result.forgotten_venvs = [venv for venv in result.forgotten_venvs if forget_venv(store, venv)]
    if store.sharing.shared:
        # Empty <name>/<version>/ directories stay: another machine may be about to publish
        # into one, and its mount may believe it still exists for a while after an rmdir.
        return
    for path in result.entries:
        _remove_empty(store, path)


def _take_out(store: Store, trash: Trash, entries: list[Path], kept: list[Path]) -> dict[Path, tuple[str, int]]:
    """Rename each of ``entries`` no record lists into ``trash``: entry -> what ``put_back``
    needs. One the OS does not let this user move goes to ``kept``."""
    moved: dict[Path, tuple[str, int]] = {}
    fresh: set[Path] = set()
    scanned = -math.inf
    for path in entries:
        if store.sharing.shared and time.monotonic() - scanned > _FRESH:
            # Each rename follows a reading of the records less than _FRESH s old: an
            # install that waited `visibility + 1` s after listing the entry then finds it gone.
            fresh, scanned = set(scan_registry(store).users()), time.monotonic()
        if path in fresh:
            continue
        try:
            taken = trash.take(path)
        except PermissionError:  # another user's, or in a directory the team may not write
            kept.append(path)
            continue
        if taken is not None:  # else gone (another machine's prune), or a link now
            moved[path] = taken
    return moved


def _put_back_wanted(store: Store, trash: Trash, moved: dict[Path, tuple[str, int]]) -> None:
    """Read the records again and rename back every entry of ``moved`` one lists now (an
    install on another machine reserved it meanwhile) and drop it from ``moved``."""
    wanted = set(scan_registry(store).users())
    for path in [path for path in moved if path in wanted]:
        name, mode = moved[path]
        if trash.put_back(name, path, mode):  # else its name was taken by a new publish
            del moved[path]


def _remove_leftovers(store: Store, leftovers: list[Path], result: PruneResult) -> list[str]:
    """Delete the temp ``leftovers``, counted in ``result``; another user's go to
    ``result.kept``. Returns what could not be removed, for the warning."""
    problems = []
    for path in leftovers:
        try:
            fsops.remove_tree(path, below=store.root)
        except PermissionError:
            result.kept.append(path)
            continue
        except (OSError, NotInStore) as error:  # another machine still writing in it, say: next time
            problems.append(_problem(path, error))
            continue
        result.leftovers += 1
    return problems


def _problem(path: Path, error: OSError | NotInStore) -> str:
    """``path`` and why it could not be removed, for the warning."""
    return "%s (%s)" % (path, getattr(error, "strerror", None) or error)


def _remove_empty(store: Store, entry: Path) -> None:
    """Remove ``entry``'s ``<version>/`` and ``<name>/`` directories if they are empty now,
    each by its name in the directory held above it (never through a link)."""
    try:
        with DirHandle.open(entry.parent.parent, below=store.root) as name_dir:
            name_dir.rmdir(entry.parent.name)
        with DirHandle.open(store.entries_dir, below=store.root) as entries_dir:
            entries_dir.rmdir(entry.parent.parent.name)
    except (OSError, NotInStore):
        pass
