"""Make a venv match a list of pins: plan -> fetch what the store lacks -> wire -> manifest.

Every command that changes what a venv holds (install, sync, repair, adopt) ends here, so
all of them share one order of steps, each taking the value the last returned: nothing in
the venv changes before every entry the new manifest names is published, and the manifest
is replaced last, atomically (``OpenVenv.record``).
"""

from __future__ import annotations

from pathlib import Path
from typing import AbstractSet, Iterable

from pepip.artifacts import Pin
from pepip.report import Reporter, plural
from pepip.store.fetch import store_pins
from pepip.store.entries import StoreEntry
from pepip.store.layout import Store
from pepip.store.reserve import reserve_entries
from pepip.uv.options import UvOptions
from pepip.uv.requests import request_name
from pepip.uv.resolve import uninstall_from_venv
from pepip.venv.foreign import Foreign
from pepip.venv.plan import Plan, make_plan
from pepip.venv.target import OpenVenv
from pepip.venv.wiring import StoreAgain, recorded_files, wire_plan

__all__ = ["apply_pins", "report_dry_run", "requested_names", "guard_foreign", "storing_again"]


def requested_names(requests: list[str]) -> set[str]:
    """Normalized names of requirement strings."""
    return {request_name(text) for text in requests}


def apply_pins(
    target: OpenVenv,
    pins: list[Pin],
    options: UvOptions,
    requests: list[str],
    reporter: Reporter,
    sync: str = "",
    exact: bool = False,
    restore: bool = False,
    reinstall: AbstractSet[str] = frozenset(),
    spared: AbstractSet[str] = frozenset(),
) -> Plan:
    """Change the venv to hold exactly ``pins``; return what changed.

    ``exact`` removes what pip or uv installed that the pins do not name (sync), except the
    ``spared`` names (the project a sync installs itself); ``restore`` links again the
    launchers and data files of kept distributions that are gone (repair); ``reinstall``
    names pins linked again from the store although the venv has them.
    """
    store = target.store
    with store.locked():  # prune waits until the manifest names what is linked
        plan = make_plan(pins, target.manifest.dists, store, target.tag_priority(), target.foreign, exact, reinstall, spared)
        plan = _reserved(store, target.venv, plan)  # other machines' prunes keep them from now on
        if plan.missing:
            count = plural(len(plan.missing), "package")
            with reporter.step("store", "Downloading and storing %s" % count) as progress:
                stored = store_pins(
                    target.locations, store, target.python, target.tag_priority(), plan.missing, options, progress
                )
            reporter.line("Stored %s in %s" % (count, reporter.took("store")))
            plan = _reserved(store, target.venv, plan.with_stored(stored))  # now with what was just stored
        if plan.foreign_removed:
            guard_foreign(target, plan.foreign_removed)
            uninstall_from_venv(target.locations.uv, target.python, [item.name for item in plan.foreign_removed])
        with reporter.step("wire", "Linking"):
            records = wire_plan(target, plan, requested_names(requests), reporter, restore, storing_again(target, options))
        target.record(requests, records, sync)
    _report(reporter, plan)
    return plan


def storing_again(target: OpenVenv, options: UvOptions) -> StoreAgain:
    """How wiring gets a pin's entry back when another machine's prune took it meanwhile."""
    def store_again(pin: Pin) -> StoreEntry:
        ((_pin, entry),) = store_pins(target.locations, target.store, target.python, target.tag_priority(), [pin], options)
        return entry
    return store_again


def _reserved(store: Store, venv: Path, plan: Plan) -> Plan:
    """Keep other machines' prunes from what ``plan`` links; an entry a prune took meanwhile
    becomes missing, to be stored again (``pepip.store.reserve``)."""
    # The venv names what the plan removes until its manifest is replaced (or, if this
    # install fails, again): those stay listed too.
    keep = [record.entry_dir for record in plan.unchanged + plan.removed]
    return plan.without_entries(reserve_entries(store, venv, keep, [entry.path for _pin, entry in plan.linked]))


def guard_foreign(target: OpenVenv, distributions: Iterable[Foreign]) -> None:
    """Journal the files of distributions uv is about to remove (kept as hardlinked copies)."""
    journal, site = target.journal, target.interpreter.site_packages
    for item in distributions:
        dist_info = site / item.dist_info
        for path in recorded_files(site, item.dist_info):
            if path.is_relative_to(target.venv) and not path.is_relative_to(dist_info):
                journal.guard(path, keep=True)
        journal.guard(dist_info, keep=True)


def _report(reporter: Reporter, plan: Plan) -> None:
    """uv's summary: `` - old``, `` + new``, and `` ~ same`` for a distribution put back at
    the version it had (repair re-links what it re-stored: one line, not a - and a +)."""
    if plan.changes_nothing:
        reporter.line("Audited %s; nothing to change" % plural(len(plan.unchanged), "package"))
        return
    reporter.line("Linked %s in %s" % (plural(len(plan.linked), "package"), reporter.took("wire")))
    for line in _change_lines(plan):
        reporter.line(line)


def report_dry_run(reporter: Reporter, plan: Plan) -> None:
    """What applying ``plan`` would do, as ``uv pip install --dry-run`` says it (nothing is done)."""
    if plan.changes_nothing:
        reporter.line("Would make no changes")
        return
    if plan.missing:
        reporter.line("Would store %s" % plural(len(plan.missing), "package"))
    if plan.removed or plan.foreign_removed:
        reporter.line("Would uninstall %s" % plural(len(plan.removed) + len(plan.foreign_removed), "package"))
    reporter.line("Would link %s" % plural(len(plan.linked) + len(plan.missing), "package"))
    for line in _change_lines(plan):
        reporter.line(line)


def _change_lines(plan: Plan) -> list[str]:
    """`` - old``, `` + new`` and `` ~ same`` lines; a missing pin (a dry run's, not stored
    yet) counts as added at its pinned version."""
    removed = {(record.name, record.version) for record in plan.removed}
    removed |= {(item.name, item.version) for item in plan.foreign_removed}
    added = {(pin.name, entry.version) for pin, entry in plan.linked}
    added |= {(pin.name, pin.version or "") for pin in plan.missing}
    changes = [(name, version, "~" if (name, version) in added else "-") for name, version in removed]
    changes += [(name, version, "+") for name, version in added if (name, version) not in removed]
    return [
        " %s %s==%s" % (sign, name, version)
        for name, version, sign in sorted(changes, key=lambda change: (change[0], change[2] != "-"))
    ]
