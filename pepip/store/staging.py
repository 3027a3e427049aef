"""Turning what uv installed into a staging prefix into published store entries.

One ``uv pip install --prefix`` call installs every missing pin; each distribution's files
(split by its RECORD) are renamed into an entry of its own, laid out as ``pepip/store/__init__.py``
describes, named after the artifact it was built from, and published. uv hardlinked them
out of pepip's own uv cache, whose files the entry then shares, or out of a private cache
deleted afterwards (``pepip.uv_cache``, ``pepip.uv.resolve.fetch_pins``): either way no other
tool's file. A rename, not a link: the staging tree
is then left with empty directories, and deleting it costs no unlink per file (a cold
install of torch stages tens of thousands).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Callable, Final, Iterable, Mapping

from pepip.artifacts import NormalizedName, Pin
from pepip.names import name_version
from pepip.store.entries import (
    ENTRY_FILE,
    derive_facts,
    entry_point_scripts,
    facts_text,
    format_record,
    read_record,
    record_hash,
    write_bytecode_list,
)
from pepip.errors import PepipError
from pepip.store.entries import StoreEntry, read_entry
from pepip.store.layout import Store
from pepip.store.publish import publish_entry
from pepip.tag_sets import compress_tags

__all__ = ["add_staged", "wheel_tags"]

# Files an installer writes into dist-info for its own use; they say nothing about the build.
_INSTALLER_FILES: Final = frozenset({"RECORD", "INSTALLER", "REQUESTED", "uv_cache.json", "uv_build.json"})


def add_staged(
    store: Store,
    staging: Path,
    python: Path,
    pins: Mapping[NormalizedName, Pin],
    lazy_bytecode: bool = False,
    stored: Callable[[], None] = lambda: None,
) -> list[StoreEntry]:
    """Publish every distribution uv installed under ``staging`` as a store entry.

    ``pins`` (by normalized name) say which artifact each distribution was installed from;
    ``stored`` is called after each one (the progress display counts them).
    """
    site = _staged_site_packages(staging)
    if site is None:
        return []
    entries = []
    moves = _Moves()
    for dist_info in sorted(site.glob("*.dist-info")):
        name, version = name_version(dist_info)
        pin = pins.get(NormalizedName(name))
        if pin is None or pin.artifact is None:
            raise PepipError("uv installed %s, which was not asked for" % dist_info.name)
        with store.staging() as temp:  # a disk that filled up, say: nothing half-built stays
            tag_set = _build_entry(site, staging, dist_info, python, temp, pin.identity, moves, not lazy_bytecode)
            path = store.entries_dir / name / version / ("%s-%s" % (tag_set, pin.artifact.key))
            entries.append(publish_entry(store, temp, read_entry(temp, path), lazy_bytecode))
            moves.published(temp, entries[-1].path)
        stored()
    return entries


def _staged_site_packages(staging: Path) -> Path | None:
    for candidate in list(staging.glob("lib/*/site-packages")) + [staging / "Lib" / "site-packages"]:
        if candidate.is_dir():
            return candidate
    return None


class _Moves:
    """Staged files renamed into entries: a file two distributions list (a shared
    ``__init__.py``, say) goes to the first and is copied from there for the second."""

    def __init__(self) -> None:
        self._made: set[str] = set()  # directories known to exist
        self._moved: dict[str, tuple[Path, str]] = {}  # staged path -> (entry temp, path in it)
        self._published: dict[Path, Path] = {}  # entry temp -> where it was published

    def _target(self, temp: Path, relative: str) -> str:
        """``temp/relative`` (``/``-separated), its parent directory made."""
        target = os.path.join(temp, relative)
        parent = os.path.dirname(target)
        if parent not in self._made:
            os.makedirs(parent, exist_ok=True)
            self._made.add(parent)
        return target

    def move(self, source: Path, temp: Path, relative: str) -> None:
        """Rename staged ``source`` to ``temp/relative`` (``/``-separated)."""
        target = self._target(temp, relative)
        staged = str(source)
        try:
            os.rename(staged, target)
        except FileNotFoundError:
            if staged not in self._moved:
                raise PepipError(
                    "%s is listed in its distribution's RECORD but uv did not install it" % source.name
                ) from None
            first, path = self._moved[staged]
            if (first, path) == (temp, relative):
                return  # moved already: a shipped pyc that is also the bytecode of its source
            shutil.copyfile(os.path.join(self._published.get(first, first), path), target)
            return
        self._moved[staged] = (temp, relative)

    def move_tree(self, source: Path, temp: Path, relative: str, files: Iterable[str]) -> None:
        """Rename the staged directory ``source`` (holding exactly ``files``, relative to
        it) to ``temp/relative`` in one call."""
        os.rename(source, self._target(temp, relative))
        for name in files:
            self._moved[os.path.normpath(os.path.join(source, name))] = (temp, "%s/%s" % (relative, name))

    def published(self, temp: Path, path: Path) -> None:
        self._published[temp] = path


def _whole_directories(site: Path, rows: list[tuple[str, str, str]], dist_info: str) -> dict[str, list[str]]:
    """Top-level directories of site-packages that hold this distribution's files and nothing
    else (``numpy/``, not a namespace ``google/`` another one shares): name -> files in it.

    Each moves with one rename instead of one per file and directory: tens of calls for
    numpy instead of thousands. Bytecode uv compiled for those files moves along with them.
    """
    listed: dict[str, set[str]] = {}
    for record_path, _hash, _size in rows:
        top, slash, rest = record_path.partition("/")
        if slash and top not in ("..", dist_info) and not top.endswith(".data"):
            listed.setdefault(top, set()).add(rest)
    whole = {}
    for top, files in listed.items():
        found: set[str] = set()
        for directory, _subdirs, names in os.walk(site / top):
            below = os.path.relpath(directory, site / top).replace(os.sep, "/")
            prefix = "" if below == "." else below + "/"
            if os.path.basename(directory) == "__pycache__":
                # uv's bytecode of listed sources, if it compiled any; a wheel's own counts
                found.update(prefix + name for name in names if prefix + name in files)
                continue
            found.update(prefix + name for name in names)
        if found == files:
            whole[top] = sorted(files)
    return whole


def _build_entry(
    site: Path, staging: Path, dist_info: Path, python: Path, temp: Path, artifact: str, moves: _Moves,
    compiled: bool,
) -> str:
    """Move one staged distribution's files into ``temp`` laid out as an entry; its tag set.

    ``compiled``: uv compiled bytecode (``PEPIP_BYTECODE=compile``), which moves along.
    """
    generated = {
        name for group in entry_point_scripts(dist_info).values() for name in group
    }
    rows: list[tuple[str, str, str]] = []
    pycache_listings: dict[Path, list[str]] = {}
    recorded = read_record(dist_info / "RECORD")
    whole = _whole_directories(site, recorded, dist_info.name)
    for top, files in whole.items():
        moves.move_tree(site / top, temp, "site/" + top, files)
    for record_path, hash_field, size in recorded:
        parts = record_path.split("/")
        if parts[0] == dist_info.name and parts[-1] in _INSTALLER_FILES:
            continue
        if parts[0] in whole and len(parts) > 1:
            rows.append(("site/" + record_path, "", "") if _is_bytecode(parts) else ("site/" + record_path, hash_field, size))
            continue
        source = Path(os.path.normpath(site / record_path))
        if parts[0] == "..":
            relative = source.relative_to(staging)
            launcher = relative.name[: -len(".exe")] if relative.name.endswith(".exe") else relative.name
            if relative.parts[0] in ("bin", "Scripts") and launcher in generated:
                continue  # uv's launcher names the staging interpreter; wiring writes its own
            entry_path = "prefix/" + relative.as_posix()
            moves.move(source, temp, entry_path)
            if relative.parts[0] in ("bin", "Scripts"):
                hash_field, size = _restore_python_shebang(temp / entry_path, python, hash_field, size)
            rows.append((entry_path, hash_field, size))
            continue
        # The dist-info goes beside the importable root, not into it: the runtime puts store
        # roots on sys.path, and importlib.metadata must find each distribution once (in the
        # venv's site-packages), not again in the store.
        area = "meta" if parts[0] == dist_info.name else "site"
        moves.move(source, temp, "%s/%s" % (area, record_path))
        if _is_bytecode(parts):
            hash_field = size = ""  # BYTECODE lists it as stored (uv may have compiled it anew)
        rows.append(("%s/%s" % (area, record_path), hash_field, size))
        if compiled and record_path.endswith(".py"):
            _move_bytecode(source, temp, "%s/%s" % (area, record_path), pycache_listings, moves)
    record_line = "meta/%s/RECORD,," % dist_info.name
    (temp / "meta" / dist_info.name).mkdir(parents=True, exist_ok=True)
    (temp / "meta" / dist_info.name / "RECORD").write_text(format_record(rows) + record_line + "\n")
    write_bytecode_list(temp)
    facts = derive_facts(temp, dist_info.name, artifact)
    (temp / ENTRY_FILE).write_text(facts_text(facts), encoding="utf-8")
    return wheel_tags(temp / "meta" / dist_info.name)


def _is_bytecode(parts: list[str]) -> bool:
    """A RECORD path of bytecode a wheel ships (numpy 2.0-2.3 ship a ``__pycache__``)."""
    return len(parts) > 1 and parts[-2] == "__pycache__" and parts[-1].endswith(".pyc")


def wheel_tags(dist_info: Path) -> str:
    """The WHEEL file's tags compressed into one tag-set string (``py2.py3-none-any``)."""
    fields = (line.partition(":") for line in (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines())
    return compress_tags(value.strip() for key, _, value in fields if key.strip() == "Tag")


def _move_bytecode(
    source: Path, temp: Path, relative: str, listings: dict[Path, list[str]], moves: _Moves
) -> None:
    """Move the ``__pycache__`` files uv compiled for ``source`` along with it."""
    cache = source.parent / "__pycache__"
    if cache not in listings:
        try:
            listings[cache] = os.listdir(cache)
        except FileNotFoundError:
            listings[cache] = []
    prefix = source.stem + "."
    directory = relative.rpartition("/")[0]
    for name in listings[cache]:
        if name.startswith(prefix) and name.endswith(".pyc") and name.count(".") == 2:
            moves.move(cache / name, temp, "%s/__pycache__/%s" % (directory, name))


def _restore_python_shebang(target: Path, python: Path, hash_field: str, size: str) -> tuple[str, str]:
    """Undo uv's rewrite of a ``#!python`` script so any venv can fill in its interpreter."""
    data = target.read_bytes()
    line, newline, rest = data.partition(b"\n")
    # uv ends the line with \r\n on Windows and quotes a path with spaces.
    named = line.rstrip(b"\r")[2:].strip(b'"').decode("utf-8", "replace") if line.startswith(b"#!") else ""
    if not newline or os.path.normcase(named) != os.path.normcase(str(python)):
        return hash_field, size
    restored = b"#!python\n" + rest
    mode = os.stat(target).st_mode
    target.unlink()  # a hardlink into uv's cache: write a new file, never through the link
    target.write_bytes(restored)
    os.chmod(target, mode)
    return record_hash(restored), str(len(restored))
