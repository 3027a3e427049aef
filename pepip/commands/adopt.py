"""``pepip adopt``: the distributions uv or pip installed into a venv, moved into the store.

The disk a user wants back is in the venvs they already have. Adopting one asks uv which
artifact each installed distribution is (its exact version, or its direct URL, for the
venv's interpreter), stores that artifact as an install would, and compares: only a
distribution whose files in the venv are, byte for byte, the files of that artifact is
replaced by the store's (the venv then holds what ``uv pip install`` would give it). One
built locally another way, changed by hand, or installed in editable mode stays where it
is, and is listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pepip.artifacts import Pin
from pepip.selection import HashPolicy, choose_pins
from pepip.commands.apply import apply_pins
from pepip.store.fetch import store_pins
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.report import Reporter, plural
from pepip.store.entries import file_record_hash, read_record
from pepip.store.entries import StoreEntry
from pepip.store.lookup import find_entry
from pepip.uv.options import UvOptions
from pepip.uv.resolve import resolve_pins
from pepip.venv.foreign import Foreign
from pepip.venv.target import OpenVenv, open_venv, pin_of_record

__all__ = ["Adopted", "adopt"]


@dataclass
class Adopted:
    """What ``adopt`` moved into the store, and what it left in the venv, with why."""

    moved: list[str] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)
    freed: int = 0


def adopt(locations: Locations, options: UvOptions, reporter: Reporter) -> Adopted:
    """Move every foreign distribution of the venv whose files are its artifact's into the store."""
    result = Adopted()
    with open_venv(locations, None, create=False, reporter=reporter) as target:
        candidates = []
        for item in target.foreign:
            if item.editable:
                result.kept.append((item.name, "installed in editable mode"))
            else:
                candidates.append(item)
        if not candidates:
            reporter.line("Nothing to adopt" + ("" if not result.kept else ": %s stays" % plural(len(result.kept), "package")))
            return result
        pins = _identify(target, candidates, options)
        by_name = {item.name: item for item in candidates}
        entries = _entries(target, list(pins.values()), options, reporter)
        site = target.interpreter.site_packages
        chosen = []
        for name, item in sorted(by_name.items()):
            pin, entry = pins.get(name), entries.get(name)
            if pin is None or entry is None:
                result.kept.append((name, "uv found no artifact of %s %s" % (name, item.version)))
            elif not _same_files(site, item.dist_info, entry):
                result.kept.append((name, "its files differ from %s" % pin.spec))
            else:
                chosen.append(pin)
                result.freed += _bytes(site, item.dist_info)
        if chosen:
            current = [pin_of_record(record) for record in target.manifest.dists]
            requested = [str(pin.name) for pin in chosen if (site / by_name[pin.name].dist_info / "REQUESTED").exists()]
            apply_pins(
                target, current + chosen, options, target.manifest.requests + requested, reporter,
                target.manifest.sync, reinstall=frozenset(pin.name for pin in chosen),
            )
            result.moved = [pin.name for pin in chosen]
    return result


def _identify(target: OpenVenv, items: list[Foreign], options: UvOptions) -> dict[str, Pin]:
    """The artifact ``uv pip install`` would install for each item's version (or URL); one
    that the given indexes do not have is left out (asked one by one when all at once fails)."""
    requests = [item.requirement if item.url else "%s==%s" % (item.name, item.version) for item in items]

    def resolve(texts: list[str]) -> dict[str, Pin]:
        locked = resolve_pins(
            target.locations.uv, target.python, texts, [], [], options, target.locations.uv_cache, no_deps=True,
        )
        return {pin.name: pin for pin in choose_pins(locked, target.tag_priority(), HashPolicy())}

    try:
        return resolve(requests)
    except PepipError:
        found: dict[str, Pin] = {}
        for text in requests:
            try:
                found.update(resolve([text]))
            except PepipError:
                continue  # kept in the venv, and named
        return found


def _entries(target: OpenVenv, pins: list[Pin], options: UvOptions, reporter: Reporter) -> dict[str, StoreEntry]:
    """An entry per pin: found in the store, else stored now."""
    priority = target.tag_priority()
    found: dict[str, StoreEntry] = {}
    missing = []
    for pin in pins:
        entry = find_entry(target.store, pin, priority)
        if entry is None:
            missing.append(pin)
        else:
            found[pin.name] = entry
    if missing:
        with reporter.step("store", "Downloading and storing %s" % plural(len(missing), "package")) as progress:
            for pin, entry in store_pins(target.locations, target.store, target.python, priority, missing, options, progress):
                found[pin.name] = entry
    return found


def _same_files(site: Path, dist_info: str, entry: StoreEntry) -> bool:
    """Whether the venv's files of the distribution (read, not as its RECORD remembers them)
    are the entry's importable files: same paths, same content."""
    ours = {  # bytecode rows of an entry have no hash: the store compiles its own
        path[len("site/"):]: digest for path, digest, _size in read_record(entry.dist_info_dir / "RECORD")
        if path.startswith("site/") and digest
    }
    theirs = {}
    for path, _digest, _size in read_record(site / dist_info / "RECORD"):
        if path.startswith(("..", "/")) or path.startswith(dist_info + "/") or _bytecode(path):
            continue
        try:
            theirs[path] = file_record_hash(site / path)
        except OSError:
            return False
    return theirs == ours


def _bytecode(path: str) -> bool:
    return "__pycache__/" in path or path.endswith(".pyc")


def _bytes(site: Path, dist_info: str) -> int:
    total = 0
    for path, _digest, _size in read_record(site / dist_info / "RECORD"):
        try:
            total += (site / path).stat().st_size
        except OSError:
            pass
    return total
