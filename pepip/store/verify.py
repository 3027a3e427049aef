"""``pepip store verify``: every file an import can execute or load, checked against the entry.

Checked per entry:

- every file its RECORD lists (sources, native libraries, ``.pth`` files, data, scripts)
  against the RECORD hash, and no file beyond them;
- the bytecode compiled when it was stored against ``BYTECODE``;
- bytecode Python wrote later (``PEPIP_BYTECODE=lazy``) against its source: compiled again
  and compared code object by code object, where the running interpreter is the one that
  wrote it (bytecode of another Python version is left to that version's ``py_compile``);
- ``ENTRY`` against the facts derived from the files again (``entries.derive_facts``), and
  the artifact it names against the entry's directory name.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pepip.artifacts import identity_key
from pepip.store.entries import (
    BYTECODE_FILE,
    ENTRY_FILE,
    derive_facts,
    facts_text,
    file_record_hash,
    parse_facts,
    read_record,
)
from pepip.errors import PepipError
from pepip.store.layout import Store, iter_entries, iter_links

__all__ = ["Problem", "verify_entry", "verify_store", "skipped_links"]

_OPTIMIZATION: Final = {"opt-1": 1, "opt-2": 2}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one entry: a missing, modified or extra file, or a wrong ENTRY."""

    entry: Path
    kind: str
    path: str

    def describe(self) -> str:
        """One line for the user; the path as RECORD writes it (``/``, on Windows too)."""
        return "%s: %s file %s" % (self.entry, self.kind, self.path.replace(os.sep, "/"))


def verify_entry(entry_path: Path) -> list[Problem]:
    """Everything that differs between an entry's files and what it records of them."""
    try:
        text = (entry_path / ENTRY_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [Problem(entry_path, "missing", ENTRY_FILE)]
    facts = parse_facts(text)
    dist_info = facts.get("dist_info", "")
    try:
        rows = read_record(entry_path / "meta" / dist_info / "RECORD") if dist_info else None
    except (OSError, UnicodeDecodeError):
        rows = None
    if rows is None:
        return [Problem(entry_path, "missing", "meta/%s/RECORD" % (dist_info or "?"))]
    problems = []
    listed = {ENTRY_FILE, BYTECODE_FILE}
    try:
        compiled = read_record(entry_path / BYTECODE_FILE)
    except (OSError, UnicodeDecodeError):
        compiled = []
        problems.append(Problem(entry_path, "missing", BYTECODE_FILE))
    for record_path, hash_field, _size in rows + compiled:
        relative = os.path.normpath(record_path)
        listed.add(relative)
        if not hash_field:
            continue
        path = entry_path / relative
        if not path.is_file():
            problems.append(Problem(entry_path, "missing", relative))
        elif file_record_hash(path) != hash_field:
            problems.append(Problem(entry_path, "modified", relative))
    problems.extend(_check_facts(entry_path, text, facts))
    for directory, subdirs, files in os.walk(entry_path):
        for name in subdirs + files:
            # pepip stores no links: one would make the entry's content whatever it leads to
            relative = os.path.relpath(os.path.join(directory, name), entry_path)
            if os.path.islink(os.path.join(directory, name)):
                problems.append(Problem(entry_path, "linked", relative))
        for name in files:
            found = os.path.join(directory, name)
            relative = os.path.relpath(found, entry_path)
            if os.path.islink(found):
                continue
            if relative in listed:
                continue
            if os.path.basename(directory) == "__pycache__" and name.endswith(".pyc"):
                if _bytecode_matches(Path(found)) is False:
                    problems.append(Problem(entry_path, "modified", relative))
                continue
            problems.append(Problem(entry_path, "extra", relative))
    return problems


def _check_facts(entry_path: Path, text: str, facts: dict[str, str]) -> list[Problem]:
    artifact = facts.get("artifact", "")
    if entry_path.name.rpartition("-")[2] != identity_key(artifact):
        return [Problem(entry_path, "mismatched", ENTRY_FILE + " (not the artifact its name says)")]
    try:
        derived = derive_facts(entry_path, facts.get("dist_info", ""), artifact)
    except (PepipError, OSError, ValueError, KeyError, TypeError):
        return [Problem(entry_path, "mismatched", ENTRY_FILE + " (its files cannot be read)")]
    if facts_text(derived) == text:
        return []
    fields = sorted(key for key in set(derived) | set(facts) if derived.get(key) != facts.get(key))
    return [Problem(entry_path, "mismatched", "%s (%s)" % (ENTRY_FILE, ", ".join(fields) or "format"))]


def _bytecode_matches(pyc: Path) -> bool | None:
    """Whether bytecode Python wrote beside a source is that source compiled.

    ``None`` when this interpreter cannot tell (bytecode of another Python version).
    """
    try:
        data = pyc.read_bytes()
    except OSError:
        return False
    if data[:4] != importlib.util.MAGIC_NUMBER:
        return None
    stem, _, rest = pyc.name.partition(".")
    source = pyc.parent.parent / (stem + ".py")
    level = _OPTIMIZATION.get(rest.split(".")[1] if rest.count(".") >= 2 else "", 0)
    try:
        code = marshal.loads(data[16:])
        expected = compile(source.read_bytes(), str(source), "exec", dont_inherit=True, optimize=level)
    except (OSError, ValueError, EOFError, TypeError, SyntaxError):
        return False
    return bool(code == expected)


def verify_store(store: Store) -> list[Problem]:
    """Problems of every entry in the store and its base stores."""
    return [problem for layer in store.layers() for path in iter_entries(layer) for problem in verify_entry(path)]


def skipped_links(store: Store) -> list[Path]:
    """Links planted where an entry's directories belong, in every layer: no lookup follows
    them, and verify says so rather than leaving them unmentioned."""
    return [path for layer in store.layers() for path in iter_links(layer)]
