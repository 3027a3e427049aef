"""The store's entries an offline resolution may take, each with the artifact it was built from.

When uv's cache cannot answer an offline resolution, the store's builds are offered to it
(``pepip.uv.stored``). An offered entry's ``METADATA`` then decides what the resolution
picks, so, as with remembered resolutions (docs/security.md, promise 3), only entries whose
writer the user trusts are offered: in the writable store the user's own, in a base store
also those of its owner (the admin who filled it). A teammate's entry in a team store is
still linked for an artifact a resolution names; it is not offered.

Offered are entries that fit the interpreter (a tag of the entry's tag set is one of the
interpreter's) and were built from an index's or a ``--find-links`` location's wheel or
sdist (identity ``sha256:<hex>``): a name alone never resolves to a URL, a path, a VCS
commit or a source tree online either.

An entry records its artifact's identity, not where the artifact was found (which index,
which folder); a pin names the whole artifact, and a later fetch (of a damaged entry, by
``repair``) needs its location. It is taken from the user's own records naming the same
identity: the manifests of the user's venvs, then the user's remembered resolutions. Where
none does, the pin names the wheel by its file name alone (``Artifact.located`` is false),
and a fetch asks uv which artifact that version is first (``pepip.commands.apply``).
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import AbstractSet, Final, Mapping

from pepip import fsops
from pepip.artifacts import Artifact, identity_key
from pepip.tag_sets import expand_tags
from pepip.errors import PepipError
from pepip.manifest import manifest_path, read_manifest
from pepip.store.entries import read_entry
from pepip.store.layout import Store, iter_entries
from pepip.store.registry import registered_venvs
from pepip.uv.installed import wheel_name
from pepip.uv.resolutions import remembered_artifacts
from pepip.uv.stored import StoredBuild

__all__ = ["stored_builds"]

_SHA256_IDENTITY: Final = re.compile("sha256:([0-9a-f]{64})")


def stored_builds(store: Store, priority: Mapping[str, int]) -> list[StoredBuild]:
    """The trusted entries of every layer of ``store`` that fit an interpreter whose tags
    ``priority`` ranks, each with its artifact as the user's records name it."""
    builds = []
    for layer in store.layers():
        writers = _trusted_writers(layer, layer is store)
        for path in iter_entries(layer):
            build = _build(path, priority, writers)
            if build is not None:
                builds.append(build)
    recorded = _recorded_artifacts(store, {build.artifact.identity for build in builds})
    return [replace(build, artifact=recorded.get(build.artifact.identity, build.artifact)) for build in builds]


def _trusted_writers(layer: Store, writable: bool) -> AbstractSet[int] | None:
    """Whose entries of ``layer`` are offered: the running user's, and in a base store its
    owner's; ``None`` where the OS has no owners to tell apart (Windows)."""
    if not hasattr(os, "geteuid"):
        return None
    if writable:
        return {os.geteuid()}
    try:
        return {os.geteuid(), os.stat(layer.root).st_uid}
    except OSError:
        return {os.geteuid()}


def _build(path: Path, priority: Mapping[str, int], writers: AbstractSet[int] | None) -> StoredBuild | None:
    """The entry at ``path`` as a build to offer, or ``None``: not a trusted writer's, not
    for this interpreter, damaged, or built from a direct reference."""
    try:
        if writers is not None and os.lstat(path).st_uid not in writers:
            return None
        tags, _, key = path.name.rpartition("-")
        if not any(tag in priority for tag in expand_tags(tags)):
            return None
        entry = read_entry(path)
    except (OSError, ValueError, PepipError):  # gone meanwhile, no tag set, damaged
        return None
    identity = _SHA256_IDENTITY.fullmatch(entry.artifact)
    if identity is None or identity_key(entry.artifact) != key:
        return None
    if (entry.name, entry.version) != (path.parent.parent.name, path.parent.name):
        return None  # the lookup would not find it where a pin of its name and version looks
    artifact = Artifact("wheel", wheel_name(entry.name, entry.version, tags=tags), sha256=identity.group(1))
    return StoredBuild(entry.name, entry.version, tags, entry.dist_info_dir / "METADATA", artifact)


def _recorded_artifacts(store: Store, wanted: AbstractSet[str]) -> dict[str, Artifact]:
    """The artifacts of the ``wanted`` identities as the user's own venvs' manifests, then
    remembered resolutions, name them (an index's or a folder's wheel or sdist), in every
    layer: a base store may be the user's own earlier store."""
    found: dict[str, Artifact] = {}

    def note(artifact: Artifact) -> None:
        if artifact.kind in ("wheel", "sdist") and artifact.identity in wanted:
            found.setdefault(artifact.identity, artifact)

    for venv in sorted({venv for layer in store.layers() for venv in registered_venvs(layer)}):
        if len(found) == len(wanted):
            return found
        if not fsops.owned(manifest_path(venv)):
            continue
        try:
            manifest = read_manifest(venv)  # checks every artifact's text
        except PepipError:
            continue
        for record in manifest.dists if manifest is not None else ():
            if record.artifact:
                note(Artifact.from_text(record.artifact))
    for layer in store.layers():
        for artifact in remembered_artifacts(layer.resolutions_dir):
            if len(found) == len(wanted):
                return found
            note(artifact)
    return found
