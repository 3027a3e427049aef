"""An entry's facts: derived from its files when it is built, and derived again by verify.

Every published entry holds an ``ENTRY`` file (what the runtime and the wiring read without
walking the entry) and a ``BYTECODE`` file (the bytecode compiled when it was stored, in
RECORD format). Both are *derived* data: ``ENTRY`` from the entry's METADATA, RECORD,
entry points, native files and ``BYTECODE``; so ``pepip store verify`` checks them by
deriving them again from the files and comparing, and a changed ``ENTRY`` (another import
name, another artifact) or a replaced ``.pyc`` is named like any modified file.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Iterable


from pepip.artifacts import NormalizedName
from pepip.errors import PepipError
from pepip.names import name_version
from pepip.store.native import NativeReach, scan_native_reach
from pepip_runtime.lookup import ENTRY_FILE

__all__ = [
    "StoreEntry",
    "read_entry",
    "entry_present",
    "ENTRY_FILE",
    "BYTECODE_FILE",
    "FACT_ORDER",
    "derive_facts",
    "facts_text",
    "parse_facts",
    "write_bytecode_list",
    "bytecode_files",
    "record_hash",
    "file_record_hash",
    "format_record",
    "entry_digest",
    "read_record",
    "entry_point_scripts",
]

BYTECODE_FILE: Final = "BYTECODE"
FACT_ORDER: Final = (
    "name", "version", "dist_info", "artifact", "top_level", "pth", "scripts", "digest", "bytecode", "native",
)
_NATIVE_SUFFIXES: Final = (".so", ".pyd", ".dylib")


def record_hash(data: bytes) -> str:
    """A RECORD hash field (``sha256=`` urlsafe base64 without padding)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def file_record_hash(path: Path) -> str:
    """``record_hash`` of a file's content, read in chunks (entries hold GB-sized libraries)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


def format_record(rows: Iterable[tuple[str, str, str]]) -> str:
    """An entry's RECORD rows as stored, sorted (RECORD's own line not among them)."""
    return "".join("%s,%s,%s\n" % row for row in sorted(rows))


def entry_digest(record_text: str) -> str:
    """The digest ENTRY keeps of ``format_record``'s text."""
    return hashlib.sha256(record_text.encode("utf-8")).hexdigest()[:16]


def read_record(path: Path) -> list[tuple[str, str, str]]:
    """Rows of a RECORD file as (path, hash, size).

    Linking a venv reads every distribution's RECORD, torch's has 15,000 rows: lines without
    CSV quoting (nearly all) are split directly, the ``csv`` module reads the rest.
    """
    rows: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if '"' in line:
            for row in csv.reader(io.StringIO(line)):
                rows.append((row[0], row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else ""))
        elif line:
            head, _, size = line.rpartition(",")
            name, _, hash_field = head.rpartition(",")
            rows.append((name, hash_field, size) if name else (line, "", ""))
    return rows


def entry_point_scripts(dist_info: Path) -> dict[str, dict[str, str]]:
    """``console_scripts`` and ``gui_scripts`` of a dist-info: group -> script -> target."""
    if not (dist_info / "entry_points.txt").is_file():
        return {}
    import configparser  # most distributions have none: load it for those that do

    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string((dist_info / "entry_points.txt").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except configparser.Error as error:
        raise PepipError("entry_points.txt of %s is invalid: %s" % (dist_info.name, error)) from None
    return {
        group: dict(parser[group])
        for group in ("console_scripts", "gui_scripts")
        if parser.has_section(group)
    }


def bytecode_files(entry: Path) -> list[str]:
    """Entry-relative paths of every ``.pyc`` in a ``__pycache__`` of the entry, sorted."""
    found: list[str] = []
    for directory, _subdirs, files in os.walk(entry / "site"):
        if os.path.basename(directory) == "__pycache__":
            relative = os.path.relpath(directory, entry).replace(os.sep, "/")
            found.extend("%s/%s" % (relative, name) for name in files if name.endswith(".pyc"))
    return sorted(found)


def write_bytecode_list(entry: Path) -> None:
    """Write ``BYTECODE``: the entry's compiled files with their hashes, in RECORD format."""
    rows = [(path, file_record_hash(entry / path), str(os.path.getsize(entry / path))) for path in bytecode_files(entry)]
    (entry / BYTECODE_FILE).write_text(format_record(rows), encoding="utf-8")


def derive_facts(entry: Path, dist_info: str, artifact: str) -> dict[str, str]:
    """The ``ENTRY`` facts of an entry laid out at ``entry`` (built in tmp/ or published)."""
    meta = entry / "meta" / dist_info
    rows = read_record(meta / "RECORD")
    own_record = "meta/%s/RECORD" % dist_info
    top_level: set[str] = set()
    pth_files: set[str] = set()
    site_files = []
    for path, _hash, _size in rows:
        area, _, relative = path.partition("/")
        if area == "site":
            site_files.append(relative)
            _note_top_level(relative.split("/"), top_level, pth_files)
    scripts = sorted(name for group in entry_point_scripts(meta).values() for name in group)
    native = scan_native_reach(entry / "site", site_files)
    name, version = name_version(meta)
    try:
        bytecode = (entry / BYTECODE_FILE).read_bytes()
    except FileNotFoundError:
        bytecode = b""
    return {
        "name": name,
        "version": version,
        "dist_info": dist_info,
        "artifact": artifact,
        "top_level": ",".join(sorted(top_level)),
        "pth": ",".join(sorted(pth_files)),
        "scripts": ",".join(scripts),
        "digest": entry_digest(format_record(row for row in rows if row[0] != own_record)),
        "bytecode": hashlib.sha256(bytecode).hexdigest()[:16],
        "native": native.to_fact() if native else "",
    }


def facts_text(facts: dict[str, str]) -> str:
    """``ENTRY``'s text: one ``key=value`` line per fact, in ``FACT_ORDER``."""
    return "".join("%s=%s\n" % (key, facts.get(key, "")) for key in FACT_ORDER)


def parse_facts(text: str) -> dict[str, str]:
    """``ENTRY``'s text as a dict."""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


def _note_top_level(parts: list[str], top_level: set[str], pth_files: set[str]) -> None:
    first = parts[0]
    if first.endswith((".dist-info", ".data")) or first == "__pycache__":
        return
    if len(parts) > 1:
        if _module_name(first):
            top_level.add(first)
    elif first.endswith(".pth"):
        pth_files.add(first)
    elif first.endswith((".py", ".pyc") + _NATIVE_SUFFIXES) or ".so." in first:
        stem = first.split(".", 1)[0]
        if _module_name(stem):
            top_level.add(stem)


def _module_name(name: str) -> bool:
    """A name the import system can be asked for. Not only identifiers: C code imports
    mypyc's helpers (black ships ``85cae5375ceb5d1ca6c6__mypyc``) by names starting with a
    digit. Separators of the manifest's fields never occur in one."""
    return bool(name) and name.replace("_", "a").isalnum()


@dataclass(frozen=True)
class StoreEntry:
    """A published entry: one build of one distribution."""

    path: Path
    name: NormalizedName
    version: str
    dist_info: str
    top_level: tuple[str, ...]
    pth_files: tuple[str, ...]
    scripts: tuple[str, ...]
    native: NativeReach | None = None
    artifact: str = ""  # the identity of the artifact it was built from

    @property
    def site_dir(self) -> Path:
        """The entry's importable root (what site-packages would hold)."""
        return self.path / "site"

    @property
    def prefix_dir(self) -> Path:
        """Scripts and data files, relative to a venv root."""
        return self.path / "prefix"

    @property
    def dist_info_dir(self) -> Path:
        """The stored dist-info; its RECORD lists every file with a path relative to the entry."""
        return self.path / "meta" / self.dist_info


def entry_present(path: Path) -> bool:
    """Whether the entry at ``path`` is there, asked of the server by opening a file (a
    directory cache may still list one a prune took)."""
    try:
        with open(os.open(path / ENTRY_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb"):
            return True
    except OSError:
        return False


def read_entry(path: Path, final: Path | None = None) -> StoreEntry:
    """Load the ``ENTRY`` file of the entry at ``path`` (built there, to be published at ``final``)."""
    damaged = PepipError("store entry %s is damaged or incomplete; run `pepip store verify --fix`" % path)
    try:  # never through a link: pepip writes no link, and one could lead anywhere, later too
        with open(os.open(path / ENTRY_FILE, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        raise damaged from None
    facts = parse_facts(text)
    required = ("name", "version", "dist_info")
    if any(not facts.get(key) for key in required) or not (path / "meta" / facts["dist_info"]).is_dir():
        raise damaged

    def listed(key: str) -> tuple[str, ...]:
        value = facts.get(key, "")
        return tuple(value.split(",")) if value else ()

    native = NativeReach.from_fact(facts["native"]) if facts.get("native") else None
    if not _facts_fit_files(path, listed("top_level"), listed("pth"), listed("scripts"), native):
        raise damaged
    return StoreEntry(
        path=path if final is None else final,
        name=NormalizedName(facts["name"]),
        version=facts["version"],
        dist_info=facts["dist_info"],
        top_level=listed("top_level"),
        pth_files=listed("pth"),
        scripts=listed("scripts"),
        native=native,
        artifact=facts.get("artifact", ""),
    )


def _facts_fit_files(
    path: Path, top_level: tuple[str, ...], pth_files: tuple[str, ...], scripts: tuple[str, ...],
    native: NativeReach | None,
) -> bool:
    """Whether what ``ENTRY`` says the venv is to import, run and preload lies in the entry's
    own files: an edited ``ENTRY`` (an import name of another package, a native directory
    ``../../etc``) is refused without hashing anything, with one ``listdir``."""
    for directory in native.directories if native else ():
        if os.path.isabs(directory) or ".." in directory.replace("\\", "/").split("/"):
            return False  # scan_native_reach records only directories below site/
    if any(not name or name in (".", "..") or "/" in name or "\\" in name for name in [*top_level, *pth_files, *scripts]):
        return False
    if not (top_level or pth_files):
        return True
    try:
        site = set(os.listdir(path / "site"))
    except (FileNotFoundError, NotADirectoryError):
        site = set()
    stems = {name.split(".", 1)[0] for name in site}
    return all(name in stems for name in top_level) and all(name in site for name in pth_files)
