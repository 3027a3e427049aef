"""``pepip venv``: an empty venv, already wired to the store."""

from __future__ import annotations

from pepip.apply import apply_pins
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.report import Reporter
from pepip.resolve import UvOptions
from pepip.target import Target, open_target

__all__ = ["create_wired_venv"]


def create_wired_venv(locations: Locations, python: str | None, reporter: Reporter) -> Target:
    """Create the venv with uv and wire it (runtime, empty manifest, registry entry)."""
    if locations.venv.exists():
        raise PepipError("%s already exists; remove it or pass another path" % locations.venv)
    with open_target(locations, python) as target:
        apply_pins(target, [], UvOptions(), [], Reporter(quiet=True))
    reporter.line(
        "Created %s for Python %s, wired to the store at %s"
        % (target.venv, target.interpreter.version, target.store.root)
    )
    return target
