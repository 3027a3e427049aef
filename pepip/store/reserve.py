"""Keeping another machine's ``store prune`` away from the entries an install will link.

On one machine the store lock does this: an install holds it shared from its first lookup
until its manifest is written, and prune holds it alone. Other machines' prunes may not
take part in that lock (sshfs, NFS without lockd: ``flock`` excludes only processes of
one mount), and may see this machine's changes only ``visibility`` seconds late. So an
install on a shared store also:

1. lists the entries it is about to link in its venv's registry record *before* linking
   them (every prune keeps an entry some record lists);
2. for an entry old enough that a prune may judge it unused (published more than half the
   grace period ago, and listed by no other venv's record every machine already lists),
   waits until every machine sees that record, then asks for the entry by name: one that a
   prune moved out meanwhile is stored again, like any missing one.

Why this suffices is argued in docs/reliability.md ("A store shared by machines").
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pepip.store.registry import named_elsewhere, register_venv
from pepip.store.entries import entry_present
from pepip.store.layout import Store

__all__ = ["reserve_entries"]


def reserve_entries(
    store: Store, venv: Path, keep: list[Path], linking: list[Path], now: float | None = None
) -> set[Path]:
    """Register the entries ``venv`` keeps and those it is about to link; return those of
    ``linking`` that a prune took meanwhile (the caller stores them again)."""
    sharing = store.sharing
    if not sharing.shared:
        return set()  # the store lock orders every prune against this install
    register_venv(store, venv, keep + linking)
    if not linking:
        return set()
    now = time.time() if now is None else now
    young = now - store.prune_grace / 2
    elsewhere = named_elsewhere(store, venv)
    at_risk = [
        path for path in linking
        if store.owns(path) and path not in elsewhere and _published_before(path, young)
    ]
    if not at_risk:
        return set()
    # Every machine sees our record after `visibility`; a prune that did not see it has
    # taken its decision before, and moved the entry out before we look (one `rename`).
    time.sleep(sharing.visibility + 1.0)
    return {path for path in at_risk if not entry_present(path)}


def _published_before(path: Path, moment: float) -> bool:
    try:
        return os.stat(path).st_mtime < moment
    except OSError:
        return True
