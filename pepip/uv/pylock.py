"""uv's ``pylock.toml`` (PEP 751): reading the resolution ``uv pip compile`` writes, and
writing the one-artifact-per-pin lock ``uv pip install`` fetches exactly those artifacts from.

A resolution's lock names, for every distribution, the artifacts uv would accept for the
interpreter, each with its sha256 where uv knows it (``artifacts.LockedPackage``). The lock
pepip writes back names the single artifact chosen for each pin (``pepip.selection``) with
its hash, so uv installs what was resolved or refuses it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Mapping, Sequence

from pepip.artifacts import Artifact, LockedPackage, Pin, normalized, tree_digest
from pepip.errors import PepipError

__all__ = ["read_pylock", "render_pylock"]


def read_pylock(path: Path) -> list[LockedPackage]:
    """The packages of a ``pylock.toml`` uv wrote (editable trees left out: never stored)."""
    from pepip import toml  # imported here: a remembered resolution needs no TOML
    try:
        data = toml.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PepipError("cannot read uv's resolution %s: %s" % (path, error)) from None
    packages = []
    for raw in data.get("packages", []):
        candidates = [_artifact("wheel", item, path.parent) for item in raw.get("wheels", [])]
        for kind, table in (("sdist", "sdist"), ("archive", "archive"), ("directory", "directory"), ("vcs", "vcs")):
            if table in raw:
                candidates.append(_artifact(kind, raw[table], path.parent))
        name = normalized(raw["name"])
        if not candidates:
            raise PepipError("uv's resolution names no artifact for %s" % name)
        if any(artifact.editable for artifact in candidates):
            continue
        packages.append(LockedPackage(name, raw.get("version"), tuple(candidates)))
    return packages


def _artifact(kind: str, table: Mapping[str, object], base: Path) -> Artifact:
    hashes = table.get("hashes")
    sha256 = str(hashes.get("sha256", "")) if isinstance(hashes, dict) else ""
    if "path" in table:
        location = os.path.normpath(base / str(table["path"]))
        is_path = True
    else:
        location, is_path = str(table.get("url", "")), False
    extra = tuple(
        (name, str(value).lower() if isinstance(value, bool) else str(value))
        for name, value in table.items()
        if name in ("type", "commit-id", "requested-revision", "subdirectory", "editable")
    )
    return _with_tree(Artifact(kind, location, is_path, sha256, "", extra))


def _with_tree(artifact: Artifact) -> Artifact:
    if artifact.kind != "directory":
        return artifact
    return replace(artifact, tree=tree_digest(Path(artifact.location)))


def render_pylock(pins: Sequence[Pin]) -> str:
    """A ``pylock.toml`` naming exactly one artifact per pin, for ``uv pip install``."""
    blocks = ['lock-version = "1.0"\ncreated-by = "pepip"\n']
    for pin in pins:
        artifact = pin.artifact
        if artifact is None:
            raise PepipError("no artifact is known for %s; run `pepip install --refresh`" % pin.spec)
        lines = ["[[packages]]", "name = %s" % json.dumps(pin.name)]
        if pin.version:
            lines.append("version = %s" % json.dumps(pin.version))
        table = "wheels = [%s]" if artifact.kind == "wheel" else artifact.kind + " = %s"
        lines.append(table % _inline_table(artifact))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def _inline_table(artifact: Artifact) -> str:
    """The artifact as a TOML inline table of a ``pylock.toml`` package."""
    items = [("path" if artifact.is_path else "url", json.dumps(artifact.location))]
    if artifact.sha256:
        items.append(("hashes", "{ sha256 = %s }" % json.dumps(artifact.sha256)))
    for name, value in artifact.extra:
        items.append((name, value if value in ("true", "false") else json.dumps(value)))
    return "{ %s }" % ", ".join("%s = %s" % item for item in items)
