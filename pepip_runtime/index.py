"""The venv manifest as the runtime sees it: plain tab-separated text lines.

The runtime reads this file at every interpreter start-up, so the format needs no parsing
library (``json`` alone made ``python -c pass`` 1.8x slower), and this module imports nothing
beyond what the interpreter has loaded already (not even ``typing``). ``pepip.manifest``
writes the file and parses it with the same function, so the format is defined once.

Layout, one record per line, fields separated by TAB::

    pepip-manifest  1
    interpreter     cpython  3.11  <abiflags>  <cache_tag>
    request         <requirement as the user gave it>
    sync            <fingerprint of the inputs of the last `pepip sync`>
    preload         <name> <native libraries of other distributions it needs, comma-separated>
    dist            <name> <version> <dist-info dir> <site dir> <names> <pth files> <source> <artifact>

``names`` (importable top-level names) and ``pth files`` are comma-separated; ``site dir`` is
the absolute path of the store entry's importable root; ``source`` is ``name==version`` or
``name @ url`` and is what pepip hands back to uv when it resolves the venv again;
``artifact`` names the artifact the store entry was built from (``pepip.artifacts``; empty in
manifests of pepip versions before artifacts were recorded, which had seven fields).

Beside it pepip writes the *runtime index* (``pepip-index.marshal``), the same mapping in the
form start-up needs, serialised with ``marshal``: loading it is one C call, where splitting
500 manifest lines in Python costs ~1 ms of every interpreter start. ``marshal`` format 4 is
read by every Python 3.4+, whatever version pepip itself runs on.
"""

from __future__ import annotations

import marshal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "MANIFEST_NAME",
    "FORMAT_VERSION",
    "ManifestError",
    "DistRecord",
    "Manifest",
    "parse_manifest",
    "header_line",
    "INDEX_NAME",
    "INDEX_FORMAT",
    "runtime_index",
]

MANIFEST_NAME: Final = "pepip-manifest.txt"
FORMAT_VERSION: Final = "1"
_MAGIC: Final = "pepip-manifest"
INDEX_NAME: Final = "pepip-index.marshal"
INDEX_FORMAT: Final = 2


class ManifestError(ValueError):
    """The manifest file cannot be understood."""


class DistRecord:
    """One distribution wired into the venv (a plain class: ``typing`` costs start-up time)."""

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
        artifact: str = "",
    ) -> None:
        self.name = name
        self.version = version
        self.dist_info = dist_info
        self.site_dir = site_dir
        self.top_level = top_level
        self.pth_files = pth_files
        self.source = source
        self.artifact = artifact

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
        raise ManifestError("not a pepip manifest of format " + FORMAT_VERSION)
    interpreter: tuple[str, ...] = ()
    requests: list[str] = []
    dists: list[DistRecord] = []
    sync = ""
    preloads = {}  # type: dict[str, tuple[str, ...]]
    for line in lines[1:]:
        if not line:
            continue
        fields = line.split("\t")
        kind = fields[0]
        if kind == "dist" and len(fields) in (8, 9):
            dists.append(
                DistRecord(
                    fields[1],
                    fields[2],
                    fields[3],
                    fields[4],
                    _split_list(fields[5]),
                    _split_list(fields[6]),
                    fields[7],
                    fields[8] if len(fields) == 9 else "",
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
    names = {}  # type: dict[str, str | list[str]]
    owners = {}  # type: dict[str, tuple[str, str]]
    pth_files = []  # type: list[tuple[str, str, str]]
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
            (name, dist.site_dir, dist.dist_info) for name in dist.pth_files if not name.endswith("-nspkg.pth")
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
