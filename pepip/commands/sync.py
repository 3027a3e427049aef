"""``pepip sync``: make the venv hold exactly what a requirements file, a ``pyproject.toml``
or a ``uv.lock`` asks for, removing the rest.

The inputs (file contents, selected extras and groups, index options, interpreter) are
fingerprinted into the manifest. Re-running on unchanged inputs, with the venv as the last
sync left it, does no resolution and no store work.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Final

from pepip.commands.apply import apply_pins, guard_foreign
from pepip.selection import choose_pins
from pepip.errors import PepipError
from pepip.uv.hashes import hashes_required, read_hash_policy
from pepip.commands.install import check_files
from pepip.locations import Locations
from pepip.venv.plan import Plan
from pepip.report import Reporter
from pepip.uv.requirement_files import describe_inputs
from pepip.uv.project import PROJECT_FILES, Project, read_project
from pepip.uv.options import UvOptions
from pepip.uv.resolve import export_lock, install_editables
from pepip.venv.foreign import Foreign
from pepip.venv.target import OpenVenv, open_venv

__all__ = ["sync", "find_sync_file", "SYNC_FILES"]

SYNC_FILES: Final = ("uv.lock", "requirements.txt", "pyproject.toml")


def find_sync_file(project_dir: Path) -> Path:
    """The file ``pepip sync`` reads when given none: uv.lock, requirements.txt, pyproject.toml."""
    for name in SYNC_FILES:
        if (project_dir / name).is_file():
            return project_dir / name
    raise PepipError(
        "no uv.lock, requirements.txt or pyproject.toml in %s; pass the file to sync" % project_dir
    )


def sync(
    locations: Locations,
    files: tuple[Path, ...],
    python: str | None,
    options: UvOptions,
    reporter: Reporter,
    lock_check: str = "",
    install_project: bool = True,
) -> Plan | None:
    """Sync the venv to ``files``; ``None`` when it already was in sync.

    A ``uv.lock`` is taken as ``uv sync`` takes it: locked again when the project's
    requirements changed, unless ``lock_check`` is ``"locked"`` (refuse a stale lock) or
    ``"frozen"`` (take it as it is). A ``pyproject.toml`` or ``uv.lock`` sync installs the
    project itself in editable mode too when it is a package (``pepip.uv.project``), unless
    ``install_project`` is false; a requirements file's sync removes it, as ``uv pip sync`` does.
    """
    files = files or (find_sync_file(locations.project_dir),)
    check_files(files + options.constraints)
    for path in files:
        if path.name == "uv.lock" and len(files) > 1:
            raise PepipError("sync takes a uv.lock alone, not with other files")
    if lock_check and files[0].name != "uv.lock":
        raise PepipError("--%s checks a uv.lock, and %s is not one; run `uv lock` first" % (lock_check, files[0]))
    project = _project_of(files) if install_project else None
    policy = read_hash_policy(
        files + options.constraints, options.require_hashes or hashes_required(locations), locations.project_dir
    )
    with open_venv(locations, python, reporter=reporter) as target:
        fingerprint = _fingerprint(target, files, options, lock_check, project)
        if (
            target.manifest.sync == fingerprint
            and _as_last_synced(target)
            and (project is None or _editable_of(target, project) is not None)
        ):
            reporter.line("Already in sync with %s; nothing to resolve" % ", ".join(map(str, files)))
            return None
        with reporter.step("resolve", "Resolving"), tempfile.TemporaryDirectory() as work:
            sources = list(files)
            if files[0].name == "uv.lock":
                exported = Path(work, "uv-lock-requirements.txt")
                exported.write_text(export_lock(locations.uv, files[0], options, lock_check), encoding="utf-8")
                sources = [exported]
                fingerprint = _fingerprint(target, files, options, lock_check, project)  # uv may have locked again
            resolution = target.resolve([], sources, options)
        pins = choose_pins(resolution.packages, target.tag_priority(), policy)
        reporter.resolved(len(pins), resolution.remembered)
        spared = frozenset() if project is None else frozenset({project.name})
        plan = apply_pins(target, pins, options, [], reporter, sync=fingerprint, exact=True, spared=spared)
        if project is not None and _editable_of(target, project) is None:
            # uv replaces an older install of the project: keep its files until the command succeeds
            guard_foreign(target, [item for item in target.foreign if item.name == project.name])
            install_editables(locations.uv, target.python, [str(project.directory)], options, locations.uv_cache)
            reporter.line(" + %s (editable)" % project.directory)
        if not plan.changes_nothing:
            resolution.keep()  # a command that changes nothing writes nothing, in the store too
        return plan


def _project_of(files: tuple[Path, ...]) -> Project | None:
    """The project a ``pyproject.toml`` or ``uv.lock`` sync installs, if it is a package."""
    if files[0].name == "uv.lock":
        return read_project(files[0].parent / "pyproject.toml")
    if files[0].name == "pyproject.toml":
        return read_project(files[0])
    return None


def _editable_of(target: OpenVenv, project: Project) -> Foreign | None:
    """The venv's editable install of ``project`` from its directory, if it is up to date:
    built after the last change to its ``pyproject.toml``, ``setup.py`` or ``setup.cfg``
    (the files whose change makes ``uv sync`` build it again)."""
    site = target.interpreter.site_packages
    for item in target.foreign:
        if item.name != project.name or not item.editable or item.url != project.directory.as_uri():
            continue
        try:
            built = os.stat(site / item.dist_info / "METADATA").st_mtime_ns
        except OSError:
            return None
        for name in PROJECT_FILES:
            try:
                if os.stat(project.directory / name).st_mtime_ns > built:
                    return None
            except OSError:
                continue
        return item
    return None


def _fingerprint(
    target: OpenVenv, files: tuple[Path, ...], options: UvOptions, lock_check: str, project: Project | None
) -> str:
    """What the sync depends on: every file uv reads (included ones too; for a ``uv.lock``
    the project's ``pyproject.toml``, whose change makes the lock stale), the local paths and
    ``--find-links`` locations they name (``describe_inputs``), options and interpreter."""
    digest = hashlib.sha256()
    locations = target.locations
    read = files + options.constraints + tuple(options.group_files(locations.project_dir))
    if files[0].name == "uv.lock" and (files[0].parent / "pyproject.toml").is_file():
        read += (files[0].parent / "pyproject.toml",)
    inputs = describe_inputs(read, [], options.find_links, locations.project_dir, dict(locations.uv_environment))
    for line in inputs:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(repr((options, target.interpreter.fields(), lock_check, project)).encode())
    return digest.hexdigest()[:32]


def _as_last_synced(target: OpenVenv) -> bool:
    """True when every distribution the manifest names is still wired and stored (its entry:
    a metapackage's has no ``site`` directory)."""
    present = set(os.listdir(target.interpreter.site_packages))
    return all(
        record.dist_info in present and os.path.isdir(record.entry_dir)
        for record in target.manifest.dists
    )
