"""Compare resolved pins with the venv and the store: what to keep, link, fetch and remove."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from pepip.manifest import DistRecord
from pepip.resolve import Pin
from pepip.store import Store, StoreEntry

__all__ = ["Plan", "make_plan"]


@dataclass
class Plan:
    """What an install changes. ``linked`` entries are in the store already; ``missing``
    pins need uv to download or build them first."""

    unchanged: list[DistRecord] = field(default_factory=list)
    linked: list[tuple[Pin, StoreEntry]] = field(default_factory=list)
    missing: list[Pin] = field(default_factory=list)
    removed: list[DistRecord] = field(default_factory=list)

    @property
    def changes_nothing(self) -> bool:
        """True when the venv already is what the pins describe."""
        return not (self.linked or self.missing or self.removed)


def make_plan(
    pins: list[Pin], current: list[DistRecord], store: Store, priority: dict[str, int]
) -> Plan:
    """Sort every pin into unchanged, linkable from the store, or missing from it.

    A venv record whose store entry is gone counts as changed, so any command that applies
    pins (install, sync, repair) re-links or re-fetches it.
    """
    plan = Plan()
    by_name = {record.name: record for record in current}
    for pin in pins:
        record = by_name.pop(pin.name, None)
        if record is not None and record.source == pin.spec and os.path.isdir(record.site_dir):
            plan.unchanged.append(record)
            continue
        if record is not None:
            plan.removed.append(record)
        entry = None if pin.version is None else store.lookup(pin.name, pin.version, priority)
        if entry is None:
            plan.missing.append(pin)
        else:
            plan.linked.append((pin, entry))
    plan.removed.extend(by_name.values())
    return plan
