"""The per-venv manifest: read and written atomically, in the format the runtime reads.

The format is defined once, in ``pepip_runtime.index`` (the runtime cannot import pepip);
this module adds the file handling and turns a damaged file into a ``PepipError``. It sits
below the parts because both sides read it: the venv side writes it, and the store's
registry reads it to learn which entries a venv uses.
"""

from __future__ import annotations

import marshal
from pathlib import Path
from typing import Protocol

from pepip import fsops
from pepip.artifacts import Artifact
from pepip.errors import PepipError
from pepip_runtime.index import (
    INDEX_NAME,
    MANIFEST_NAME,
    DistRecord,
    Manifest,
    ManifestError,
    parse_manifest,
    runtime_index,
)

__all__ = ["Manifest", "DistRecord", "Guard", "manifest_path", "read_manifest", "write_manifest"]


class Guard(Protocol):
    """What ``write_manifest`` needs of the venv's journal (``pepip.venv.journal.Journal``,
    a higher part than this module)."""

    def guard(self, path: Path, keep: bool = False) -> None:
        """Back up ``path`` before it changes."""


def manifest_path(venv: Path) -> Path:
    """Where a venv's manifest lives (the runtime finds it from its own site-packages)."""
    return venv / MANIFEST_NAME


def read_manifest(venv: Path, next_step: str = "run `pepip doctor`") -> Manifest | None:
    """The venv's manifest, or ``None`` if pepip has not wired this venv yet.

    A damaged one is a ``PepipError`` that ends with ``next_step``.
    """
    path = manifest_path(venv)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PepipError("cannot read %s: %s" % (path, error.strerror)) from None
    except UnicodeDecodeError:
        raise PepipError("the manifest %s is damaged (not UTF-8 text); %s" % (path, next_step)) from None
    try:
        manifest = parse_manifest(text)
        for record in manifest.dists:
            if record.artifact:
                Artifact.from_text(record.artifact)
    except (ManifestError, ValueError) as error:
        raise PepipError(
            "the manifest %s is damaged (%s); %s" % (path, error, next_step)
        ) from None
    return manifest


def write_manifest(venv: Path, manifest: Manifest, journal: Guard | None) -> None:
    """Replace the runtime index, then the manifest, each atomically, when they change.

    Readers see an old or a new file, never half of one. Between the two renames the runtime
    already imports the new pins, all of which are in the store by then. ``journal`` keeps
    the old files until the venv's transaction commits (a store template has none). A file
    that would hold the same content is left alone: a command that changes nothing writes
    nothing (marshal's bytes for equal values can differ, so the index is compared decoded).
    """
    for path, data in (
        (venv / INDEX_NAME, runtime_index(manifest)),
        (manifest_path(venv), manifest.to_text().encode("utf-8")),
    ):
        if _same_content(path, data):
            continue
        if journal is not None:
            journal.guard(path, keep=True)
        fsops.atomic_write_bytes(path, data)


def _same_content(path: Path, data: bytes) -> bool:
    """True when ``path`` already holds ``data``, or for the index, the same decoded values."""
    try:
        current = path.read_bytes()
    except OSError:
        return False
    if current == data:
        return True
    if path.name != INDEX_NAME:
        return False
    try:
        return _decoded(current) == _decoded(data)
    except (ValueError, EOFError, TypeError):
        return False


def _decoded(index: bytes) -> object:
    """A runtime index's values, its nested marshal'd ``details`` decoded too."""
    value = marshal.loads(index)
    if isinstance(value, tuple) and value and isinstance(value[-1], bytes):
        return value[:-1] + (marshal.loads(value[-1]),)
    return value
