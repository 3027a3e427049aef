"""``pepip store prune``: remove entries no live venv uses, and leftovers of interrupted work.

Prune holds the store lock exclusively; installs hold it shared from their first store
lookup until their manifest is written. So an entry a venv is being wired to, even a venv
created while prune runs, is either named by a manifest prune reads or published after it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pepip import fsops
from pepip.errors import PepipError
from pepip.inventory import tree_bytes
from pepip.registry import scan_registry
from pepip.store import Store, iter_entries

__all__ = ["PruneResult", "prune"]


@dataclass
class PruneResult:
    """What prune removed (or, with ``dry_run``, would remove)."""

    entries: list[Path] = field(default_factory=list)
    freed: int = 0
    leftovers: int = 0
    forgotten_venvs: list[Path] = field(default_factory=list)


def prune(store: Store, dry_run: bool) -> PruneResult:
    """Remove unused entries, temp leftovers and registry records of deleted venvs."""
    result = PruneResult()
    if not store.base.is_dir():
        return result
    with store.locked(exclusive=True):
        registry = scan_registry(store)
        if registry.damaged:
            raise PepipError(
                "the manifest of %s is damaged, so prune cannot tell what it uses; "
                "run `pepip doctor --venv %s`" % (registry.damaged[0], registry.damaged[0])
            )
        used = set(registry.users())
        for path in iter_entries(store):
            if path not in used:
                result.entries.append(path)
                result.freed += tree_bytes(path)
        leftovers = sorted(store.tmp_dir.iterdir()) if store.tmp_dir.is_dir() else []
        result.leftovers = len(leftovers)
        result.forgotten_venvs = registry.gone
        if dry_run:
            return result
        for path in result.entries + leftovers:
            fsops.remove_tree(path)
        for venv in registry.gone:
            store.forget_venv(venv)
        for path in result.entries:
            for directory in (path.parent, path.parent.parent):
                try:
                    directory.rmdir()
                except OSError:
                    break
    return result
