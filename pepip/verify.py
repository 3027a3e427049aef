"""``pepip store verify``: every file of every entry against the hash its RECORD lists."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pepip.errors import PepipError
from pepip.store import (
    ENTRY_FILE,
    Store,
    entry_digest,
    file_record_hash,
    format_record,
    iter_entries,
    read_entry,
    read_record,
)

__all__ = ["Problem", "verify_entry", "verify_store"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one entry: a missing, modified or extra file, or no ENTRY."""

    entry: Path
    kind: str
    path: str

    def describe(self) -> str:
        """One line for the user."""
        return "%s: %s file %s" % (self.entry, self.kind, self.path)


def verify_entry(entry_path: Path) -> list[Problem]:
    """Compare an entry's files with its RECORD; ``__pycache__`` is pepip's, not checked."""
    if not (entry_path / ENTRY_FILE).is_file():
        return [Problem(entry_path, "missing", ENTRY_FILE)]
    try:
        entry = read_entry(entry_path)
        rows = read_record(entry.dist_info_dir / "RECORD")
    except (PepipError, OSError, KeyError):
        return [Problem(entry_path, "missing", "meta/RECORD")]
    own_record = "meta/%s/RECORD" % entry.dist_info
    problems = []
    if entry_path.name.rpartition("-")[2] != entry_digest(format_record(row for row in rows if row[0] != own_record)):
        problems.append(Problem(entry_path, "mismatched", own_record + " (not this entry's digest)"))
    listed = {ENTRY_FILE}
    for record_path, hash_field, _size in rows:
        relative = os.path.normpath(record_path)
        listed.add(relative)
        if not hash_field:
            continue
        path = entry_path / relative
        if not path.is_file():
            problems.append(Problem(entry_path, "missing", relative))
        elif file_record_hash(path) != hash_field:
            problems.append(Problem(entry_path, "modified", relative))
    for directory, _subdirs, files in os.walk(entry_path):
        if os.path.basename(directory) == "__pycache__":
            continue
        for name in files:
            relative = os.path.relpath(os.path.join(directory, name), entry_path)
            if relative not in listed:
                problems.append(Problem(entry_path, "extra", relative))
    return problems


def verify_store(store: Store) -> list[Problem]:
    """Problems of every entry in the store and its base stores."""
    return [problem for layer in store.layers() for path in iter_entries(layer) for problem in verify_entry(path)]
