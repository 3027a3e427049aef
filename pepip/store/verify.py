"""``pepip store verify``: every file an import can execute or load, checked against the entry.

Checked per entry:

- every file its RECORD lists (sources, native libraries, ``.pth`` files, data, scripts)
  against the RECORD hash, and no file beyond them;
- the bytecode compiled when it was stored against ``BYTECODE``;
- bytecode Python wrote later (``PEPIP_BYTECODE=lazy``, or a background compile) against
  its source: compiled again and compared code object by code object, by the running
  interpreter or, for bytecode of another Python version, by an interpreter of that version
  (the venv's in ``doctor`` and ``repair``; registered venvs' in ``store verify``);
- ``ENTRY`` against the facts derived from the files again (``entries.derive_facts``), and
  the artifact it names against the entry's directory name.
"""

from __future__ import annotations

import importlib.util
import marshal
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Iterable, Mapping

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
from pepip.store.registry import scan_registry

__all__ = ["Problem", "verify_entry", "verify_entries", "verify_store", "registered_interpreters", "skipped_links"]

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


def verify_entry(entry_path: Path, interpreters: Mapping[str, Path] | None = None) -> list[Problem]:
    """Everything that differs between an entry's files and what it records of them.

    ``interpreters`` (cache tag -> interpreter) check bytecode of other Python versions.
    """
    return verify_entries([entry_path], interpreters)[entry_path]


def verify_entries(
    entry_paths: Iterable[Path], interpreters: Mapping[str, Path] | None = None
) -> dict[Path, list[Problem]]:
    """``verify_entry`` of each entry; bytecode of another Python version is compiled again
    by an interpreter of that version from ``interpreters``, one process per version."""
    found: dict[Path, list[Problem]] = {}
    foreign: dict[str, list[tuple[Path, str]]] = {}  # cache tag -> (entry, relative pyc)
    for entry_path in entry_paths:
        found[entry_path] = _verify_files(entry_path, foreign)
    for tag, pycs in sorted(foreign.items()):
        python = (interpreters or {}).get(tag)
        if python is None:
            continue  # no interpreter of that version known: its own runs check nothing here
        for entry_path, relative in _other_version_mismatches(python, pycs):
            found[entry_path].append(Problem(entry_path, "modified", relative))
    return found


def _verify_files(entry_path: Path, foreign: dict[str, list[tuple[Path, str]]]) -> list[Problem]:
    """The problems this interpreter can tell; bytecode of other versions goes to ``foreign``."""
    try:
        text = (entry_path / ENTRY_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [Problem(entry_path, "missing", ENTRY_FILE)]
    facts = parse_facts(text)
    dist_info = facts.get("dist_info", "")
    rows = _record_rows(entry_path, dist_info)
    if rows is None:
        return [Problem(entry_path, "missing", "meta/%s/RECORD" % (dist_info or "?"))]
    problems = []
    try:
        compiled = read_record(entry_path / BYTECODE_FILE)
    except (OSError, UnicodeDecodeError):
        compiled = []
        problems.append(Problem(entry_path, "missing", BYTECODE_FILE))
    listed = {ENTRY_FILE, BYTECODE_FILE} | {os.path.normpath(row[0]) for row in rows + compiled}
    problems.extend(_check_listed(entry_path, rows + compiled))
    problems.extend(_check_facts(entry_path, text, facts))
    problems.extend(_check_unlisted(entry_path, listed, foreign))
    return problems


def _record_rows(entry_path: Path, dist_info: str) -> list[tuple[str, str, str]] | None:
    """The rows of the entry's RECORD; None if ENTRY names no dist-info or it cannot be read."""
    if not dist_info:
        return None
    try:
        return read_record(entry_path / "meta" / dist_info / "RECORD")
    except (OSError, UnicodeDecodeError):
        return None


def _check_listed(entry_path: Path, rows: list[tuple[str, str, str]]) -> list[Problem]:
    """Each file ``rows`` give a hash for, missing or not matching it."""
    problems = []
    for record_path, hash_field, _size in rows:
        if not hash_field:
            continue
        relative = os.path.normpath(record_path)
        path = entry_path / relative
        if not path.is_file():
            problems.append(Problem(entry_path, "missing", relative))
        elif file_record_hash(path) != hash_field and not (
            # bytecode a wheel shipped, which Python rewrote at an import as it was stale
            path.parent.name == "__pycache__" and _bytecode_matches(path)
        ):
            problems.append(Problem(entry_path, "modified", relative))
    return problems


def _check_unlisted(entry_path: Path, listed: set[str], foreign: dict[str, list[tuple[Path, str]]]) -> list[Problem]:
    """Links anywhere in the entry, and files not in ``listed``: bytecode Python wrote later,
    checked against its source (another version's goes to ``foreign``), or an extra file."""
    problems = []
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
                matches = _bytecode_matches(Path(found))
                if matches is False:
                    problems.append(Problem(entry_path, "modified", relative))
                elif matches is None:
                    foreign.setdefault(name.split(".")[1], []).append((entry_path, relative))
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


# Run by an interpreter of another version: which of the bytecode files (one per stdin line)
# is not its source compiled, as ``_bytecode_matches`` tells for pepip's own interpreter.
_CHECKER: Final = """
import importlib.util, marshal, sys
levels = {"opt-1": 1, "opt-2": 2}
for line in sys.stdin.read().splitlines():
    try:
        with open(line, "rb") as handle:
            data = handle.read()
        if data[:4] != importlib.util.MAGIC_NUMBER:
            continue
        head, _, name = line.rpartition("/__pycache__/")
        stem, _, rest = name.partition(".")
        level = levels.get(rest.split(".")[1] if rest.count(".") >= 2 else "", 0)
        with open(head + "/" + stem + ".py", "rb") as handle:
            source = handle.read()
        same = marshal.loads(data[16:]) == compile(source, head + "/" + stem + ".py", "exec", dont_inherit=True, optimize=level)
    except Exception:
        same = False
    if not same:
        print(line)
"""


def _other_version_mismatches(python: Path, pycs: list[tuple[Path, str]]) -> list[tuple[Path, str]]:
    """The bytecode files of ``pycs`` that ``python`` (their version) finds are not their
    source compiled; all of them when it cannot be run."""
    import subprocess

    by_path = {(entry / relative).as_posix(): (entry, relative) for entry, relative in pycs}
    try:
        done = subprocess.run(
            [str(python), "-I", "-c", _CHECKER], input="\n".join(by_path), capture_output=True,
            text=True, check=True,
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise PepipError("cannot run %s to check bytecode of its version (%s)" % (python, error)) from None
    return [by_path[line] for line in done.stdout.splitlines() if line in by_path]


def verify_store(store: Store) -> list[Problem]:
    """Problems of every entry in the store and its base stores; bytecode of other Python
    versions is checked by the interpreters of the venvs registered on this machine."""
    found = verify_entries(
        [path for layer in store.layers() for path in iter_entries(layer)], registered_interpreters(store)
    )
    return [problem for problems in found.values() for problem in problems]


def registered_interpreters(store: Store) -> dict[str, Path]:
    """Cache tag -> the interpreter of a live venv on this machine that runs it."""
    found: dict[str, Path] = {}
    for venv, manifest in sorted(scan_registry(store).live.items()):
        fields = manifest.interpreter
        for python in (venv / "bin" / "python", venv / "Scripts" / "python.exe"):
            if len(fields) > 3 and fields[3] not in found and python.is_file():
                found[fields[3]] = python
    return found


def skipped_links(store: Store) -> list[Path]:
    """Links planted where an entry's directories belong, in every layer: no lookup follows
    them, and verify says so rather than leaving them unmentioned."""
    return [path for layer in store.layers() for path in iter_links(layer)]
