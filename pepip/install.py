"""``pepip install``: resolve -> plan -> fetch into the store -> wire -> write the manifest.

Nothing in the venv changes before every distribution the new manifest names is published in
the store, so a failed resolution or download leaves the venv as it was; a venv this command
created is removed again when it fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet

from packaging.utils import canonicalize_name

from pepip import fsops
from pepip.errors import PepipError
from pepip.interpreter import Interpreter, query_interpreter, venv_python
from pepip.locations import Locations
from pepip.manifest import DistRecord, Manifest, read_manifest, write_manifest
from pepip.plan import Plan, make_plan
from pepip.report import Reporter
from pepip.resolve import NormalizedName, Pin, UvOptions, create_venv, fetch_pins, parse_request, resolve_pins
from pepip.store import Store, StoreEntry
from pepip.wiring import link_entry, unlink_record, wire_runtime

__all__ = ["InstallRequest", "install"]


@dataclass(frozen=True)
class InstallRequest:
    """What the user asked ``pepip install`` for."""

    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    python: str | None = None
    options: UvOptions = UvOptions()


def install(locations: Locations, request: InstallRequest, reporter: Reporter) -> Plan:
    """Install the requested distributions into the venv; return what changed."""
    for requirement in request.requirements:
        parse_request(requirement)
    for path in request.requirement_files + request.options.constraints:
        if not path.is_file():
            raise PepipError("requirements file %s does not exist" % path)
    if not request.requirements and not request.requirement_files:
        raise PepipError("nothing to install; name packages or pass -r FILE")
    venv = locations.venv
    if venv.exists() and not venv.is_dir():
        raise PepipError("the venv path %s is a file; pass another --venv" % venv)
    store = Store(locations.store_root)
    store.ensure()
    existed = venv.exists()
    created = not (venv / "pyvenv.cfg").is_file()
    if created:
        if existed and any(venv.iterdir()):
            raise PepipError("%s exists and is not a venv; pass another --venv" % venv)
        create_venv(locations.uv, venv, request.python)
    try:
        return _install_into(locations, store, request, reporter)
    except BaseException:
        if created:
            fsops.remove_tree(venv)
            if existed:
                venv.mkdir()
        raise


def _install_into(
    locations: Locations, store: Store, request: InstallRequest, reporter: Reporter
) -> Plan:
    venv = locations.venv
    python = venv_python(venv)
    manifest = read_manifest(venv)
    interpreter = None if manifest is None else Interpreter.from_fields(manifest.interpreter)
    if interpreter is None:
        interpreter = query_interpreter(python)
    current = [] if manifest is None else manifest.dists
    requests = _merged_requests([] if manifest is None else manifest.requests, request.requirements)
    work = store.staging_dir()
    try:
        with reporter.step("resolve", "Resolving"):
            pins = resolve_pins(
                locations.uv,
                python,
                list(request.requirements) + _kept_installs(current, request.requirements),
                request.requirement_files,
                [
                    Pin(NormalizedName(record.name), record.version)
                    for record in current
                    if " @ " not in record.source
                ],
                request.options,
                work,
            )
        reporter.line("Resolved %d packages in %s" % (len(pins), reporter.took("resolve")))
        priority = {str(tag): rank for rank, tag in enumerate(interpreter.supported_tags())}
        plan = make_plan(pins, current, store, priority)
        if plan.missing:
            with reporter.step("store", "Downloading and storing %d packages" % len(plan.missing)):
                plan.linked.extend(_store_missing(locations, store, plan.missing, request, work))
            reporter.line("Stored %d packages in %s" % (len(plan.missing), reporter.took("store")))
    finally:
        fsops.remove_tree(work)
    requested = {canonicalize_name(parse_request(text).name) for text in requests}
    with reporter.step("wire", "Linking"):
        records = _wire(venv, interpreter, python, plan, requested, locations.symlinks)
    write_manifest(venv, Manifest(interpreter.fields(), requests, records))
    store.register_venv(venv)
    _report(reporter, plan)
    return plan


def _merged_requests(previous: list[str], new: tuple[str, ...]) -> list[str]:
    """The venv's requests with the new ones replacing earlier requests of the same name."""
    new_names = {canonicalize_name(parse_request(text).name) for text in new}
    kept = [text for text in previous if canonicalize_name(parse_request(text).name) not in new_names]
    return kept + list(new)


def _kept_installs(current: list[DistRecord], requests: tuple[str, ...]) -> list[str]:
    """Installed distributions the new request does not name: kept, unpinned.

    Like ``uv pip install``, earlier requests do not bind a new one: the installed versions are
    only preferences (``resolve_pins``), so a conflicting request moves them.
    """
    named = {canonicalize_name(parse_request(text).name) for text in requests}
    return [
        record.source if " @ " in record.source else record.name
        for record in current
        if record.name not in named
    ]


def _store_missing(
    locations: Locations, store: Store, missing: list[Pin], request: InstallRequest, work: Path
) -> list[tuple[Pin, StoreEntry]]:
    """Have uv fetch the missing pins into a staging prefix, then publish each as an entry."""
    python = venv_python(locations.venv)
    prefix = work / "prefix"
    fetch_pins(locations.uv, python, missing, request.options, prefix)
    entries = {entry.name: entry for entry in store.add_staged(prefix, python)}
    linked = []
    for pin in missing:
        entry = entries.get(pin.name)
        if entry is None:
            raise PepipError("uv did not install %s; run again with --verbose" % pin.spec)
        linked.append((pin, entry))
    return linked


def _wire(
    venv: Path,
    interpreter: Interpreter,
    python: Path,
    plan: Plan,
    requested: AbstractSet[str],
    symlinks: bool,
) -> list[DistRecord]:
    wire_runtime(interpreter, python)
    for record in plan.removed:
        unlink_record(interpreter, record)
    records = list(plan.unchanged)
    for pin, entry in plan.linked:
        records.append(
            link_entry(venv, interpreter, python, pin, entry, pin.name in requested, symlinks)
        )
    return sorted(records, key=lambda record: record.name)


def _report(reporter: Reporter, plan: Plan) -> None:
    if plan.changes_nothing:
        reporter.line("Audited %d packages; nothing to change" % len(plan.unchanged))
        return
    reporter.line("Linked %d packages in %s" % (len(plan.linked), reporter.took("wire")))
    changes = [(record.name, " - %s==%s" % (record.name, record.version)) for record in plan.removed]
    changes += [(pin.name, " + %s==%s" % (pin.name, entry.version)) for pin, entry in plan.linked]
    for _name, text in sorted(changes):
        reporter.line(text)
