"""``pepip store prune``: remove entries no live venv uses, and leftovers of interrupted work.

Prune holds the store lock exclusively; installs hold it shared from their first store
lookup until their manifest is written. So an entry a venv is being wired to, even a venv
created while prune runs, is either named by a manifest prune reads or published after it.

An entry leaves ``entries/`` in one rename (into ``tmp/``) before it is deleted: a prune that
dies half-way leaves a temp leftover, never half an entry. In a team store (see ``store.py``)
only the owner of an entry or a leftover (or root) may remove it: prune keeps a teammate's
and says so in one line.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pepip import fsops
from pepip.errors import PepipError
from pepip.inventory import tree_bytes
from pepip.registry import forget_venv, scan_registry
from pepip.store import Store, iter_entries

__all__ = ["PruneResult", "prune"]


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
        unused = [path for path in iter_entries(store) if path not in used]
        leftovers = sorted(store.tmp_dir.iterdir()) if store.tmp_dir.is_dir() else []
        result.kept = [path for path in unused + leftovers if not _mine(path)]
        kept = set(result.kept)
        sizes = {path: tree_bytes(path) for path in unused if path not in kept}
        leftovers = [path for path in leftovers if path not in kept]
        result.forgotten_venvs = registry.gone
        if not dry_run:
            _remove(store, result, list(sizes), leftovers)
        else:
            result.entries, result.leftovers = list(sizes), len(leftovers)
        result.freed = sum(sizes[path] for path in result.entries)
    if result.kept:
        owners = sorted({fsops.owner_name(path) for path in result.kept})
        sys.stderr.write(
            "pepip: warning: %s %d unused store %s owned by %s: only their owner or the "
            "store's admin can remove them\n"
            % ("would keep" if dry_run else "kept", len(result.kept),
               "path" if len(result.kept) == 1 else "paths", ", ".join(owners))
        )
    return result


def _mine(path: Path) -> bool:
    """True if this process may remove ``path``: its owner, or root (or no owners: Windows)."""
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return True
    return os.lstat(path).st_uid == os.geteuid()


def _remove(store: Store, result: PruneResult, entries: list[Path], leftovers: list[Path]) -> None:
    """Delete ``entries`` and ``leftovers``; what the OS refuses after all goes to ``result.kept``."""
    trash = store.staging_dir()
    for number, path in enumerate(entries):
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        try:
            fsops.chmod_dir(path, mode | stat.S_IWUSR)  # moving a directory rewrites its `..`
            os.rename(path, trash / str(number))
        except PermissionError:  # in a directory the team may not write, say
            if stat.S_IMODE(os.lstat(path).st_mode) != mode:
                fsops.chmod_dir(path, mode)
            result.kept.append(path)
            continue
        result.entries.append(path)
    for path in leftovers:
        try:
            fsops.remove_tree(path)
        except PermissionError:
            result.kept.append(path)
            continue
        result.leftovers += 1
    fsops.remove_tree(trash)
    forgotten = []
    for venv in result.forgotten_venvs:
        if forget_venv(store, venv):  # else a teammate's record, which their prune forgets
            forgotten.append(venv)
    result.forgotten_venvs = forgotten
    for path in result.entries:
        for directory in (path.parent, path.parent.parent):
            try:
                directory.rmdir()
            except OSError:
                break
