"""Turning what uv installed into a staging prefix into published store entries.

One ``uv pip install --prefix`` call installs every missing pin; each distribution's files
(split by its RECORD) are hardlinked into an entry of its own, laid out as ``store.py``
describes, and published. Files stay hardlinked to uv's cache: no second copy on disk.
"""

from __future__ import annotations

import os
from email.parser import HeaderParser
from pathlib import Path
from typing import Final

from packaging.utils import canonicalize_name
from packaging.version import Version

from pepip import fsops
from pepip.errors import PepipError
from pepip.native import scan_native_reach
from pepip.resolve import NormalizedName
from pepip.store import (
    ENTRY_FILE,
    Store,
    StoreEntry,
    entry_digest,
    entry_point_scripts,
    format_record,
    read_record,
    record_hash,
)

__all__ = ["add_staged", "wheel_tags"]

# Files an installer writes into dist-info for its own use; they say nothing about the build.
_INSTALLER_FILES: Final = frozenset({"RECORD", "INSTALLER", "REQUESTED", "uv_cache.json"})
_NATIVE_SUFFIXES: Final = (".so", ".pyd", ".dylib")


def add_staged(store: Store, staging: Path, python: Path, lazy_bytecode: bool = False) -> list[StoreEntry]:
    """Publish every distribution uv installed under ``staging`` as a store entry."""
    site = _staged_site_packages(staging)
    if site is None:
        return []
    entries = []
    for dist_info in sorted(site.glob("*.dist-info")):
        temp, entry = _build_entry(site, staging, dist_info, python, store.staging_dir(), store.entries_dir)
        entries.append(store.publish(temp, entry, lazy_bytecode))
    return entries


def _staged_site_packages(staging: Path) -> Path | None:
    for candidate in list(staging.glob("lib/*/site-packages")) + [staging / "Lib" / "site-packages"]:
        if candidate.is_dir():
            return candidate
    return None


def _build_entry(
    site: Path, staging: Path, dist_info: Path, python: Path, temp: Path, entries_dir: Path
) -> tuple[Path, StoreEntry]:
    """Move one staged distribution's files into ``temp`` laid out as an entry."""
    generated = {
        name for group in entry_point_scripts(dist_info).values() for name in group
    }
    name, version = _name_version(dist_info)
    tag_set = wheel_tags(dist_info)
    rows: list[tuple[str, str, str]] = []
    top_level: set[str] = set()
    pth_files: set[str] = set()
    pycache_listings: dict[Path, list[str]] = {}
    site_files: list[str] = []
    for record_path, hash_field, size in read_record(dist_info / "RECORD"):
        parts = record_path.split("/")
        if parts[0] == dist_info.name and parts[-1] in _INSTALLER_FILES:
            continue
        source = Path(os.path.normpath(site / record_path))
        if parts[0] == "..":
            relative = source.relative_to(staging)
            launcher = relative.name[: -len(".exe")] if relative.name.endswith(".exe") else relative.name
            if relative.parts[0] in ("bin", "Scripts") and launcher in generated:
                continue  # uv's launcher names the staging interpreter; wiring writes its own
            target = temp / "prefix" / relative
            entry_path = "prefix/" + relative.as_posix()
            _move(source, target)
            if relative.parts[0] in ("bin", "Scripts"):
                hash_field, size = _restore_python_shebang(target, python, hash_field, size)
            rows.append((entry_path, hash_field, size))
            continue
        # The dist-info goes beside the importable root, not into it: the runtime puts store
        # roots on sys.path, and importlib.metadata must find each distribution once (in the
        # venv's site-packages), not again in the store.
        area = "meta" if parts[0] == dist_info.name else "site"
        if area == "site":
            site_files.append(record_path)
        _move(source, temp / area / record_path)
        rows.append(("%s/%s" % (area, record_path), hash_field, size))
        if record_path.endswith(".py"):
            _move_bytecode(source, temp / area / record_path, pycache_listings)
        _note_top_level(parts, top_level, pth_files, dist_info.name)
    record_text = format_record(rows)
    digest = entry_digest(record_text)
    record_line = "meta/%s/RECORD,," % dist_info.name
    (temp / "meta" / dist_info.name).mkdir(parents=True, exist_ok=True)
    (temp / "meta" / dist_info.name / "RECORD").write_text(record_text + record_line + "\n")
    entry = StoreEntry(
        path=entries_dir / name / version / ("%s-%s" % (tag_set, digest)),
        name=name,
        version=version,
        dist_info=dist_info.name,
        top_level=tuple(sorted(top_level)),
        pth_files=tuple(sorted(pth_files)),
        scripts=tuple(sorted(generated)),
        native=scan_native_reach(temp / "site", site_files),
    )
    facts = {
        "name": entry.name,
        "version": entry.version,
        "dist_info": entry.dist_info,
        "top_level": ",".join(entry.top_level),
        "pth": ",".join(entry.pth_files),
        "scripts": ",".join(entry.scripts),
        "digest": digest,
        "native": entry.native.to_fact() if entry.native else "",
    }
    (temp / ENTRY_FILE).write_text("".join("%s=%s\n" % item for item in facts.items()))
    return temp, entry


def _name_version(dist_info: Path) -> tuple[NormalizedName, str]:
    metadata = HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
    return NormalizedName(canonicalize_name(metadata["Name"])), str(Version(metadata["Version"]))


def wheel_tags(dist_info: Path) -> str:
    """The WHEEL file's tags compressed into one tag-set string (``py2.py3-none-any``)."""
    interpreters: list[str] = []
    abis: list[str] = []
    platforms: list[str] = []
    for line in (dist_info / "WHEEL").read_text(encoding="utf-8").splitlines():
        key, _, value = line.partition(":")
        if key.strip() != "Tag":
            continue
        interpreter, abi, platform = value.strip().split("-")
        for seen, item in ((interpreters, interpreter), (abis, abi), (platforms, platform)):
            if item not in seen:
                seen.append(item)
    if not interpreters:
        return "py3-none-any"
    return "-".join(".".join(items) for items in (interpreters, abis, platforms))


def _note_top_level(parts: list[str], top_level: set[str], pth_files: set[str], dist_info: str) -> None:
    first = parts[0]
    if first == dist_info or first.endswith((".dist-info", ".data")) or first == "__pycache__":
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


def _move(source: Path, target: Path) -> None:
    """Link a staged file into an entry (two distributions may list the same file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fsops.hardlink_or_copy(source, target)
    except FileNotFoundError:
        raise PepipError(
            "%s is listed in its distribution's RECORD but uv did not install it" % source.name
        ) from None


def _move_bytecode(source: Path, target: Path, listings: dict[Path, list[str]]) -> None:
    """Move the ``__pycache__`` files uv compiled for ``source`` along with it."""
    cache = source.parent / "__pycache__"
    if cache not in listings:
        try:
            listings[cache] = os.listdir(cache)
        except FileNotFoundError:
            listings[cache] = []
    prefix = source.stem + "."
    for name in listings[cache]:
        if name.startswith(prefix) and name.endswith(".pyc") and name.count(".") == 2:
            _move(cache / name, target.parent / "__pycache__" / name)


def _restore_python_shebang(target: Path, python: Path, hash_field: str, size: str) -> tuple[str, str]:
    """Undo uv's rewrite of a ``#!python`` script so any venv can fill in its interpreter."""
    data = target.read_bytes()
    staged = ("#!" + str(python) + "\n").encode()
    if not data.startswith(staged):
        return hash_field, size
    restored = b"#!python\n" + data[len(staged) :]
    mode = os.stat(target).st_mode
    target.unlink()  # a hardlink into uv's cache: write a new file, never through the link
    target.write_bytes(restored)
    os.chmod(target, mode)
    return record_hash(restored), str(len(restored))
