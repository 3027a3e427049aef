"""The fetch step: what the store lacks, downloaded or built by uv, published as entries.

uv installs the pins into a staging prefix on the store's filesystem; each distribution
there becomes an entry (``pepip.store.staging``). The step takes pins and returns their
entries: it never looks at a venv, and wiring never calls it but through the function it
is handed (``pepip.venv.wiring.wire_plan``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from pepip import terminal
from pepip.artifacts import Pin
from pepip.selection import HashPolicy, choose_pins
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.progress import StepProgress, UvDisplay, UvLog
from pepip.store.entries import StoreEntry
from pepip.store.layout import Store
from pepip.uv.options import UvOptions
from pepip.uv.resolve import fetch_pins, resolve_pins
from pepip.uv_cache import shares_files

__all__ = ["store_pins"]


def store_pins(
    locations: Locations,
    store: Store,
    python: Path,
    priority: dict[str, int],
    pins: Sequence[Pin],
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

    pins = _located(locations, python, priority, pins, options)
    display = lines = None
    if progress is not None and progress.live and terminal.available() and not locations.uv.verbose:
        display = UvDisplay(progress).feed
    elif progress is not None and progress.log is not None:
        lines = UvLog(progress.log).feed
    with store.staging() as work:
        prefix = work / "prefix"
        lazy = locations.lazy_bytecode
        shared = locations.uv_cache if shares_files(locations.uv_cache, store.root) else None
        fetch_pins(locations.uv, python, pins, options, prefix, shared, not lazy, display, lines)
        counted = iter(range(1, len(pins) + 1))
        shown = progress if progress is not None else StepProgress("", None)
        shown.counts("Storing", 0, len(pins))

        def count() -> None:
            shown.counts("Storing", next(counted, len(pins)), len(pins))

        by_name = {pin.name: pin for pin in pins}
        entries = {entry.name: entry for entry in add_staged(store, prefix, python, by_name, lazy, count)}
        if bytecode_mode(store, locations.bytecode) == "background":
            compile_later(python, [entry.path for entry in entries.values() if store.owns(entry.path)])
    stored = []
    for pin in pins:
        entry = entries.get(pin.name)
        if entry is None:
            raise PepipError("uv did not install %s; run again with --verbose" % pin.spec)
        stored.append((pin, entry))
    return stored


def _located(
    locations: Locations, python: Path, priority: dict[str, int], pins: Sequence[Pin], options: UvOptions
) -> list[Pin]:
    """``pins`` with their artifacts located: one an offline resolution took from the store
    may name its wheel by file name alone (``Artifact.located``), so uv is asked which
    artifact its exact version means, without dependencies."""
    unknown = [pin for pin in pins if pin.artifact is None or not pin.artifact.located]
    if not unknown:
        return list(pins)
    locked = resolve_pins(
        locations.uv, python, [pin.spec for pin in unknown], [], [], options, locations.uv_cache, no_deps=True,
    )
    found = {pin.name: pin for pin in choose_pins(locked, priority, HashPolicy())}
    return [found.get(pin.name, pin) if pin in unknown else pin for pin in pins]
