"""The per-venv manifest: its format, read and written atomically, and the runtime index
made from it.

pepip reads the manifest back at every command; the runtime never reads it. A manifest of
500 distributions is split in well under a millisecond, so the format stays plain
tab-separated text lines, which need no parsing library. The module sits below the parts
because both sides read it: the venv side writes it, and the store's registry reads it to
learn which entries a venv uses.

Layout, one record per line, fields separated by TAB::

    pepip-manifest  2
    interpreter     cpython  3.11  <abiflags>  <cache_tag>
    request         <requirement as the user gave it>
    sync            <fingerprint of the inputs of the last `pepip sync`>
    preload         <name> <native libraries of other distributions it needs, comma-separated>
    dist            <name> <version> <dist-info dir> <site dir> <names> <pth files> <source> <artifact>

``names`` (importable top-level names) and ``pth files`` are comma-separated; ``site dir`` is
the absolute path of the store entry's importable root; ``source`` is ``name==version`` or
``name @ url`` and is what pepip hands back to uv when it resolves the venv again;
``artifact`` names the artifact the store entry was built from (``pepip.artifacts``). A manifest
of another format (format 1 had no artifacts) is refused as damaged, with the way out.

Beside it pepip writes the *runtime index* (``pepip-index.marshal``, made by ``runtime_index``),
the same mapping in the form start-up needs, serialised with ``marshal``: loading it is one C
call, where splitting 500 manifest lines in Python costs ~1 ms of every interpreter start.
``marshal`` format 4 is read by every Python 3.4+, whatever version pepip itself runs on.
``pepip_runtime`` reads it, and holds its file names and format number, the only part of
the format that is copied into every venv.
"""

from __future__ import annotations

import marshal
import os

from pepip.errors import PepipError
from pepip_runtime import INDEX_FORMAT, INDEX_NAME, MANIFEST_NAME
from pepip_runtime.lookup import NSPKG_SUFFIX

TYPE_CHECKING = False  # not `typing`'s: `pepip list` reads manifests before `typing` (and `re`) load
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Final, Protocol

    class Guard(Protocol):
        """What ``write_manifest`` needs of the venv's journal (``pepip.venv.journal.Journal``,
        a higher part than this module)."""

        def guard(self, path: Path, keep: bool = False) -> None:
            """Back up ``path`` before it changes."""


__all__ = [
    "FORMAT_VERSION",
    "ManifestError",
    "DistRecord",
    "Manifest",
    "parse_manifest",
    "header_line",
    "runtime_index",
    "manifest_path",
    "load_manifest",
    "read_manifest",
    "write_manifest",
]

FORMAT_VERSION: Final = "2"
_MAGIC: Final = "pepip-manifest"


class ManifestError(ValueError):
    """The manifest file cannot be understood."""


class DistRecord:
    """One distribution wired into the venv (a plain class with slots: every command makes
    one for each distribution of the venv)."""

    __slots__ = ("name", "version", "dist_info", "site_dir", "top_level", "pth_files", "source", "artifact")

    def __init__(
        self,
        name: str,
        version: str,
        dist_info: str,
        site_dir: str,
        top_level: tuple[str, ...],
        pth_files: tuple[str, ...],
        source: str,
        artifact: str,
    ) -> None:
        self.name = name
        self.version = version
        self.dist_info = dist_info
        self.site_dir = site_dir
        self.top_level = top_level
        self.pth_files = pth_files
        self.source = source
        self.artifact = artifact

    @property
    def entry_dir(self) -> Path:
        """The store entry the distribution is linked from (``site_dir`` is its ``site/``)."""
        from pathlib import Path  # not at import: `pepip list` reads manifests without pathlib

        return Path(self.site_dir).parent

    @property
    def url(self) -> str:
        """The URL of a direct reference (``name @ url``); empty for ``name==version``."""
        return self.source.partition(" @ ")[2]

    def to_line(self) -> str:
        """The manifest line for this distribution."""
        return "\t".join(
            (
                "dist",
                self.name,
                self.version,
                self.dist_info,
                self.site_dir,
                ",".join(self.top_level),
                ",".join(self.pth_files),
                self.source,
                self.artifact,
            )
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DistRecord) and self.to_line() == other.to_line()

    def __hash__(self) -> int:
        return hash(self.to_line())

    def __repr__(self) -> str:
        return "DistRecord(%s==%s at %s)" % (self.name, self.version, self.site_dir)


class Manifest:
    """What a manifest file holds: the interpreter it was made for, requests, distributions."""

    __slots__ = ("interpreter", "requests", "dists", "sync", "preloads")

    def __init__(
        self,
        interpreter: tuple[str, ...],
        requests: list[str],
        dists: list[DistRecord],
        sync: str = "",
        preloads: dict[str, tuple[str, ...]] | None = None,
    ) -> None:
        self.interpreter = interpreter
        self.requests = requests
        self.dists = dists
        self.sync = sync
        self.preloads = {} if preloads is None else preloads

    def to_text(self) -> str:
        """Serialise in the format ``parse_manifest`` reads."""
        lines = [header_line()]
        if self.interpreter:
            lines.append("\t".join(("interpreter",) + self.interpreter))
        lines.extend("request\t" + request for request in self.requests)
        if self.sync:
            lines.append("sync\t" + self.sync)
        lines.extend(
            "preload\t%s\t%s" % (name, ",".join(paths)) for name, paths in sorted(self.preloads.items())
        )
        lines.extend(dist.to_line() for dist in self.dists)
        return "\n".join(lines) + "\n"


def _split_list(field: str) -> tuple[str, ...]:
    return tuple(field.split(",")) if field else ()


def parse_manifest(text: str) -> Manifest:
    """Parse a manifest's text; raise ``ManifestError`` on anything unexpected."""
    lines = text.split("\n")
    if lines[0] != header_line():
        magic, _, version = lines[0].partition("\t")
        if magic == _MAGIC:
            raise ManifestError("a manifest of format %s; this pepip reads format %s" % (version[:20], FORMAT_VERSION))
        raise ManifestError("not a pepip manifest")
    interpreter: tuple[str, ...] = ()
    requests: list[str] = []
    dists: list[DistRecord] = []
    sync = ""
    preloads: dict[str, tuple[str, ...]] = {}
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        kind = fields[0]
        if kind == "dist" and len(fields) == 9 and fields[8]:
            dists.append(
                DistRecord(
                    fields[1],
                    fields[2],
                    fields[3],
                    fields[4],
                    _split_list(fields[5]),
                    _split_list(fields[6]),
                    fields[7],
                    fields[8],
                )
            )
        elif kind == "request" and len(fields) == 2:
            requests.append(fields[1])
        elif kind == "interpreter":
            interpreter = tuple(fields[1:])
        elif kind == "sync" and len(fields) == 2:
            sync = fields[1]
        elif kind == "preload" and len(fields) == 3:
            preloads[fields[1]] = _split_list(fields[2])
        else:
            raise ManifestError("unexpected line: " + line[:60])
    if not interpreter:  # every manifest pepip writes names it: this one was cut short
        raise ManifestError("it names no interpreter")
    return Manifest(interpreter, requests, dists, sync, preloads)


def header_line() -> str:
    """The first line of every manifest of this format."""
    return _MAGIC + "\t" + FORMAT_VERSION


def runtime_index(manifest: Manifest) -> bytes:
    """The runtime index of a manifest: ``(format, names, roots, pth files, details)``.

    Start-up decodes only what it uses: ``names`` maps each top-level import name to the
    store root providing it (a list when several do), ``roots`` lists every store root of
    the venv, ``pth files`` are ``(file, root, dist-info)``, without setuptools' ``-nspkg.pth``
    shims (start-up then need not load ``lookup`` for them). ``details`` is itself marshal'd
    and decoded at the first lookup: ``(owners, preloads)``, where ``owners`` maps a root to
    ``(name==version, dist-info dir)`` (error messages; the check that ``pip uninstall`` has
    not removed the distribution) and ``preloads`` a top-level name to native libraries to
    load before its first import.
    """
    names: dict[str, str | list[str]] = {}
    owners: dict[str, tuple[str, str]] = {}
    pth_files: list[tuple[str, str, str]] = []
    for dist in manifest.dists:
        owners[dist.site_dir] = (dist.name + "==" + dist.version, dist.dist_info)
        for name in dist.top_level:
            known = names.get(name)
            if known is None:
                names[name] = dist.site_dir
            elif isinstance(known, str):
                names[name] = [known, dist.site_dir]
            else:
                known.append(dist.site_dir)
        # setuptools' -nspkg.pth shims only make namespaces, which the finder provides
        pth_files.extend(
            (name, dist.site_dir, dist.dist_info) for name in dist.pth_files if not name.endswith(NSPKG_SUFFIX)
        )
    preloads = {
        name: list(manifest.preloads[dist.name])
        for dist in manifest.dists
        if dist.name in manifest.preloads
        for name in dist.top_level
    }
    details = marshal.dumps((owners, preloads), 4)
    roots = [dist.site_dir for dist in manifest.dists]
    return marshal.dumps((INDEX_FORMAT, names, roots, sorted(pth_files), details), 4)


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
