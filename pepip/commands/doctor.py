"""``pepip doctor``: every problem of a venv, reported without changing anything."""

from __future__ import annotations

import marshal
import os
from pathlib import Path

import pepip_runtime
from pepip.store.entries import ENTRY_FILE
from pepip.errors import PepipError
from pepip.venv.interpreter import Interpreter, venv_python
from pepip.venv.journal import unfinished
from pepip.locations import Locations
from pepip.manifest import DistRecord, read_manifest
from pepip.store.registry import is_registered
from pepip.store.layout import Store
from pepip.venv.foreign import is_pepips
from pepip.venv.target import moved_message
from pepip.store.verify import Problem, verify_entries
from pepip.venv.wiring import damaged_files, shared_paths

__all__ = ["diagnose"]


def diagnose(locations: Locations) -> list[str]:
    """One line per problem; an empty list means the venv is healthy."""
    venv = locations.venv
    if not (venv / "pyvenv.cfg").is_file():
        return ["no venv at %s" % venv]
    python = venv_python(venv)
    problems = _venv_problems(venv, python)
    way_out = "remove the venv and make it anew with `pepip install` (`uv pip freeze --python %s` lists what it held)"
    try:  # every command that meets a damaged manifest sends the user here: say the way out
        manifest = read_manifest(venv, way_out % python)
    except PepipError as error:
        return problems + [error.message]
    if manifest is None:
        return problems + ["%s is not wired by pepip (no manifest); run `pepip install`" % venv]
    interpreter = Interpreter.from_fields(manifest.interpreter)
    if interpreter is None:
        return problems + ["the manifest of %s names no interpreter; run `pepip repair`" % venv]
    if interpreter.moved_from(venv) is not None:
        return problems + [moved_message(venv, interpreter.moved_from(venv))]
    problems.extend(_runtime_problems(venv, interpreter.site_packages))
    store = Store.of(locations)
    problems.extend(_dists_problems(manifest.dists, store, venv, interpreter, python))
    problems.extend(_unlisted_problems(manifest.dists, interpreter.site_packages))
    if not is_registered(store, venv):
        problems.append("%s is not registered with the store at %s (moved?); run `pepip repair`" % (venv, locations.store_root))
    return problems


def _venv_problems(venv: Path, python: Path) -> list[str]:
    """A pepip command at work on the venv (or killed while it was), and a gone interpreter."""
    problems = []
    if unfinished(venv):
        problems.append(
            "a pepip command is changing %s, or was killed while it did; the next pepip command "
            "on the venv (`pepip list`, say) waits for it or undoes its change" % venv
        )
    if not (python.exists() and os.access(python, os.X_OK)):
        problems.append("the interpreter %s is gone; recreate the venv with `pepip venv`" % python)
    return problems


def _runtime_problems(venv: Path, site: Path) -> list[str]:
    """What the runtime needs at start-up: the index, the ``.pth`` and the runtime package."""
    problems = []
    index = venv / pepip_runtime.INDEX_NAME
    if not _index_loads(index):  # the runtime says so at start-up, and sends the user here
        problems.append("the runtime index %s is missing or damaged; run `pepip repair`" % index)
    for name in (pepip_runtime.PTH_NAME, "pepip_runtime/__init__.py"):
        if not (site / name).exists():
            problems.append("%s is missing from %s; run `pepip repair`" % (name, site))
    return problems


def _dists_problems(
    dists: list[DistRecord], store: Store, venv: Path, interpreter: Interpreter, python: Path
) -> list[str]:
    """What is wrong with the distributions the manifest names, their store entries verified."""
    site = interpreter.site_packages
    present = set(os.listdir(site)) if site.is_dir() else set()
    dist_infos = [record.dist_info for record in dists] + sorted(
        name for name in present if name.endswith(".dist-info")
    )
    # Bytecode of the venv's Python version is checked by the venv's interpreter.
    verified = verify_entries(
        [entry for entry in (record.entry_dir for record in dists)
         if (entry / ENTRY_FILE).is_file() and store.in_layout(entry)],
        {interpreter.cache_tag: python},
    )
    problems = []
    for record in dists:
        shared = shared_paths(site, (name for name in dist_infos if name != record.dist_info))
        problems.extend(_record_problems(record, store, site, venv, present, shared, verified))
    return problems


def _unlisted_problems(dists: list[DistRecord], site: Path) -> list[str]:
    """Dist-infos in site-packages marked as pepip's that the manifest does not name."""
    wired = {record.dist_info for record in dists}
    problems = []
    for dist_info in sorted(site.glob("*.dist-info")) if site.is_dir() else []:
        installer = dist_info / "INSTALLER"
        if dist_info.name not in wired and installer.is_file() and installer.read_text().strip() == "pepip":
            problems.append("%s is marked as pepip's but the manifest does not name it" % dist_info.name)
    return problems


def _record_problems(
    record: DistRecord, store: Store, site: Path, venv: Path, present: set[str], shared: set[Path],
    verified: dict[Path, list[Problem]],
) -> list[str]:
    """What is wrong with one distribution of the venv: its entry, its venv files, its dist-info."""
    about = "%s %s:" % (record.name, record.version)
    problems = []
    entry = record.entry_dir
    if not (entry / ENTRY_FILE).is_file():
        problems.append("%s store entry %s is missing; run `pepip repair`" % (about, entry))
    elif not store.in_layout(entry):
        problems.append("%s linked from %s, an entry of an older pepip's store layout; run `pepip repair`" % (about, entry))
    else:
        differs = verified.get(entry, [])
        if differs:
            more = " and %d more" % (len(differs) - 1) if len(differs) > 1 else ""
            problems.append(
                "%s store entry %s is damaged (%s %s%s); run `pepip repair`"
                % (about, entry, differs[0].kind, differs[0].path, more)
            )
    if record.dist_info not in present:
        problems.append(
            "%s its dist-info was removed from site-packages (pip or uv uninstall?); pepip no longer imports it" % about
        )
        return problems
    if not is_pepips(site, record.dist_info):
        problems.append(
            "%s pip or uv installed it again into site-packages; that copy is the one imported, not the "
            "store's (`pepip uninstall %s` removes it)" % (about, record.name)
        )
        return problems
    for path in damaged_files(site, record.dist_info, shared):
        problems.append(
            "%s %s is gone or was changed; run `pepip repair`"
            % (about, os.path.relpath(path, venv))
        )
    return problems


def _index_loads(path: Path) -> bool:
    """True when the runtime can load the index at ``path`` (as ``pepip_runtime.install`` does)."""
    try:
        loaded = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return False
    return isinstance(loaded, tuple) and len(loaded) == 5 and loaded[0] == pepip_runtime.INDEX_FORMAT
