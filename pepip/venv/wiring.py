"""Connect a venv to the store: the runtime and its ``.pth``/``.start`` pair, dist-info copies,
script launchers and data files (hardlinks of the store's files or copies, never symlinks).

What a venv holds per distribution is small and local: its dist-info (so ``pip list``,
``uv pip list`` and ``importlib.metadata`` see it as installed), its launchers, and hardlinks to
its data files. The code stays in the store; the runtime's finder imports it from there.

The dist-info's RECORD lists the distribution's files with their usual site-packages paths.
Tools that uninstall (pip, uv) delete what RECORD names *relative to site-packages*, so they
remove the venv's own files and find nothing of the store's: a RECORD naming store paths
would let ``pip uninstall`` delete files that other venvs share.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Callable, Final, Iterable

import pepip_runtime
from pepip import fsops
from pepip.errors import PepipError
from pepip.venv.interpreter import Interpreter
from pepip.venv.journal import Journal
from pepip.manifest import DistRecord
from pepip.artifacts import Pin
from pepip.store.entries import entry_point_scripts, file_record_hash, read_record, record_hash
from pepip.venv.scripts import entry_point_launcher, with_interpreter, write_launcher
from pepip.report import Reporter
from pepip.store.entries import StoreEntry, entry_present, read_entry

if TYPE_CHECKING:  # the target module makes venvs from templates, which this module wires
    from pepip.venv.plan import Plan
    from pepip.venv.target import OpenVenv

__all__ = ["wire_plan", "relink_incomplete", "wire_runtime", "link_entry", "unlink_record", "recorded_files", "venv_files", "damaged_files", "shared_paths", "scripts_dir"]

_RUNTIME_FILES: Final = ("__init__.py", "lookup.py", "py.typed")
_INSTALLER: Final = "pepip\n"
_STORE_ONLY: Final = frozenset({"RECORD", "INSTALLER", "REQUESTED"})


def scripts_dir(venv: Path) -> Path:
    """The venv's ``bin`` (``Scripts`` on Windows)."""
    windows = venv / "Scripts"
    return windows if windows.is_dir() and not (venv / "bin").is_dir() else venv / "bin"


def wire_runtime(interpreter: Interpreter, python: Path, journal: Journal | None) -> None:
    """Put ``pepip_runtime`` and its loader files into site-packages, when they differ.

    ``journal`` is the venv's transaction; a template venv being built in the store has none.
    """
    site = interpreter.site_packages
    source_dir = Path(pepip_runtime.__file__).parent
    target_dir = site / "pepip_runtime"
    sources = {name: (source_dir / name).read_bytes() for name in _RUNTIME_FILES}
    if any(_differs(target_dir / name, data) for name, data in sources.items()):
        if journal is not None:
            journal.guard(target_dir)  # the old runtime moves aside whole, bytecode and all
        target_dir.mkdir(parents=True, exist_ok=True)
        for name, data in sources.items():
            fsops.atomic_write_bytes(target_dir / name, data)
        _compile_runtime(interpreter, python, target_dir)
    for name, text in (
        (pepip_runtime.PTH_NAME, pepip_runtime.PTH_LINE),
        (pepip_runtime.START_NAME, pepip_runtime.START_LINE),
    ):
        path = site / name
        if _differs(path, text.encode("utf-8")):
            if journal is not None:
                journal.guard(path, keep=True)
            fsops.atomic_write_text(path, text)


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except FileNotFoundError:
        return True


def _compile_runtime(interpreter: Interpreter, python: Path, directory: Path) -> None:
    """Compile the runtime's bytecode for the venv's interpreter: it runs at every start-up.

    In this process when it makes the same bytecode (same cache tag: same implementation and
    version), which saves starting that interpreter (about 0.1 s of a first install).
    """
    if interpreter.cache_tag == sys.implementation.cache_tag:
        import py_compile

        for name in _RUNTIME_FILES:
            if name.endswith(".py"):
                py_compile.compile(str(directory / name), doraise=True, optimize=0)
        return
    import subprocess

    try:
        subprocess.run(
            [str(python), "-I", "-m", "compileall", "-q", str(directory)],
            check=True,
            capture_output=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise PepipError("cannot compile pepip_runtime with %s: %s" % (python, error)) from None


def link_entry(
    venv: Path,
    interpreter: Interpreter,
    python: Path,
    pin: Pin,
    entry: StoreEntry,
    requested: bool,
    copy_files: bool,
    journal: Journal,
    replacing: Callable[[Path], None] = lambda path: None,
) -> DistRecord:
    """Install one stored distribution into the venv without copying its code.

    ``replacing`` is told of each launcher or data file that replaces a file already in the
    venv (another distribution's console script of the same name, say), before it does.
    """
    site = interpreter.site_packages
    dist_info = site / entry.dist_info
    journal.guard(dist_info)
    dist_info.mkdir(parents=True)
    for directory, _subdirs, files in os.walk(entry.dist_info_dir):
        target_dir = dist_info / Path(directory).relative_to(entry.dist_info_dir)
        target_dir.mkdir(exist_ok=True)  # licenses/ and sboms/ (PEP 639) too
        for name in files:
            if not (directory == str(entry.dist_info_dir) and name in _STORE_ONLY):
                if sys.platform == "win32":  # a link would share the store file's read-only
                    shutil.copyfile(Path(directory, name), target_dir / name)  # attribute
                else:
                    fsops.hardlink_or_copy(Path(directory, name), target_dir / name)
    rows: list[tuple[str, str, str]] = []
    local = {"INSTALLER": _INSTALLER, **({"REQUESTED": ""} if requested else {})}
    for name, text in local.items():
        data = text.encode("utf-8")
        (dist_info / name).write_bytes(data)
        rows.append(("%s/%s" % (entry.dist_info, name), record_hash(data), str(len(data))))
    bin_dir = scripts_dir(venv)
    for group_name, group in entry_point_scripts(entry.dist_info_dir).items():
        for script, target in group.items():
            file_name, data = entry_point_launcher(python, target, script, gui=group_name == "gui_scripts")
            if os.path.lexists(bin_dir / file_name):
                replacing(bin_dir / file_name)
            journal.guard(bin_dir / file_name)
            write_launcher(bin_dir / file_name, data)
            rows.append((_venv_relative(bin_dir / file_name, site), record_hash(data), str(len(data))))
    own = {"%s/%s" % (entry.dist_info, name) for name in _STORE_ONLY}  # not vendored ones
    made: set[str] = set()  # directories of the venv made (or found) for prefix files
    for record_path, hash_field, size in read_record(entry.dist_info_dir / "RECORD"):
        area, _, relative = record_path.partition("/")
        if area == "prefix":
            parent = os.path.dirname(relative)
            if parent not in made:
                journal.make_dirs(venv / parent)
                made.add(parent)
            if os.path.lexists(venv / relative):
                replacing(venv / relative)
            journal.guard(venv / relative)
            rows.append(_link_prefix_file(venv, site, entry, relative, (hash_field, size), python, copy_files))
        elif relative not in own:
            rows.append((relative, hash_field, size))  # site/ and meta/ both map to site-packages
    record = "".join("%s,%s,%s\n" % row for row in rows) + "%s/RECORD,,\n" % entry.dist_info
    (dist_info / "RECORD").write_text(record, encoding="utf-8")
    if pin.artifact is None:  # only a preference or another tool's distribution has none
        raise ValueError("linked %s without knowing its artifact" % pin.spec)
    return DistRecord(
        name=entry.name,
        version=entry.version,
        dist_info=entry.dist_info,
        site_dir=str(entry.site_dir),
        top_level=entry.top_level,
        pth_files=entry.pth_files,
        source=pin.spec,
        artifact=pin.artifact.to_text(),
    )


# A pin's entry stored again, when another machine's prune took it during the wiring.
StoreAgain = Callable[[Pin], StoreEntry]


def wire_plan(
    target: OpenVenv, plan: Plan, requested: AbstractSet[str], reporter: Reporter, restore: bool, store_again: StoreAgain
) -> list[DistRecord]:
    """Make the venv hold what ``plan`` says: the records of every distribution it then has.

    ``restore`` links again the launchers and data files of kept distributions that are
    gone (repair); they are looked for anyway when the plan removes anything.
    """
    journal = target.journal
    wire_runtime(target.interpreter, target.python, journal)
    for record in plan.removed:
        unlink_record(target.interpreter, record, journal)
    owners = _Owners(target, plan.unchanged)
    records = [
        _link(target, pin, entry, pin.name in requested, owners, reporter, store_again) for pin, entry in plan.linked
    ]
    if restore or plan.removed or plan.foreign_removed:
        # A kept distribution's launcher goes missing only with the one that had replaced it
        # (or by hand, which doctor names and repair restores): no RECORD read otherwise.
        records += relink_incomplete(target, plan.unchanged, reporter, store_again)
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
    store_again: StoreAgain,
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
        entry = store_again(pin)
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

    def __init__(self, target: OpenVenv, records: Iterable[DistRecord]) -> None:
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
    target: OpenVenv, records: Iterable[DistRecord], reporter: Reporter, store_again: StoreAgain
) -> list[DistRecord]:
    """``records`` with every one whose launchers or data files are gone linked again.

    Such a file was replaced by another distribution's and went with it (``pepip uninstall``
    of that one, or pip's): the venv gets back what this distribution installs, as a
    reinstall would give it.
    """
    from pepip.venv.target import pin_of_record

    records = list(records)
    site, kept = target.interpreter.site_packages, []
    for record in records:
        missing = [path for path, _hash in venv_files(site, record.dist_info) if not os.path.lexists(path)]
        if not missing:
            kept.append(record)
            continue
        reporter.warning("%s: restored %s" % (record.name, ", ".join(os.path.relpath(p, target.venv) for p in missing)))
        requested = (site / record.dist_info / "REQUESTED").exists()
        unlink_record(target.interpreter, record, target.journal)
        entry = read_entry(record.entry_dir)
        kept.append(
            _link(target, pin_of_record(record), entry, requested, _Owners(target, records), reporter, store_again)
        )
    return kept


def _link_prefix_file(
    venv: Path,
    site: Path,
    entry: StoreEntry,
    relative: str,
    stored: tuple[str, str],
    python: Path,
    copy_files: bool,
) -> tuple[str, str, str]:
    """A wheel script, data file or header: hardlinked where allowed, copied otherwise.

    Only a ``#!python`` script is read and rewritten (with the venv's interpreter); any other
    file, a 20 MB ruff binary say, is linked and keeps the hash the store's RECORD holds.
    Never a symlink out of the venv (``fsops.link_or_copy``): what a normal install puts
    under the venv must be a file inside it.
    """
    source, target = entry.prefix_dir / relative, venv / relative
    with open(source, "rb") as handle:
        head = handle.read(8)
    if head == b"#!python":
        data = with_interpreter(source.read_bytes(), python) or b""
        write_launcher(target, data)
        return _venv_relative(target, site), record_hash(data), str(len(data))
    # Windows: a copy, for a hardlink would share the store file's read-only attribute,
    # and deleting it (uninstall, the journal's backup) would clear that.
    fsops.link_or_copy(source, target, copy_files or sys.platform == "win32")
    return _venv_relative(target, site), stored[0], stored[1]


def _venv_relative(path: Path, site: Path) -> str:
    return Path(os.path.relpath(path, site)).as_posix()


def unlink_record(interpreter: Interpreter, record: DistRecord, journal: Journal) -> None:
    """Remove a distribution from the venv: its dist-info and the venv files it placed.

    Paths of RECORD that do not leave site-packages name store files; they are left alone.
    """
    site = interpreter.site_packages
    for path in recorded_files(site, record.dist_info):
        if not path.is_relative_to(site):
            journal.guard(path)  # moved to the backup
    journal.guard(site / record.dist_info)


def venv_files(site: Path, dist_info: str) -> list[tuple[Path, str]]:
    """The files a distribution put in the venv outside site-packages (launchers, data
    files), with their RECORD hashes."""
    try:
        rows = read_record(site / dist_info / "RECORD")
    except OSError:
        return []
    found = []
    for record_path, hash_field, _size in rows:
        path = Path(os.path.normpath(site / record_path))
        if not path.is_relative_to(site):
            found.append((path, hash_field))
    return found


def damaged_files(site: Path, dist_info: str, shared: AbstractSet[Path] = frozenset()) -> list[Path]:
    """The launchers and data files of a distribution that are gone, or hold other content
    though no other distribution of the venv (``shared``: the paths theirs list) put a file
    there. A file another distribution replaced is theirs now: the last one installed wins,
    as with pip, and it comes back when that one is uninstalled."""
    found = []
    for path, hash_field in venv_files(site, dist_info):
        try:
            if not hash_field or path in shared or file_record_hash(path) == hash_field:
                continue
        except OSError:
            pass
        found.append(path)
    return found


def shared_paths(site: Path, dist_infos: Iterable[str]) -> set[Path]:
    """Every venv file (outside site-packages) the RECORDs of ``dist_infos`` list."""
    return {path for dist_info in dist_infos for path, _hash in venv_files(site, dist_info)}


def recorded_files(site: Path, dist_info: str) -> list[Path]:
    """The paths a dist-info's RECORD lists, resolved against ``site``; none if it has no RECORD."""
    try:
        rows = read_record(site / dist_info / "RECORD")
    except OSError:
        return []
    return [Path(os.path.normpath(site / record_path)) for record_path, _hash, _size in rows]
