"""Requirement and constraint files as uv reads them, and everything else uv reads from disk.

pepip looks inside these files twice: for their ``--hash`` options (``pepip.uv.hashes``),
and for the key of a remembered resolution or a sync fingerprint, which must change
whenever anything uv reads changes. Both read them here, the way uv does:

- UTF-8 with or without a byte-order mark (Notepad and PowerShell's ``Out-File`` write
  one; read without ``utf-8-sig`` it hides the first line's option or name), any line end;
- ``\\`` continues a line, `` #`` starts a comment;
- ``-r``/``-c`` include files and ``-f`` names a location relative to the including file,
  while a path on a requirement line (``./dist/x.whl``) is relative to the current directory
  (both seen with uv 0.13.9).

What uv reads besides the files, for those keys (``describe_inputs``): every file visited
(includes and constraints, recursively), the listing of every local ``--find-links``
location, and the metadata files of editable projects. Archives and source trees a
resolution names are checked when it is recalled (``pepip.uv.resolutions``).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Final, Iterator, Mapping, Sequence
from urllib.parse import unquote, urlsplit

from pepip.artifacts import tree_digest

__all__ = ["logical_lines", "looks_like_path", "local_location", "describe_inputs", "ARCHIVE_SUFFIXES"]

ARCHIVE_SUFFIXES: Final = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
_INCLUDE: Final = re.compile(r"^(-r|--requirement|-c|--constraint)(?:=|\s+)(.+)$")
_FIND_LINKS: Final = re.compile(r"^(-f|--find-links)(?:=|\s+)(.+)$")
_EDITABLE: Final = re.compile(r"^(-e|--editable)(?:=|\s+)(.+)$")
# Files in a project that declare its dependencies: an editable's resolution depends on them.
_PROJECT_FILES: Final = ("pyproject.toml", "setup.cfg", "setup.py")
# uv's environment variables naming files it reads (space-separated) and locations (commas).
_FILE_VARIABLES: Final = ("UV_CONSTRAINT", "UV_OVERRIDE", "UV_BUILD_CONSTRAINT")


def logical_lines(path: Path, seen: set[Path]) -> Iterator[tuple[Path, str]]:
    """``(file, line)`` for the lines of ``path`` and the files it includes, continuations
    joined, comments dropped. ``seen`` collects every file visited (resolved), each once."""
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return  # uv, which reads every file next, says what is wrong with it
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            nested = Path(include.group(2).strip())
            yield from logical_lines(nested if nested.is_absolute() else path.parent / nested, seen)
            continue
        yield path, line


def looks_like_path(text: str) -> bool:
    """Whether a requirement is a local path, as pip's ``_looks_like_path`` and uv decide:
    a separator (``/``, or ``\\`` as uv takes it on every system), a leading ``.`` or ``~``,
    or an archive's file name (``x.whl``). In ``name @ url`` only the part before ``@``
    counts, and a URL (``https://``, ``git+ssh://``) is not a path."""
    head, at, _ = text.partition("@")
    if "://" in head:
        return False
    if any(separator in head for separator in ("/", "\\")) or head.startswith((".", "~")):
        return True
    return not at and text.lower().endswith(ARCHIVE_SUFFIXES)


def local_location(text: str, base: Path) -> Path | None:
    """The local path a ``--find-links``/index location names (relative to ``base``), or
    ``None`` for a remote URL."""
    if text.startswith("file:"):
        return Path(unquote(urlsplit(text).path))
    if "://" in text:
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else base / path


def describe_inputs(
    files: Sequence[Path],
    requirements: Sequence[str],
    find_links: Sequence[str],
    project_dir: Path,
    uv_environment: Mapping[str, str],
) -> list[str]:
    """What uv reads from disk for a resolution besides the index, one line per input.

    ``files`` are requirement, constraint and project files; ``requirements`` the request's
    lines (``-e PATH`` for an editable). A key built from these lines changes when any file
    visited changes (includes and constraints, recursively), when a requirement line's
    relative path means another file (it is relative to the current directory) or the
    archive or tree it names changes, when a ``--find-links`` location gains, loses or rewrites a file, and when an editable
    project's metadata changes.
    """
    seen: set[Path] = set()
    described: list[str] = []
    locations = [(project_dir, link) for link in find_links]
    locations += [(project_dir, link.strip()) for link in uv_environment.get("UV_FIND_LINKS", "").split(",") if link.strip()]
    editables = [text[3:] for text in requirements if text.startswith("-e ")]
    listed = list(files) + [Path(name) for var in _FILE_VARIABLES for name in uv_environment.get(var, "").split()]
    for path in listed:
        if path.suffix == ".toml" or path.name == "uv.lock":
            seen.add(path.resolve())
            continue
        for source, line in logical_lines(path if path.is_absolute() else project_dir / path, seen):
            option = _FIND_LINKS.match(line)
            editable = _EDITABLE.match(line)
            if option:
                locations.append((source.parent, option.group(2).strip()))
            elif editable:
                editables.append(editable.group(2).strip())
            elif not line.startswith("-"):
                text = line.split(" --", 1)[0].strip()  # without --hash and other options
                if looks_like_path(text):
                    named = (project_dir / Path(text).expanduser()).resolve()
                    described.append("path %s %s" % (named, _path_state(named)))
    for resolved in sorted(seen):
        described.append("file %s %s" % (resolved, _file_digest(resolved)))
    for base, link in locations:
        place = local_location(link, base)
        if place is not None:
            described.append("find-links %s %s" % (place.resolve(), _listing_digest(place)))
    for text in editables:
        project = (project_dir / Path(text).expanduser()).resolve()
        digests = ["%s=%s" % (name, _file_digest(project / name)) for name in _PROJECT_FILES]
        described.append("editable %s %s" % (project, " ".join(digests)))
    return described


def _path_state(place: Path) -> str:
    """A local archive's size and modification time, a source tree's content digest."""
    if place.is_dir():
        return tree_digest(place)
    try:
        info = place.stat()
    except OSError:
        return "missing"
    return "%d %d" % (info.st_size, info.st_mtime_ns)


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def _listing_digest(place: Path) -> str:
    """A find-links directory's names, sizes and modification times (a page: its content)."""
    if not place.is_dir():
        return _file_digest(place)
    digest = hashlib.sha256()
    try:
        with os.scandir(place) as entries:
            for entry in sorted(entries, key=lambda item: item.name):
                try:
                    info = entry.stat()
                except OSError:
                    continue  # a dangling link: uv cannot read it either
                digest.update(("%s\0%d\0%d\0" % (entry.name, info.st_size, info.st_mtime_ns)).encode("utf-8", "surrogateescape"))
    except OSError:
        return "unreadable"
    return digest.hexdigest()
