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

from pepip.commands.apply import apply_pins
from pepip.artifacts import choose_pins
from pepip.errors import PepipError
from pepip.uv.hashes import hashes_required, read_hash_policy
from pepip.commands.install import check_files
from pepip.locations import Locations
from pepip.commands.plan import Plan
from pepip.report import Reporter, plural
from pepip.uv.requirement_files import describe_inputs
from pepip.uv.resolutions import resolve_remembered
from pepip.uv.resolve import UvOptions, export_lock
from pepip.venv.target import Target, open_target

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
) -> Plan | None:
    """Sync the venv to ``files``; ``None`` when it already was in sync."""
    files = files or (find_sync_file(locations.project_dir),)
    check_files(files + options.constraints)
    for path in files:
        if path.name == "uv.lock" and len(files) > 1:
            raise PepipError("sync takes a uv.lock alone, not with other files")
    policy = read_hash_policy(
        files + options.constraints, options.require_hashes or hashes_required(locations), locations.project_dir
    )
    with open_target(locations, python, reporter=reporter) as target:
        fingerprint = _fingerprint(target, files, options)
        if target.manifest.sync == fingerprint and _as_last_synced(target):
            reporter.line("Already in sync with %s; nothing to resolve" % ", ".join(map(str, files)))
            return None
        with reporter.step("resolve", "Resolving"), tempfile.TemporaryDirectory() as work:
            sources = list(files)
            if files[0].name == "uv.lock":
                exported = Path(work, "uv-lock-requirements.txt")
                exported.write_text(export_lock(locations.uv, files[0], options), encoding="utf-8")
                sources = [exported]
            resolution = resolve_remembered(
                locations, target.python, target.interpreter.fields(), target.store.base / "resolutions",
                [], sources, target.preferences(), options, target.store.owner,
            )
        pins = choose_pins(resolution.packages, target.tag_priority(), policy)
        reporter.line(
            "Resolved %s in %s%s"
            % (plural(len(pins), "package"), reporter.took("resolve"), " (remembered)" if resolution.remembered else "")
        )
        plan = apply_pins(target, pins, options, [], reporter, sync=fingerprint, exact=True)
        if not plan.changes_nothing:
            resolution.keep()  # a command that changes nothing writes nothing, in the store too
        return plan


def _fingerprint(target: Target, files: tuple[Path, ...], options: UvOptions) -> str:
    """What the sync depends on: every file uv reads (included ones too, and the
    ``pyproject.toml`` a ``--group`` comes from), the local paths and ``--find-links``
    locations they name (``describe_inputs``), options and interpreter."""
    digest = hashlib.sha256()
    locations = target.locations
    inputs = describe_inputs(
        files + options.constraints + tuple(options.group_files(locations.project_dir)),
        [], options.find_links, locations.project_dir, dict(locations.uv_environment),
    )
    for line in inputs:
        digest.update(line.encode("utf-8", "surrogateescape") + b"\0")
    digest.update(repr((options, target.interpreter.fields())).encode())
    return digest.hexdigest()[:32]


def _as_last_synced(target: Target) -> bool:
    """True when every distribution the manifest names is still wired and stored."""
    present = set(os.listdir(target.interpreter.site_packages))
    return all(
        record.dist_info in present and os.path.isdir(record.site_dir)
        for record in target.manifest.dists
    )
