"""What the store holds, offered to an offline resolution as candidates.

Offline (``--offline``, ``UV_OFFLINE``, uv's ``offline`` setting) uv resolves from its cache
and local locations only: with pepip's uv cache empty (a new machine, a cleaned cache,
another ``PEPIP_CACHE_DIR``) it finds nothing, though the store may hold every distribution
the request needs. pepip then offers uv the store's builds the way ``pepip.uv.installed``
offers a venv's distributions: per build, a wheel of its dist-info alone (the entry's
``METADATA``), in a ``--find-links`` folder of the resolution. Its file name carries the
build's own wheel tags, so uv takes only builds that fit the interpreter and prefers among
them as among the real wheels; a build tag made of the artifact's key keeps two builds of
one version apart. Each offered wheel uv names is mapped back to the artifact the build was
stored from (``StoredBuild.artifact``): the pin is the one an online resolution gives for
that artifact, the store lookup finds the entry, and nothing is fetched.

This happens only after the plain resolution failed (``pepip.uv.resolutions``): online, and
offline when uv's cache answers, nothing is read or written. The wheels go to a temporary
directory of the resolution, never into the store, so a team's or a read-only store works
alike. An entry's ``METADATA`` is copied as bytes and read by uv as any wheel's: data, never
code. Which builds are offered, and whose, is ``pepip.store.offline``'s decision.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Final, Mapping, Sequence

from pepip.artifacts import Artifact, LockedPackage, NormalizedName, normalized
from pepip.tag_sets import expand_tags
from pepip.uv.installed import wheel_name, write_offer_wheel

if TYPE_CHECKING:
    from pepip.uv.options import UvOptions

__all__ = ["StoredBuild", "write_stored_offers", "with_stored", "offline_asked"]

# The values uv takes as true for a boolean environment variable (clap's "boolish").
_TRUE: Final = frozenset({"1", "true", "yes", "on", "y", "t"})


@dataclass(frozen=True)
class StoredBuild:
    """One store entry a resolution may take: its distribution, its wheel tags (the entry
    directory's tag set), its ``METADATA`` and the artifact it was built from."""

    name: NormalizedName
    version: str
    tags: str
    metadata: Path
    artifact: Artifact


def write_stored_offers(directory: Path, builds: Sequence[StoredBuild], options: UvOptions) -> dict[str, StoredBuild]:
    """Write a dist-info-only wheel for each of ``builds`` into ``directory``; return them by
    file name. A build ``--no-binary``/``--only-binary`` rules out, or whose ``METADATA``
    cannot be read, is left out."""
    directory.mkdir(parents=True, exist_ok=True)
    offered: dict[str, StoredBuild] = {}
    for build in builds:
        name = wheel_name(build.name, build.version, "0" + build.artifact.key, build.tags)
        if name in offered or not _allowed(build, options):
            continue  # the same build in a base store too: the lookup finds the first
        try:
            with open(os.open(build.metadata, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as handle:
                metadata = handle.read()
        except OSError:
            continue
        write_offer_wheel(directory / name, build.name, build.version, metadata, expand_tags(build.tags))
        offered[name] = build
    return offered


def _allowed(build: StoredBuild, options: UvOptions) -> bool:
    """Whether uv could take the build's artifact: not a wheel under ``--no-binary``, not an
    sdist's build under ``--only-binary``."""
    refused = options.no_binary if build.artifact.kind == "wheel" else options.only_binary
    return not {":all:", build.name} & {name if name == ":all:" else normalized(name) for name in refused}


def with_stored(packages: Sequence[LockedPackage], directory: Path, offered: Mapping[str, StoredBuild]) -> list[LockedPackage]:
    """``packages`` with each offered wheel uv named replaced by the artifact its build was
    stored from (one artifact once, however many builds of it were offered)."""
    directory = directory.resolve()
    restored = []
    for package in packages:
        candidates: list[Artifact] = []
        for artifact in package.candidates:
            path = artifact.local_path
            if path is not None and path.resolve().is_relative_to(directory):
                build = offered.get(path.name)
                if build is None:
                    continue
                artifact = build.artifact
            if artifact not in candidates:
                candidates.append(artifact)
        restored.append(replace(package, candidates=tuple(candidates)))
    return restored


def offline_asked(options: UvOptions, environment: Sequence[tuple[str, str]], config_files: Sequence[Path]) -> bool:
    """Whether uv runs offline: ``--offline``, else ``UV_OFFLINE``, else the first of uv's
    configuration files that sets ``offline`` (as uv ranks them: flag, variable, files)."""
    if options.offline:
        return True
    value = dict(environment).get("UV_OFFLINE", "").strip()
    if value:
        return value.lower() in _TRUE
    for path in config_files:
        setting = _config_offline(path)
        if setting is not None:
            return setting
    return False


def _config_offline(path: Path) -> bool | None:
    """``offline`` of a ``uv.toml`` (or a ``pyproject.toml``'s ``[tool.uv]``), if it sets it."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - the stdlib's tomllib is tomli
        import tomli as tomllib
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # uv itself says what is wrong with it
    table = data.get("tool", {}).get("uv", {}) if path.name == "pyproject.toml" else data
    value = table.get("offline") if isinstance(table, dict) else None
    return value if isinstance(value, bool) else None
