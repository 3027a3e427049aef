"""Make a venv match a list of pins: plan -> fetch what the store lacks -> wire -> manifest.

Every command that changes what a venv holds (install, sync, repair) ends here, so all of
them share one order of steps: nothing in the venv changes before every entry the new
manifest names is published, and the manifest is replaced last, atomically.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import AbstractSet, Iterable


from pepip import fsops
from pepip.artifacts import Pin
from pepip.errors import PepipError
from pepip.venv.foreign import Foreign
from pepip.manifest import DistRecord, Manifest, write_manifest
from pepip.commands.plan import Plan, make_plan
from pepip import terminal
from pepip.progress import StepProgress, UvDisplay, UvLog
from pepip.store.registry import register_venv
from pepip.store.reserve import reserve_entries
from pepip.report import Reporter, plural
from pepip.uv.resolve import UvOptions, fetch_pins, request_name, uninstall_from_venv
from pepip.store.native import preload_paths
from pepip.uv_cache import shares_files
from pepip.store.layout import Store, StoreEntry, entry_present, read_entry
from pepip.venv.target import OpenVenv, pin_of_record
from pepip.venv.wiring import link_entry, recorded_files, unlink_record, venv_files, wire_runtime

__all__ = ["apply_pins", "report_dry_run", "requested_names", "store_pins", "guard_foreign", "relink_incomplete"]


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
    priority = target.tag_priority()
    with store.locked():  # prune waits until the manifest names what is linked
        plan = make_plan(pins, target.manifest.dists, store, priority, target.foreign, exact, reinstall, spared)
        _reserve(store, target.venv, plan)  # other machines' prunes keep them from now on
        if plan.missing:
            headline = "Downloading and storing %s" % plural(len(plan.missing), "package")
            with reporter.step("store", headline) as progress:
                plan.linked.extend(store_pins(target, plan.missing, options, progress))
            reporter.line("Stored %s in %s" % (plural(len(plan.missing), "package"), reporter.took("store")))
            _reserve(store, target.venv, plan)  # now with what was just stored
        if plan.foreign_removed:
            guard_foreign(target, plan.foreign_removed)
            names = [item.name for item in plan.foreign_removed]
            uninstall_from_venv(target.locations.uv, target.python, names)
        with reporter.step("wire", "Linking"):
            records = _wire(target, plan, requested_names(requests), reporter, restore, options)
        manifest = Manifest(target.interpreter.fields(), requests, records, sync, _preloads(records))
        write_manifest(target.venv, manifest, target.journal)  # only files whose content changes
        # After success: the record lists what the venv now names (a failed install leaves
        # the intent of reserve_entries, which keeps a few entries until the venv is gone).
        register_venv(store, target.venv, [Path(record.site_dir).parent for record in records])
        target.manifest = manifest
    _report(reporter, plan)
    return plan


def _reserve(store: Store, venv: Path, plan: Plan) -> None:
    """Keep other machines' prunes from what ``plan`` links; an entry a prune took meanwhile
    moves to ``missing``, to be stored again (``pepip.store.reserve``)."""
    # The venv names what the plan removes until its manifest is replaced (or, if this
    # install fails, again): those stay listed too.
    keep = [Path(record.site_dir).parent for record in plan.unchanged + plan.removed]
    gone = reserve_entries(store, venv, keep, [entry.path for _pin, entry in plan.linked])
    if gone:
        plan.missing.extend(pin for pin, entry in plan.linked if entry.path in gone)
        plan.linked[:] = [(pin, entry) for pin, entry in plan.linked if entry.path not in gone]


def store_pins(
    target: OpenVenv,
    pins: list[Pin],
    options: UvOptions,
    progress: StepProgress | None = None,
) -> list[tuple[Pin, StoreEntry]]:
    """Have uv fetch ``pins`` into a staging prefix, then publish each as a store entry.

    With ``progress`` live on a terminal, uv draws on a terminal of its own and its counts
    and download sizes show in ``progress`` (``pepip.progress``), then the entries stored;
    elsewhere uv's lines about downloads and builds are printed as they come.
    """
    # Imported here: a warm install, which finds every pin in the store, never stores one.
    from pepip.store.bytecode import bytecode_mode, compile_later
    from pepip.store.staging import add_staged

    display = lines = None
    if progress is not None and progress.live and terminal.available() and not target.locations.uv.verbose:
        display = UvDisplay(progress).feed
    elif progress is not None and progress.log is not None:
        lines = UvLog(progress.log).feed
    with target.store.staging() as work:
        prefix = work / "prefix"
        lazy = target.locations.lazy_bytecode
        cache = target.locations.uv_cache
        shared = cache if shares_files(cache, target.store.root) else None
        fetch_pins(target.locations.uv, target.python, pins, options, prefix, shared, not lazy, display, lines)
        counted = iter(range(1, len(pins) + 1))
        shown = progress if progress is not None else StepProgress("", None)
        shown.counts("Storing", 0, len(pins))

        def count() -> None:
            shown.counts("Storing", next(counted, len(pins)), len(pins))

        by_name = {pin.name: pin for pin in pins}
        entries = {
            entry.name: entry for entry in add_staged(target.store, prefix, target.python, by_name, lazy, count)
        }
        if bytecode_mode(target.store, target.locations.bytecode) == "background":
            compile_later(target.python, [entry.path for entry in entries.values() if target.store.owns(entry.path)])
    stored = []
    for pin in pins:
        entry = entries.get(pin.name)
        if entry is None:
            raise PepipError("uv did not install %s; run again with --verbose" % pin.spec)
        stored.append((pin, entry))
    return stored


def guard_foreign(target: OpenVenv, distributions: Iterable[Foreign]) -> None:
    """Journal the files of distributions uv is about to remove (kept as hardlinked copies)."""
    journal, site = target.journal, target.interpreter.site_packages
    for item in distributions:
        dist_info = site / item.dist_info
        for path in recorded_files(site, item.dist_info):
            if path.is_relative_to(target.venv) and not path.is_relative_to(dist_info):
                journal.guard(path, keep=True)
        journal.guard(dist_info, keep=True)


def _wire(
    target: OpenVenv, plan: Plan, requested: AbstractSet[str], reporter: Reporter, restore: bool, options: UvOptions
) -> list[DistRecord]:
    journal = target.journal
    wire_runtime(target.interpreter, target.python, journal)
    for record in plan.removed:
        unlink_record(target.interpreter, record, journal)
    owners = _Owners(target, plan.unchanged)
    records = [
        _link(target, pin, entry, pin.name in requested, owners, reporter, options) for pin, entry in plan.linked
    ]
    if restore or plan.removed or plan.foreign_removed:
        # A kept distribution's launcher goes missing only with the one that had replaced it
        # (or by hand, which doctor names and repair restores): no RECORD read otherwise.
        records += relink_incomplete(target, plan.unchanged, reporter, options)
    else:
        records += plan.unchanged
    return sorted(records, key=lambda record: record.name)


def _link(
    target: OpenVenv,
    pin: Pin,
    entry: StoreEntry,
    requested: bool,
    owners: _Owners,
    reporter: Reporter,
    options: UvOptions,
) -> DistRecord:
    """Link ``entry`` into the venv; on a shared store, store it again if it goes meanwhile.

    Another machine's prune can move an entry out while it is being linked: its lock does
    not reach here, and its reading of the registry may predate this venv's record by the
    mount's delay. The entry is then stored again (or found put back) and linked afresh.
    """
    journal = target.journal
    mark = journal.count

    def replacing(path: Path) -> None:
        if journal.guarded_since(mark, path):
            return  # written by the attempt an entry taken away cut short
        reporter.warning(
            "%s replaces %s of %s (the last one installed wins, as with pip)"
            % (pin.name, os.path.relpath(path, target.venv), owners.of(path))
        )

    stored_again = False
    while True:
        try:
            return link_entry(
                target.venv, target.interpreter, target.python, pin, entry, requested,
                target.locations.copy_files, journal, replacing,
            )
        except OSError as error:
            # Stored again, an entry is young: no prune takes it (they spare the grace period).
            if stored_again or not target.store.sharing.shared or entry_present(entry.path):
                raise _link_error(pin, entry, target.venv, error) from None
        fsops.remove_tree(target.interpreter.site_packages / entry.dist_info)  # half made; guarded
        ((_pin, entry),) = store_pins(target, [pin], options)
        stored_again = True


def _link_error(pin: Pin, entry: StoreEntry, venv: Path, error: OSError) -> PepipError:
    """Why linking failed, with the store's remedy only where the store was at fault (not a
    full venv disk, say, or a name the venv's filesystem cannot hold)."""
    place = error.filename if isinstance(error.filename, str) else ""
    in_store = not place or Path(place).is_relative_to(entry.path)
    if error.errno not in (errno.ENOENT, errno.ENOTDIR, errno.EISDIR) or not in_store:
        return PepipError("cannot link %s into %s (%s)" % (pin.spec, place or venv, error.strerror or error))
    return PepipError(
        "cannot link %s from %s (%s); if the store entry is damaged run `pepip store verify --fix`"
        % (pin.spec, entry.path, error.strerror or error)
    )


class _Owners:
    """Which distribution of the venv placed a file outside site-packages (read on demand:
    only a replaced file asks)."""

    def __init__(self, target: OpenVenv, records: list[DistRecord]) -> None:
        self._site = target.interpreter.site_packages
        self._dist_infos = [(record.name, record.dist_info) for record in records]
        self._dist_infos += [(item.name, item.dist_info) for item in target.foreign]
        self._known: dict[Path, str] | None = None

    def of(self, path: Path) -> str:
        if self._known is None:
            self._known = {
                placed: name for name, dist_info in self._dist_infos for placed, _ in venv_files(self._site, dist_info)
            }
        return self._known.get(path, "a file pepip did not install")


def relink_incomplete(
    target: OpenVenv, records: list[DistRecord], reporter: Reporter, options: UvOptions
) -> list[DistRecord]:
    """``records`` with every one whose launchers or data files are gone linked again.

    Such a file was replaced by another distribution's and went with it (``pepip uninstall``
    of that one, or pip's): the venv gets back what this distribution installs, as a
    reinstall would give it.
    """
    site, kept = target.interpreter.site_packages, []
    for record in records:
        missing = [path for path, _hash in venv_files(site, record.dist_info) if not os.path.lexists(path)]
        if not missing:
            kept.append(record)
            continue
        reporter.warning("%s: restored %s" % (record.name, ", ".join(os.path.relpath(p, target.venv) for p in missing)))
        requested = (site / record.dist_info / "REQUESTED").exists()
        unlink_record(target.interpreter, record, target.journal)
        entry = read_entry(Path(record.site_dir).parent)
        kept.append(_link(target, pin_of_record(record), entry, requested, _Owners(target, records), reporter, options))
    return kept


def _preloads(records: list[DistRecord]) -> dict[str, tuple[str, ...]]:
    """Native libraries each distribution needs from the venv's other distributions."""
    entries = {record.name: read_entry(Path(record.site_dir).parent) for record in records}
    preloads = {}
    for name, entry in entries.items():
        if entry.native is None:
            continue
        providers = [other.site_dir for other_name, other in entries.items() if other_name != name]
        paths = preload_paths(entry.native, providers)
        if paths:
            preloads[name] = tuple(paths)
    return preloads


def _report(reporter: Reporter, plan: Plan) -> None:
    """uv's summary: `` - old``, `` + new``, and `` ~ same`` for a distribution put back at
    the version it had (repair re-links what it re-stored: one line, not a - and a +)."""
    if plan.changes_nothing:
        reporter.line("Audited %s; nothing to change" % plural(len(plan.unchanged), "package"))
        return
    reporter.line("Linked %s in %s" % (plural(len(plan.linked), "package"), reporter.took("wire")))
    for line in _change_lines(plan, []):
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
    for line in _change_lines(plan, plan.missing):
        reporter.line(line)


def _change_lines(plan: Plan, pending: list[Pin]) -> list[str]:
    """`` - old``, `` + new`` and `` ~ same`` lines; ``pending``: pins not stored yet."""
    removed = {(record.name, record.version) for record in plan.removed}
    removed |= {(item.name, item.version) for item in plan.foreign_removed}
    added = {(pin.name, entry.version) for pin, entry in plan.linked}
    added |= {(pin.name, pin.version or "") for pin in pending}
    changes = [(name, version, "~" if (name, version) in added else "-") for name, version in removed]
    changes += [(name, version, "+") for name, version in added if (name, version) not in removed]
    return [
        " %s %s==%s" % (sign, name, version)
        for name, version, sign in sorted(changes, key=lambda change: (change[0], change[2] != "-"))
    ]
