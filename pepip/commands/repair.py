"""``pepip repair`` and ``pepip store verify --fix``: re-store what is missing or damaged.

A damaged entry is first moved out of ``entries/`` (one rename), so no venv imports from it
again, then the venvs that named it fetch the same pins anew and link them.

In a team store (see ``pepip/store/__init__.py``) only an entry's owner, or root, can move it: anyone else
is told whose it is. A teammate's venv that we cannot write is left to its owner; it names
the same entry path, so it works again once the entry is re-stored for any venv.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pepip import fsops
from pepip.dirhandle import NotInStore, stat_below
from pepip.commands.apply import apply_pins
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.venv.plan import Plan
from pepip.store.registry import scan_registry
from pepip.report import Reporter, plural, warn
from pepip.uv.options import UvOptions
from pepip.uv.resolve import forget_cached
from pepip.store.layout import Store
from pepip.store.trash import Trash
from pepip.venv.target import OpenVenv, open_venv, pin_of_record
from pepip.store.verify import Problem, verify_entries
from pepip.venv.wiring import damaged_files, shared_paths
from pepip.users import user_name

__all__ = ["repair", "repair_target", "fix_store", "quarantine"]


def quarantine(store: Store, entry: Path) -> None:
    """Take a damaged entry out of the store in one rename, then delete it."""
    if not store.owns(entry):
        layer = next((layer for layer in store.base_stores if layer.owns(entry)), None)
        raise PepipError(
            "store entry %s is damaged and is in the read-only base store %s; ask its admin to "
            "run `pepip store verify --fix` there" % (entry, layer.root if layer else entry.parent)
        )
    with store.locked(), Trash(store) as trash:  # the trash is in tmp/, which `store prune` empties
        try:
            trash.take(entry)  # through directories held open: a link swapped in is not followed
        except PermissionError:
            raise PepipError(
                "store entry %s is damaged and belongs to %s; ask them or the store's admin to "
                "run `pepip store verify --fix`" % (entry, _owner(store, entry))
            ) from None
        finally:
            trash.empty()


def _take_out_damaged(locations: Locations, store: Store, entry: Path) -> None:
    """Quarantine a damaged entry, and drop its package from pepip's uv cache: the cache's
    files may be the entry's own (``pepip.uv_cache``), damaged with it."""
    quarantine(store, entry)
    forget_cached(locations.uv, locations.uv_cache, [entry.parent.parent.name])


def _owner(store: Store, entry: Path) -> str:
    try:
        return user_name(stat_below(entry, store.root).st_uid)
    except (OSError, NotInStore):
        return "another user"


def repair_target(target: OpenVenv, options: UvOptions, reporter: Reporter) -> Plan:
    """Re-store every missing or damaged entry the venv's manifest names.

    Applying the venv's own pins also puts back the runtime's loader files and registers a
    venv that was moved by hand.
    """
    broken = 0
    site = target.interpreter.site_packages
    verified = verify_entries(  # bytecode of the venv's version checked by its interpreter
        [entry for entry in (record.entry_dir for record in target.manifest.dists)
         if entry.is_dir() and target.store.in_layout(entry)],
        {target.interpreter.cache_tag: target.python},
    )
    dist_infos = [record.dist_info for record in target.manifest.dists] + [f.dist_info for f in target.foreign]
    for record in target.manifest.dists:
        shared = shared_paths(site, (name for name in dist_infos if name != record.dist_info))
        damaged = damaged_files(site, record.dist_info, shared)
        for path in damaged:  # gone or changed by hand: moved aside, linked again below
            target.journal.guard(path)
        broken += bool(damaged)
        entry = record.entry_dir
        if not entry.is_dir() or not target.store.in_layout(entry):
            broken += 1  # gone, or in an older store layout: linked anew from this one
        elif verified.get(entry):
            _take_out_damaged(target.locations, target.store, entry)
            broken += 1
    manifest = target.manifest
    pins = [pin_of_record(record) for record in manifest.dists]
    if broken:
        reporter.line("Repairing %d of %s" % (broken, plural(len(manifest.dists), "package")))
    quiet = Reporter(quiet=True)
    plan = apply_pins(
        target, pins, options, manifest.requests, reporter if broken else quiet, manifest.sync, restore=True
    )
    if not broken:
        reporter.line("Nothing to repair: %s intact" % _all(len(manifest.dists)))
    return plan


def _all(count: int) -> str:
    """``the 1 package is``, ``all 3 packages are``."""
    return "the 1 package is" if count == 1 else "all %d packages are" % count


def repair(locations: Locations, options: UvOptions, reporter: Reporter) -> Plan:
    """``pepip repair``: the venv at ``locations.venv``."""
    with open_venv(locations, None, create=False, reporter=reporter) as target:
        return repair_target(target, options, reporter)


def fix_store(
    locations: Locations, problems: list[Problem], options: UvOptions, reporter: Reporter
) -> None:
    """Quarantine each damaged entry, then repair every live venv that used one."""
    store = Store.of(locations)
    damaged = sorted({problem.entry for problem in problems})
    users = scan_registry(store)
    refused: list[PepipError] = []
    kept = set()
    for entry in damaged:
        if entry.is_dir():  # else gone already (quarantine never follows a link)
            try:
                _take_out_damaged(locations, store, entry)
            except PepipError as error:  # a teammate's entry
                refused.append(error)
                kept.add(entry)
    for venv, manifest in users.live.items():
        named = {record.entry_dir for record in manifest.dists}
        if not named.intersection(damaged) or named & kept:
            continue  # intact, or it needs an entry only its owner can take out
        if not fsops.owned(venv):  # repairing runs its interpreter: never another user's
            warn(
                "skipped %s, a venv of %s; if it still fails, they can run `pepip repair --venv %s`"
                % (venv, fsops.owner_name(venv), venv)
            )
            continue
        reporter.line("Re-storing for %s" % venv)
        with open_venv(dataclasses.replace(locations, venv=venv), None, create=False) as target:
            repair_target(target, options, reporter)
    if refused:
        more = " (and %s of other users)" % plural(len(refused) - 1, "more entry", "more entries") if len(refused) > 1 else ""
        raise PepipError(refused[0].message + more)
