"""The per-venv manifest: read and written atomically, in the format the runtime reads.

The format is defined once, in ``pepip_runtime.index`` (the runtime cannot import pepip);
this module adds the file handling and turns a damaged file into a ``PepipError``. It sits
below the parts because both sides read it: the venv side writes it, and the store's
registry reads it to learn which entries a venv uses.
"""

from __future__ import annotations

import marshal
import os

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

TYPE_CHECKING = False  # not `typing`'s: `pepip list` reads manifests before `typing` (and `re`) load
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Protocol

    class Guard(Protocol):
        """What ``write_manifest`` needs of the venv's journal (``pepip.venv.journal.Journal``,
        a higher part than this module)."""

        def guard(self, path: Path, keep: bool = False) -> None:
            """Back up ``path`` before it changes."""


__all__ = ["Manifest", "DistRecord", "manifest_path", "load_manifest", "read_manifest", "write_manifest"]


def manifest_path(venv: Path) -> Path:
    """Where a venv's manifest lives (the runtime finds it from its own site-packages)."""
    return venv / MANIFEST_NAME


def load_manifest(venv: str | os.PathLike[str], next_step: str = "run `pepip doctor`") -> Manifest | None:
    """The venv's manifest as ``parse_manifest`` reads it, or ``None`` if pepip has not wired
    this venv yet; what list and freeze need (``read_manifest`` checks the artifacts too).

    A damaged one is a ``PepipError`` that ends with ``next_step``.
    """
    path = os.path.join(venv, MANIFEST_NAME)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise PepipError("cannot read %s: %s" % (path, error.strerror)) from None
    except UnicodeDecodeError:
        raise PepipError("the manifest %s is damaged (not UTF-8 text); %s" % (path, next_step)) from None
    try:
        return parse_manifest(text)
    except ManifestError as error:
        raise _damaged(path, error, next_step) from None


def read_manifest(venv: Path, next_step: str = "run `pepip doctor`") -> Manifest | None:
    """The venv's manifest, or ``None`` if pepip has not wired this venv yet; every
    distribution's artifact is checked to be one ``pepip.artifacts`` can read.

    A damaged one is a ``PepipError`` that ends with ``next_step``.
    """
    manifest = load_manifest(venv, next_step)
    if manifest is None:
        return None
    from pepip.artifacts import Artifact

    try:
        for record in manifest.dists:
            if record.artifact:
                Artifact.from_text(record.artifact)
    except ValueError as error:
        raise _damaged(manifest_path(venv), error, next_step) from None
    return manifest


def _damaged(path: str | os.PathLike[str], why: ValueError, next_step: str) -> PepipError:
    return PepipError("the manifest %s is damaged (%s); %s" % (path, why, next_step))


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
        from pepip import fsops

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
