"""The venv a command works on, opened as a transaction.

A command that changes a venv opens it here: the venv is locked, what an earlier command
left half-done is rolled back (``pepip.venv.journal``), the store is made ready, the venv is
created if the command may create it, and the command's changes are journaled. If the
command fails, its changes are rolled back and a venv it created is removed again, so a
failed command leaves nothing behind.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from pepip import fsops
from pepip.errors import PepipError
from pepip.venv.foreign import Foreign, scan_site
from pepip.venv.interpreter import Interpreter, query_interpreter, venv_python, venv_version
from pepip.venv.journal import Journal, recover, transaction, unfinished, venv_locked
from pepip.artifacts import Artifact, NormalizedName, Pin
from pepip.locations import VIRTUAL_ENV, Locations
from pepip.manifest import DistRecord, Manifest, load_manifest, read_manifest, write_manifest
from pepip.store.entries import read_entry
from pepip.store.layout import Store
from pepip.store.native import preload_paths
from pepip.store.registry import register_venv, renew_registration
from pepip.report import Reporter
from pepip.uv.installed import Installed
from pepip.uv.resolutions import Resolution, resolve_remembered
from pepip.uv.options import UvOptions
from pepip.venv.templates import check_venv_python, make_venv
from pepip.users import running_as_root

if TYPE_CHECKING:
    from pepip.uv.stored import StoredBuild

__all__ = [
    "OpenVenv", "open_venv", "existing_venv", "moved_message", "pin_of_record", "environment_line",
]


@dataclass
class OpenVenv:
    """A venv a command has opened (``open_venv``, or ``existing_venv`` to read it) with its
    interpreter, current manifest and the store it is wired to; commands call it ``target``."""

    locations: Locations
    store: Store
    venv: Path
    python: Path
    interpreter: Interpreter
    manifest: Manifest
    foreign: list[Foreign] = field(default_factory=list)  # what pip or uv installed
    intact: bool = True  # False when pip or uv removed or replaced a distribution the manifest names
    _journal: Journal | None = field(default=None, repr=False)  # set by open_venv
    _priority: dict[str, int] | None = field(default=None, repr=False)
    # Names the manifest gives whose dist-info pip or uv installed again (now in ``foreign``).
    replaced: frozenset[str] = frozenset()

    @property
    def journal(self) -> Journal:
        """The running transaction every change to the venv goes through (a venv opened
        for reading, by ``existing_venv``, has none)."""
        if self._journal is None:
            raise RuntimeError("the venv was not opened with open_venv")
        return self._journal

    def record(self, requests: Sequence[str], dists: Sequence[DistRecord], sync: str) -> None:
        """Write what the venv now holds: its manifest (only files whose content changes),
        with the native libraries each distribution needs from the others, then the store's
        record of the entries it uses (a failed command leaves the intent that
        ``reserve_entries`` wrote). Every command that changes the venv ends here."""
        manifest = Manifest(self.interpreter.fields(), list(requests), list(dists), sync, _preloads(dists))
        write_manifest(self.venv, manifest, self.journal)
        register_venv(self.store, self.venv, [record.entry_dir for record in dists])
        self.manifest = manifest

    def current_pins(self) -> list[Pin]:
        """The pins of what the venv has, with the artifacts they were built from."""
        return [pin_of_record(record) for record in self.manifest.dists]

    def tag_priority(self) -> dict[str, int]:
        """Wheel tag -> rank for the venv's interpreter (0 is the most preferred)."""
        if self._priority is None:
            self._priority = self.interpreter.tag_priority(self.store.interpreters_dir, self.store.owner)
        return self._priority

    def preferences(self) -> list[Pin]:
        """The versions the venv has (its own and what pip or uv installed beside them, from
        an index, a URL or an editable project alike): resolution keeps them unless the
        request needs otherwise, as ``uv pip install`` does."""
        own = [Pin(NormalizedName(r.name), r.version) for r in self.manifest.dists if r.version]
        return own + [Pin(NormalizedName(f.name), f.version) for f in self.foreign if f.version]

    def installed(self) -> list[Installed]:
        """What the venv has, to offer the resolver as candidates (``pepip.uv.installed``):
        its own distributions and what pip or uv installed, direct references and editables
        too (``uv pip install`` takes any installed distribution as a candidate)."""
        site = self.interpreter.site_packages
        own = [
            Installed(record.name, record.version, site / record.dist_info / "METADATA", record.artifact)
            for record in self.manifest.dists
        ]
        return own + [
            Installed(item.name, item.version, site / item.dist_info / "METADATA", item.url or "another tool's")
            for item in self.foreign
        ]

    def resolve(
        self,
        requirements: Sequence[str],
        files: Sequence[Path],
        options: UvOptions,
        installed: Sequence[Installed] = (),
        lines: Callable[[str], None] | None = None,
    ) -> Resolution:
        """Resolve for this venv as install and sync do: its interpreter, its preferences, the
        store's memory of resolutions, and offline the store's builds (``resolve_remembered``)."""
        return resolve_remembered(
            self.locations, self.python, self.interpreter.fields(), self.store.layout_root / "resolutions",
            requirements, files, self.preferences(), options, self.store.owner, installed, lines, self.stored,
        )

    def stored(self) -> list[StoredBuild]:
        """What the store holds for the venv's interpreter, to offer an offline resolution
        uv's cache cannot answer (``pepip.uv.stored``; whose entries: ``pepip.store.offline``)."""
        from pepip.store.offline import stored_builds  # offline, when uv's cache cannot answer only

        return stored_builds(self.store, self.tag_priority())


def _preloads(records: Sequence[DistRecord]) -> dict[str, tuple[str, ...]]:
    """Native libraries each distribution needs from the venv's other distributions."""
    entries = {record.name: read_entry(record.entry_dir) for record in records}
    preloads = {}
    for name, entry in entries.items():
        if entry.native is None:
            continue
        providers = [other.site_dir for other_name, other in entries.items() if other_name != name]
        paths = preload_paths(entry.native, providers)
        if paths:
            preloads[name] = tuple(paths)
    return preloads


def pin_of_record(record: DistRecord) -> Pin:
    """The pin a manifest record was installed for (``read_manifest`` checked its artifact)."""
    artifact = Artifact.from_text(record.artifact)
    return Pin(NormalizedName(record.name), record.version, record.url or None, artifact)


def _load(locations: Locations, store: Store, artifacts: bool = True) -> OpenVenv:
    """The open venv; ``artifacts``: check that each distribution's artifact can be read
    (``read_manifest``), which a command that only reads the venv does not need."""
    venv = locations.venv
    python = venv_python(venv)
    manifest = read_manifest(venv) if artifacts else load_manifest(venv)
    interpreter = None if manifest is None else Interpreter.from_fields(manifest.interpreter)
    if interpreter is not None and interpreter.moved_from(venv) is not None:
        raise PepipError(moved_message(venv, interpreter.moved_from(venv)))
    if not python.exists():
        raise PepipError("the venv %s has no interpreter; recreate it with `pepip venv`" % venv)
    if interpreter is None:
        interpreter = query_interpreter(python)
    if manifest is None:
        manifest = Manifest(interpreter.fields(), [], [])
    kept, foreign = scan_site(interpreter.site_packages, manifest.dists)
    intact = len(kept) == len(manifest.dists)
    lost = {record.name for record in manifest.dists} - {record.name for record in kept}
    manifest.dists = kept
    replaced = frozenset(item.name for item in foreign if item.name in lost)
    renew_registration(store, venv)  # another machine's prune counts it for the TTL from now
    return OpenVenv(locations, store, venv, python, interpreter, manifest, foreign, intact, replaced=replaced)


def moved_message(venv: Path, origin: Path | None) -> str:
    return (
        "the venv %s was moved here from %s, and venvs are not relocatable; "
        "recreate it with `pepip venv` and `pepip sync`" % (venv, origin)
    )


def _no_venv(venv: Path) -> PepipError:
    return PepipError("no venv at %s; create one with `pepip venv` or pass --venv" % venv)


def existing_venv(locations: Locations) -> OpenVenv:
    """A venv that must exist already, for reading (list, freeze): what
    ``contents.read_venv`` leaves to it (the ordinary venv it reads alike)."""
    venv = locations.venv
    store = Store.of(locations)
    if unfinished(venv):  # waits for a running command; undoes a dead one's change
        _refuse_as_root(venv)
        _recover(venv, store)
    if not (venv / "pyvenv.cfg").is_file():
        raise _no_venv(venv)
    return _load(locations, store, artifacts=False)


def _refuse_as_root(venv: Path) -> None:
    """Root changes nothing in another user's venv: the files would be root's, and the
    venv's owner could no longer change them (nor could pepip, run as that owner)."""
    if not running_as_root():
        return
    try:
        owner = os.lstat(venv).st_uid
    except FileNotFoundError:
        return
    if owner != 0:
        raise PepipError(
            "the venv %s belongs to %s; run pepip as that user (root changes no other user's venv)"
            % (venv, fsops.owner_name(venv))
        )


def _venv_lock_dir(store: Store) -> Path:
    """Where Windows keeps venv locks (see ``venv_locked``); unused on POSIX."""
    return store.locks_dir


def _recover(venv: Path, store: Store, locked: bool = False) -> None:
    """Roll back what a command that died left half-done (``locked``: the caller holds the lock)."""
    try:
        with ExitStack() as held:
            if not locked:
                held.enter_context(venv_locked(venv, _venv_lock_dir(store)))
            recover(venv)
    except OSError as error:
        raise PepipError(
            "cannot undo the interrupted change of %s (%s); recreate the venv" % (venv, error.strerror or error)
        ) from None


def environment_line(target: OpenVenv) -> str:
    """``Using Python 3.11.7 environment at: .venv``, as ``uv pip install`` says it.

    The path is relative when the venv is below the current directory, as uv prints it.
    """
    venv = target.venv
    try:
        shown = str(venv.relative_to(target.locations.project_dir.resolve()))
    except ValueError:
        shown = str(venv)
    version = venv_version(venv) or target.interpreter.version
    version = ".".join(version.split(".")[:3])  # virtualenv writes 3.12.1.final.0
    return "Using Python %s environment at: %s" % (version, shown)


@contextmanager
def open_venv(
    locations: Locations, python: str | None, create: bool = True, reporter: Reporter | None = None
) -> Iterator[OpenVenv]:
    """Yield the venv (created if missing and ``create``), its changes journaled.

    The body's changes are rolled back if it raises, and a venv created here is removed.
    ``reporter`` says which venv it is (``environment_line``). ``python`` must name the
    interpreter an existing venv has (``check_venv_python``).
    """
    venv = locations.venv
    if venv.exists() and not venv.is_dir():
        raise PepipError("the venv path %s is a file; pass another --venv" % venv)
    _refuse_as_root(venv)
    if locations.venv_source == VIRTUAL_ENV and not (venv / "pyvenv.cfg").is_file():
        raise PepipError(
            "VIRTUAL_ENV names %s, which is not a venv; run `deactivate`, or pass --venv" % venv
        )
    store = Store.of(locations)
    with ExitStack() as held:
        if (venv / "pyvenv.cfg").is_file():
            held.enter_context(venv_locked(venv, _venv_lock_dir(store)))
            _recover(venv, store, locked=True)  # removes a venv whose creating command died
        existed = venv.exists()
        created = not (venv / "pyvenv.cfg").is_file()
        if created and not create:
            raise _no_venv(venv)
        store.ensure()
        if created:
            if existed and any(venv.iterdir()):
                raise PepipError("%s exists and is not a venv; pass another --venv" % venv)
            try:
                make_venv(locations, store, python)
            except BaseException:  # uv venv stopped half-way (a full disk, say): no half venv
                fsops.remove_tree(venv)
                if existed:
                    venv.mkdir()
                raise
            held.enter_context(venv_locked(venv, _venv_lock_dir(store)))
        if python is not None and not created:
            check_venv_python(locations, store, venv, python)
        try:
            target = _load(locations, store)
            if reporter is not None:
                reporter.heading(environment_line(target))
            with transaction(venv, created) as target._journal:
                yield target
        except BaseException:
            if created:
                fsops.remove_tree(venv)
                if existed:
                    venv.mkdir()
            raise
