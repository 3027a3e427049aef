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
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from pepip import fsops
from pepip.errors import PepipError
from pepip.store.inventory import tree_bytes
from pepip.store.registry import forget_record, forget_venv, scan_registry
from pepip.store.layout import Store, iter_entries

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
    if not store.base.is_dir():
        return result
    if not dry_run and _read_only_mount(store.base):
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
        unused = [path for path in iter_entries(store) if path not in used and _older(path, settled)]
        leftovers = [path for path in iter_paths(store.tmp_dir) if _older(path, settled)]
        result.kept = [path for path in unused + leftovers if not _mine(path)]
        kept = set(result.kept)
        sizes = {path: _size(path) for path in unused if path not in kept}
        leftovers = [path for path in leftovers if path not in kept]
        result.forgotten_venvs = registry.gone
        if not dry_run:
            _remove(store, result, list(sizes), leftovers)
            for record in registry.expired:  # another machine's, unrenewed for the TTL
                forget_record(record)
        else:
            result.entries, result.leftovers = list(sizes), len(leftovers)
        result.freed = sum(sizes.get(path, 0) for path in result.entries)
    if result.kept:
        owners = sorted({fsops.owner_name(path) for path in result.kept})
        sys.stderr.write(
            "pepip: warning: %s %d unused store %s owned by %s: only their owner or the "
            "store's admin can remove them\n"
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


def _mine(path: Path) -> bool:
    """True if this process may remove ``path``: its owner, or root (or no owners: Windows)."""
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return True
    return os.lstat(path).st_uid == os.geteuid()


def _older(path: Path, moment: float) -> bool:
    """Whether ``path`` was last changed before ``moment`` (False if it is gone already)."""
    try:
        return os.lstat(path).st_mtime < moment
    except OSError:
        return False


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
    trash = store.staging_dir()
    moved: dict[Path, Path] = {}
    modes: dict[Path, int] = {}
    fresh: set[Path] = set()
    scanned = -math.inf
    for number, path in enumerate(entries):
        if store.sharing.shared and time.monotonic() - scanned > _FRESH:
            # Each rename follows a reading of the records less than _FRESH s old: an
            # install that waited `visibility + 1` s after listing the entry then finds it gone.
            fresh, scanned = set(scan_registry(store).users()), time.monotonic()
        if path in fresh:
            continue
        try:
            mode = stat.S_IMODE(os.lstat(path).st_mode)
        except FileNotFoundError:
            continue  # another machine's prune took it first
        try:
            fsops.chmod_dir(path, mode | stat.S_IWUSR)  # moving a directory rewrites its `..`
            os.rename(path, trash / str(number))
        except FileNotFoundError:
            continue
        except PermissionError:  # in a directory the team may not write, say
            try:
                if stat.S_IMODE(os.lstat(path).st_mode) != mode:
                    fsops.chmod_dir(path, mode)
            except OSError:
                pass
            result.kept.append(path)
            continue
        moved[path], modes[path] = trash / str(number), mode
    if moved:
        wanted = set(scan_registry(store).users())
        for path in [path for path in moved if path in wanted]:
            try:
                os.rename(moved[path], path)
            except OSError:  # its name was taken by a new publish of the same build
                continue
            del moved[path]
            fsops.chmod_dir(path, modes[path])
    result.entries.extend(moved)
    problems = []
    for path in leftovers:
        try:
            fsops.remove_tree(path)
        except PermissionError:
            result.kept.append(path)
            continue
        except OSError as error:  # another machine still writing in it, say: next time
            problems.append("%s (%s)" % (path, error.strerror or error))
            continue
        result.leftovers += 1
    try:
        fsops.remove_tree(trash)
    except OSError as error:
        problems.append("%s (%s)" % (trash, error.strerror or error))
    if problems:
        sys.stderr.write(
            "pepip: warning: could not remove %s; the next `pepip store prune` tries again\n"
            % ", ".join(problems[:3])
        )
    forgotten = []
    for venv in result.forgotten_venvs:
        if forget_venv(store, venv):  # else a teammate's record, which their prune forgets
            forgotten.append(venv)
    result.forgotten_venvs = forgotten
    if store.sharing.shared:
        # Empty <name>/<version>/ directories stay: another machine may be about to publish
        # into one, and its mount may believe it still exists for a while after an rmdir.
        return
    for path in result.entries:
        for directory in (path.parent, path.parent.parent):
            try:
                directory.rmdir()
            except OSError:
                break
