"""``pepip repair`` and ``pepip store verify --fix``: re-store what is missing or damaged.

A damaged entry is first moved out of ``entries/`` (one rename), so no venv imports from it
again, then the venvs that named it fetch the same pins anew and link them.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pepip import fsops
from pepip.apply import apply_pins
from pepip.locations import Locations
from pepip.plan import Plan
from pepip.registry import scan_registry
from pepip.report import Reporter
from pepip.resolve import UvOptions, parse_pins
from pepip.store import Store
from pepip.target import Target, existing_target
from pepip.verify import Problem, verify_entry

__all__ = ["repair", "repair_target", "fix_store", "quarantine"]


def quarantine(store: Store, entry: Path) -> None:
    """Take a damaged entry out of the store in one rename, then delete it."""
    with store.locked():  # the trash is in tmp/, which `store prune` empties
        trash = store.staging_dir()
        os.chmod(entry, 0o755)  # moving a directory to another parent rewrites its `..`
        os.rename(entry, trash / "damaged")
        fsops.remove_tree(trash)


def repair_target(target: Target, options: UvOptions, reporter: Reporter) -> Plan:
    """Re-store every missing or damaged entry the venv's manifest names.

    Applying the venv's own pins also puts back the runtime's loader files and registers a
    venv that was moved by hand.
    """
    broken = 0
    for record in target.manifest.dists:
        entry = Path(record.site_dir).parent
        if not entry.is_dir():
            broken += 1
        elif verify_entry(entry):
            quarantine(target.store, entry)
            broken += 1
    manifest = target.manifest
    pins = parse_pins("\n".join(record.source for record in manifest.dists))
    if broken:
        reporter.line("Repairing %d of %d packages" % (broken, len(manifest.dists)))
    quiet = Reporter(quiet=True)
    plan = apply_pins(
        target, pins, options, manifest.requests, reporter if broken else quiet, manifest.sync, refresh=True
    )
    if not broken:
        reporter.line("Nothing to repair: all %d packages are intact" % len(manifest.dists))
    return plan


def repair(locations: Locations, options: UvOptions, reporter: Reporter) -> Plan:
    """``pepip repair``: the venv at ``locations.venv``."""
    target = existing_target(locations)
    target.store.ensure()
    return repair_target(target, options, reporter)


def fix_store(
    locations: Locations, problems: list[Problem], options: UvOptions, reporter: Reporter
) -> None:
    """Quarantine each damaged entry, then repair every live venv that used one."""
    store = Store(locations.store_root)
    damaged = sorted({problem.entry for problem in problems})
    users = scan_registry(store)
    for entry in damaged:
        if entry.is_dir():
            quarantine(store, entry)
    for venv, manifest in users.live.items():
        if any(Path(record.site_dir).parent in damaged for record in manifest.dists):
            reporter.line("Re-storing for %s" % venv)
            repair_target(existing_target(dataclasses.replace(locations, venv=venv)), options, reporter)
