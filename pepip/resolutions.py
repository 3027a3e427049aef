"""Remembered resolutions: the same inputs resolved recently give the same pins without uv.

A new project often asks for what another one asked minutes ago. Resolving again costs a
``uv pip compile`` (~0.1 s offline, ~0.5 s when uv revalidates the index); reading a
remembered answer costs one small file. The key is a hash of everything the answer depends
on: the requirements, the contents of requirement and constraint files, the venv's current
pins (they are preferences), the index options and the interpreter. An answer is trusted for
``PEPIP_RESOLUTION_TTL`` seconds (default 600) after it was made; ``--refresh`` asks uv anew.

Layout: ``$PEPIP_HOME/v1/resolutions/<key>.txt``, the pins in ``uv pip compile`` format.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from pepip import fsops
from pepip.resolve import Pin, UvOptions, parse_pins, resolve_pins
from pepip.target import Target

__all__ = ["Resolution", "resolve_remembered"]


def _key(
    target: Target,
    requirements: Sequence[str],
    files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
) -> str:
    digest = hashlib.sha256()
    for part in (
        repr(list(requirements)),
        repr(sorted(pin.spec for pin in preferences)),
        repr(options),
        repr(target.interpreter.fields()[:4]),  # not its site-packages: shared across venvs
    ):
        digest.update(part.encode("utf-8") + b"\0")
    for path in list(files) + list(options.constraints):
        digest.update(str(path.resolve()).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Resolution:
    """Pins for some inputs; ``keep()`` remembers them once the command has succeeded."""

    pins: list[Pin]
    remembered: bool
    memory: Path

    def keep(self) -> None:
        """Remember the pins (after success only: a failed command leaves the store as it was)."""
        if self.remembered:
            return
        try:
            text = "".join(pin.spec + "\n" for pin in self.pins)
            fsops.atomic_write_text(self.memory, text, fsops.file_mode(others_write=False))
        except OSError:
            # Remembering is an optimisation: a read-only store resolves every time, and a
            # teammate's stale answer (which the store's sticky bit keeps) is not replaced.
            pass


def resolve_remembered(
    target: Target,
    requirements: Sequence[str],
    files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
) -> Resolution:
    """Pins for the inputs: remembered if a recent identical resolution exists, else from uv."""
    locations = target.locations
    memory = target.store.base / "resolutions" / (
        _key(target, requirements, files, preferences, options) + ".txt"
    )
    if locations.resolution_ttl > 0 and not options.upgrade:
        try:
            age = time.time() - os.stat(memory).st_mtime
            if 0 <= age <= locations.resolution_ttl:
                return Resolution(parse_pins(memory.read_text(encoding="utf-8")), True, memory)
        except OSError:  # none yet, or a teammate's we may not read
            pass
    pins = resolve_pins(locations.uv, target.python, requirements, files, preferences, options)
    return Resolution(pins, False, memory)
