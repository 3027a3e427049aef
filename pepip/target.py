"""The venv a command works on, opened as a transaction.

A command that changes a venv opens it here: the store is made ready, the venv is created
with uv if the command may create it, and if the command then fails with a ``PepipError``
a venv it created is removed again, so a failed command leaves nothing behind.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from pepip import fsops
from pepip.errors import PepipError
from pepip.foreign import Foreign, scan_foreign
from pepip.interpreter import Interpreter, query_interpreter, venv_python
from pepip.locations import Locations
from pepip.manifest import Manifest, read_manifest
from pepip.resolve import NormalizedName, Pin, parse_pins
from pepip.store import Store
from pepip.venvs import make_venv

__all__ = ["Target", "open_target", "existing_target", "moved_message"]


@dataclass
class Target:
    """A venv with its interpreter, current manifest and the store it is wired to."""

    locations: Locations
    store: Store
    venv: Path
    python: Path
    interpreter: Interpreter
    manifest: Manifest
    foreign: list[Foreign] = field(default_factory=list)  # what pip or uv installed
    intact: bool = True  # False when pip or uv removed a distribution the manifest names

    def current_pins(self) -> list[Pin]:
        """The pins of what the venv has, from the manifest."""
        return parse_pins("\n".join(record.source for record in self.manifest.dists))

    def preferences(self) -> list[Pin]:
        """The versions the venv has (its own and what pip or uv installed beside them):
        resolution keeps them unless the request needs otherwise, as ``uv pip install`` does."""
        own = [Pin(NormalizedName(r.name), r.version) for r in self.manifest.dists if " @ " not in r.source]
        return own + [Pin(NormalizedName(f.name), f.version) for f in self.foreign if f.url is None]


def _load(locations: Locations, store: Store) -> Target:
    venv = locations.venv
    python = venv_python(venv)
    manifest = read_manifest(venv)
    interpreter = None if manifest is None else Interpreter.from_fields(manifest.interpreter)
    if interpreter is not None and interpreter.moved_from(venv) is not None:
        raise PepipError(moved_message(venv, interpreter.moved_from(venv)))
    if interpreter is None:
        if not python.exists():
            raise PepipError("the venv %s has no interpreter; recreate it with `pepip venv`" % venv)
        interpreter = query_interpreter(python)
    if manifest is None:
        manifest = Manifest(interpreter.fields(), [], [])
    site = interpreter.site_packages
    present = set(os.listdir(site)) if site.is_dir() else set()
    # A dist-info that `pip uninstall` removed means the distribution is gone: the runtime
    # no longer imports it, and no later command brings it back unasked.
    kept = [record for record in manifest.dists if record.dist_info in present]
    intact = len(kept) == len(manifest.dists)
    manifest.dists = kept
    foreign = scan_foreign(site, {record.dist_info for record in kept})
    return Target(locations, store, venv, python, interpreter, manifest, foreign, intact)


def moved_message(venv: Path, origin: Path | None) -> str:
    return (
        "the venv %s was moved here from %s, and venvs are not relocatable; "
        "recreate it with `pepip venv` and `pepip sync`" % (venv, origin)
    )


def existing_target(locations: Locations) -> Target:
    """A venv that must exist already (list, uninstall, repair)."""
    venv = locations.venv
    if not (venv / "pyvenv.cfg").is_file():
        raise PepipError("no venv at %s; create one with `pepip venv` or pass --venv" % venv)
    return _load(locations, Store(locations.store_root))


@contextmanager
def open_target(locations: Locations, python: str | None) -> Iterator[Target]:
    """Yield the venv (created if missing); remove a venv created here if the body fails."""
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
        make_venv(locations, store, python)
    try:
        yield _load(locations, store)
    except BaseException:
        if created:
            fsops.remove_tree(venv)
            if existed:
                venv.mkdir()
        raise
