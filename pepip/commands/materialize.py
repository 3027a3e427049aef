"""``pepip materialize``: make a venv self-contained, as if ``uv pip install --link-mode copy``
had filled it, so that it works without the store (pnpm's ``deploy`` plays this part).

A Docker image built with the store in a BuildKit cache mount, or one whose final stage copies
only the venv, has the venv but not the store: every import of a pepip venv would fail there.
Materializing copies each distribution's files from its store entry into site-packages, where
the venv's RECORD already names them; launchers, data files and dist-info files that are
hardlinks of store files become files of their own; the runtime, its ``.pth``/``.start`` pair,
the manifest and the runtime index go. The venv then holds what a uv venv of the same wheels
holds (with ``pepip`` as their INSTALLER), and no longer uses the store: its record goes too.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pepip_runtime
from pepip import fsops
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.manifest import DistRecord, manifest_path
from pepip.report import Reporter, plural
from pepip.store.entries import read_record
from pepip.store.registry import forget_venv
from pepip.venv.journal import Journal
from pepip.venv.target import open_venv

__all__ = ["materialize"]


def materialize(locations: Locations, reporter: Reporter) -> int:
    """Copy every distribution of the venv out of the store; return how many."""
    with open_venv(locations, None, create=False, reporter=reporter) as target:
        if not target.intact:
            raise PepipError(
                "pip or uv removed or replaced a distribution of %s; run `pepip repair --venv %s` "
                "first" % (target.venv, target.venv)
            )
        journal = target.journal
        site = target.interpreter.site_packages
        with target.store.locked():  # prune must not take an entry while it is copied
            for record in target.manifest.dists:
                _copy_site_files(site, record, journal)
                _own_venv_files(site, record, journal)
        runtime = [site / "pepip_runtime", site / pepip_runtime.PTH_NAME, site / pepip_runtime.START_NAME]
        for path in [*runtime, manifest_path(target.venv), target.venv / pepip_runtime.INDEX_NAME]:
            journal.guard(path)  # moved to the backup, deleted when the change commits
    forget_venv(target.store, target.venv)
    count = len(target.manifest.dists)
    reporter.line("Materialized %s: %s no longer uses the store" % (plural(count, "package"), target.venv))
    return count


def _copy_site_files(site: Path, record: DistRecord, journal: Journal) -> None:
    """Copy what the entry puts in site-packages (the rows of ``site/`` in its RECORD)."""
    entry = record.entry_dir
    try:
        rows = read_record(entry / "meta" / record.dist_info / "RECORD")
    except OSError:
        raise PepipError(
            "the store entry of %s is missing (%s); run `pepip repair --venv %s` first"
            % (record.name, entry, journal.venv)
        ) from None
    made: set[Path] = set()
    for path, _hash, _size in rows:
        area, _, relative = path.partition("/")
        if area != "site" or not relative:
            continue
        target = site / relative
        if target.parent not in made:
            journal.make_dirs(target.parent)
            made.add(target.parent)
        journal.guard(target)
        _copy(entry / "site" / relative, target)


def _own_venv_files(site: Path, record: DistRecord, journal: Journal) -> None:
    """Replace every file the venv's RECORD names that is a hardlink (of a store file) by a
    copy of its own, writable as a uv install's: the dist-info, launchers, data files."""
    for path, _hash, _size in read_record(site / record.dist_info / "RECORD"):
        target = Path(os.path.normpath(site / path))
        try:
            info = os.lstat(target)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode) or info.st_nlink < 2:
            continue
        data = target.read_bytes()
        journal.guard(target)
        with open(target, "xb") as handle:
            handle.write(data)
        os.chmod(target, _installed_mode(info.st_mode))


def _copy(source: Path, target: Path) -> None:
    """A copy of a store file with the mode an installer gives it (store files are read-only)."""
    try:
        shutil.copyfile(source, target, follow_symlinks=False)
        os.chmod(target, _installed_mode(os.lstat(source).st_mode))
    except FileNotFoundError:
        raise PepipError(
            "%s is missing from the store; run `pepip store verify --fix`, then materialize again" % source
        ) from None


def _installed_mode(mode: int) -> int:
    """0o666 or, for an executable, 0o777, less the umask: what uv gives a file it installs."""
    return (0o777 if mode & stat.S_IXUSR else 0o666) & fsops.dir_mode()
