"""Remembered resolutions: the same inputs resolved recently give the same pins without uv.

A new project often asks for what another one asked minutes ago. Resolving again costs a
``uv pip compile`` (~0.1 s offline, ~0.5 s when uv revalidates the index); reading a
remembered answer costs one small file. The key is a hash of everything the answer depends
on: the requirements, the contents of requirement and constraint files and of every file
they include, the local paths they name (relative to the current directory, as uv takes
them), the ``pyproject.toml`` files ``--group`` reads, the listing of local ``--find-links`` locations, editable projects' metadata
(``requirement_files.describe_inputs``), the venv's current pins (they are preferences),
the index options, the interpreter and the machine's platform, and uv's own settings (every
``UV_*`` variable that can change a resolution, and the contents of the configuration files
uv reads). An answer is trusted for ``PEPIP_RESOLUTION_TTL`` seconds (default 600) after it
was made; ``--refresh`` asks uv anew.

Local artifacts can change without any input of the key changing (``dist/x.whl`` rebuilt
under the same name, a source tree edited): an answer records their state (an archive's
size and modification time, a tree's content digest), and one whose local artifacts have
changed since is not recalled.

An answer holds every artifact uv named for each package (``artifacts.LockedPackage``), so
the artifact a venv gets is chosen the same way whether the answer is new or remembered.

Layout: ``$PEPIP_HOME/v2/resolutions/<key>.txt``: a header line (format, local artifacts'
state), then one package a line.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Final, Iterator, Sequence

from pepip import fsops
from pepip.artifacts import Artifact, LockedPackage, Pin, tree_digest
from pepip.machine import machine_facts
from pepip.locations import Locations
from pepip.errors import PepipError
from pepip.uv.installed import Installed, moves_installed
from pepip.uv.stored import StoredBuild, offline_asked
from pepip.uv.requirement_files import describe_inputs
from pepip.uv.options import UvOptions
from pepip.uv.resolve import resolve_pins

__all__ = ["Resolution", "resolve_remembered", "remembered_artifacts"]

_HEADER: Final = "pepip-resolution\t3\t"


def _key(
    locations: Locations,
    interpreter: tuple[str, ...],
    requirements: Sequence[str],
    files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
    installed: Sequence[Installed],
) -> str:
    digest = hashlib.sha256()
    for part in (
        repr(list(requirements)),
        repr(sorted(pin.spec for pin in preferences)),
        repr(sorted((item.name, item.version, item.origin) for item in installed)),
        repr(options),
        repr(interpreter[:4]),  # not its site-packages: shared across venvs
        repr(machine_facts()),
        repr(locations.uv_environment),
    ):
        digest.update(part.encode("utf-8") + b"\0")
    inputs = describe_inputs(
        list(files) + list(options.constraints) + options.group_files(locations.project_dir),
        requirements,
        options.find_links,
        locations.project_dir,
        dict(locations.uv_environment),
    )
    for line in inputs:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\0")
    for path in locations.uv_config_files:
        digest.update(str(path.resolve()).encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:32]


def _local_state(packages: Sequence[LockedPackage], fresh: bool) -> str:
    """A digest of the local artifacts ``packages`` name: each archive's size and modification
    time, each source tree's content digest (``fresh``: taken now, else as resolved)."""
    digest = hashlib.sha256()
    for package in packages:
        for artifact in package.candidates:
            path = artifact.local_path
            if path is None:
                continue
            if artifact.kind == "directory":
                state = tree_digest(path) if fresh else artifact.tree
            else:
                try:
                    info = os.stat(path)
                    state = "%d %d" % (info.st_size, info.st_mtime_ns)
                except OSError:
                    state = "missing"
            digest.update(("%s\0%s\0" % (path, state)).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class Resolution:
    """Packages for some inputs; ``keep()`` remembers them once the command has succeeded."""

    packages: list[LockedPackage]
    remembered: bool
    memory: Path
    local_state: str = ""  # ``_local_state`` when uv resolved it
    owner: fsops.Owner | None = None  # who gets the file: the store's ``Store.owner``

    def keep(self) -> None:
        """Remember the answer (after success only: a failed command leaves the store as it was)."""
        if self.remembered:
            return
        try:
            text = _HEADER + self.local_state + "\n"
            text += "".join(package.to_line() + "\n" for package in self.packages)
            fsops.atomic_write_text(self.memory, text, fsops.file_mode(others_write=False), self.owner)
        except OSError:
            # Remembering is an optimisation: a read-only store resolves every time, and a
            # teammate's stale answer (which the store's sticky bit keeps) is not replaced.
            pass


def _recall(memory: Path) -> list[LockedPackage] | None:
    """A remembered answer whose local artifacts are as they were, or ``None`` when there
    is none we can read (or its local archives or trees have changed since)."""
    answer = _read(memory)
    if answer is None:
        return None
    state, packages = answer
    return packages if _local_state(packages, fresh=True) == state else None


def _read(memory: Path) -> tuple[str, list[LockedPackage]] | None:
    """A remembered answer's local state and packages; ``None`` for none, or one we may not
    read or trust."""
    if not fsops.owned(memory):
        return None  # another user's answer is not trusted: they could name any artifact
    try:
        text = memory.read_text(encoding="utf-8")
        if not text.startswith(_HEADER):
            return None
        state, *lines = text[len(_HEADER):].splitlines()
        return state, [LockedPackage.from_line(line) for line in lines if line]
    except (OSError, ValueError, UnicodeDecodeError):  # none yet, a teammate's we may not read
        return None


def _resolve(
    locations: Locations,
    python: Path,
    requirements: Sequence[str],
    files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
    installed: Sequence[Installed],
    stored: Callable[[], Sequence[StoredBuild]] | None,
    lines: Callable[[str], None] | None,
) -> list[LockedPackage]:
    """uv's answer; with what is installed offered only when that can change it
    (``pepip.uv.installed``), and offline what the store holds only when uv's cache cannot
    answer (``pepip.uv.stored``)."""

    def ask(offered: Sequence[Installed], builds: Sequence[StoredBuild] = ()) -> list[LockedPackage]:
        return resolve_pins(
            locations.uv, python, requirements, files, preferences, options, locations.uv_cache,
            installed=offered, lines=lines, stored=builds,
        )

    try:
        packages = ask(())
    except PepipError:
        offline = stored is not None and offline_asked(options, locations.uv_environment, locations.uv_config_files)
        builds = stored() if stored is not None and offline else ()
        if not installed and not builds:
            raise
        # Perhaps for want of an installed distribution no index offers, or offline of what
        # uv's cache lacks and the store holds: uv's answer with them offered is the one (an
        # error then too is uv's error, naming what neither has).
        return ask(installed, builds)
    if installed and moves_installed(packages, installed, options.upgrade):
        packages = ask(installed)
    return packages


def resolve_remembered(
    locations: Locations,
    python: Path,
    interpreter: tuple[str, ...],
    directory: Path,
    requirements: Sequence[str],
    files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
    owner: fsops.Owner | None = None,
    installed: Sequence[Installed] = (),
    lines: Callable[[str], None] | None = None,
    stored: Callable[[], Sequence[StoredBuild]] | None = None,
) -> Resolution:
    """Packages for the inputs: remembered if a recent identical resolution exists, else from uv.

    ``python`` is the venv's interpreter and ``interpreter`` its manifest fields
    (``Interpreter.fields``); answers are remembered in ``directory`` (the store's
    ``resolutions/``), in files given to ``owner`` (``Store.owner``). ``installed`` are
    offered to uv as candidates (``pepip.uv.installed``); offline, ``stored`` gives the
    store's builds to offer when uv's cache cannot answer (``pepip.uv.stored``).
    """
    key = _key(locations, interpreter, requirements, files, preferences, options, installed)
    memory = directory / (key + ".txt")
    if locations.resolution_ttl > 0 and not options.upgrade and not options.upgrade_packages:
        try:
            age = time.time() - os.stat(memory).st_mtime
        except OSError:
            age = -1.0
        if 0 <= age <= locations.resolution_ttl:
            packages = _recall(memory)
            if packages is not None:
                return Resolution(packages, True, memory)
    packages = _resolve(locations, python, requirements, files, preferences, options, installed, stored, lines)
    return Resolution(packages, False, memory, _local_state(packages, fresh=False), owner)


def remembered_artifacts(directory: Path) -> Iterator[Artifact]:
    """Every artifact the running user's remembered answers in ``directory`` name, expired
    ones too: where each came from (a teammate's answer is not trusted, as in ``_recall``)."""
    for memory in sorted(directory.glob("*.txt")):
        answer = _read(memory)
        for package in answer[1] if answer is not None else ():
            yield from package.candidates
