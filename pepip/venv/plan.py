"""Compare resolved pins with the venv and the store: what to keep, link, fetch and remove.

A ``Plan`` is a value: each step of applying pins (reserving entries, storing what is
missing) returns a new one, so what a step was handed is never changed under it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import AbstractSet, Sequence

from pepip.artifacts import Pin
from pepip.venv.foreign import Foreign
from pepip.manifest import DistRecord
from pepip.store.entries import StoreEntry
from pepip.store.layout import Store
from pepip.store.lookup import find_entry
from pepip.venv.target import pin_of_record

__all__ = ["Plan", "make_plan"]


@dataclass(frozen=True)
class Plan:
    """What applying pins changes. ``linked`` entries are in the store already; ``missing``
    pins need uv to download or build them first; ``foreign_removed`` are distributions pip
    or uv installed that uv must uninstall (the resolution moved them, or sync drops them)."""

    unchanged: tuple[DistRecord, ...] = ()
    linked: tuple[tuple[Pin, StoreEntry], ...] = ()
    missing: tuple[Pin, ...] = ()
    removed: tuple[DistRecord, ...] = ()
    foreign_removed: tuple[Foreign, ...] = ()

    @property
    def changes_nothing(self) -> bool:
        """True when the venv already is what the pins describe."""
        return not (self.linked or self.missing or self.removed or self.foreign_removed)

    def without_entries(self, gone: AbstractSet[Path]) -> Plan:
        """This plan with the pins whose entries are ``gone`` (a prune took them) missing."""
        if not gone:
            return self
        return replace(
            self,
            linked=tuple((pin, entry) for pin, entry in self.linked if entry.path not in gone),
            missing=self.missing + tuple(pin for pin, entry in self.linked if entry.path in gone),
        )

    def with_stored(self, stored: Sequence[tuple[Pin, StoreEntry]]) -> Plan:
        """This plan once the fetch step has stored its missing pins as ``stored``."""
        return replace(self, linked=self.linked + tuple(stored), missing=())


def make_plan(
    pins: list[Pin],
    current: list[DistRecord],
    store: Store,
    priority: dict[str, int],
    foreign: Sequence[Foreign] = (),
    exact: bool = False,
    reinstall: AbstractSet[str] = frozenset(),
    spared: AbstractSet[str] = frozenset(),
) -> Plan:
    """Sort every pin into unchanged, linkable from the store, or missing from it.

    A venv record counts as unchanged only when it came from the pin's artifact and its
    entry is in this store's layout (``owned``); one whose store entry is gone counts as
    changed, so any command that applies pins (install, sync, repair) re-links or re-fetches
    it. The entry, not its ``site`` directory, is what must be there: a distribution of
    dist-info alone (a metapackage such as jupyter) has no ``site``. A pin is linked only
    from an entry built from its artifact. A foreign distribution at the
    pinned version stays; at another version it is replaced by the store's. With ``exact``
    (sync) foreign distributions the pins do not name are removed too, except ``spared`` ones.
    A pin named in ``reinstall`` counts as changed whatever the venv has: it is linked again
    from the store (what pip or uv installed for it is replaced by the store's).
    """
    unchanged: list[DistRecord] = []
    linked: list[tuple[Pin, StoreEntry]] = []
    missing: list[Pin] = []
    removed: list[DistRecord] = []
    foreign_removed: list[Foreign] = []
    by_name = {record.name: record for record in current}
    foreign_by_name = {item.name: item for item in foreign}
    for pin in pins:
        other = foreign_by_name.pop(pin.name, None)
        if other is not None:
            if pin.name not in reinstall and other.url == pin.url and (pin.url is not None or other.version == pin.version):
                continue  # what pip or uv installed is what the pins ask for (version or URL): it stays
            foreign_removed.append(other)
        record = by_name.pop(pin.name, None)
        if (
            record is not None
            and pin.name not in reinstall
            and record.source == pin.spec
            and pin_of_record(record).identity == pin.identity
            and store.in_layout(record.entry_dir)
            and os.path.isdir(record.entry_dir)
        ):
            unchanged.append(record)
            continue
        if record is not None:
            removed.append(record)
        entry = find_entry(store, pin, priority)
        if entry is None:
            missing.append(pin)
        else:
            linked.append((pin, entry))
    removed.extend(by_name.values())
    if exact:
        foreign_removed.extend(item for name, item in foreign_by_name.items() if name not in spared)
    return Plan(tuple(unchanged), tuple(linked), tuple(missing), tuple(removed), tuple(foreign_removed))
