"""Bytecode off the critical path: entries are published at once; in one user's store Python
writes their bytecode at the first import (``auto`` = ``lazy``), in a team store the entry's
owner compiles it after the command returns (``auto`` = ``background``)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import other_python, run_pepip, store_entries, venv_run
from pepip.store.bytecode import BACKGROUND_COMPILE


def _wait_for_read_only_pycache(entry: Path, timeout: float = 60.0) -> list[Path]:
    """The entry's bytecode once the background compile has made its __pycache__ read-only."""
    deadline = time.monotonic() + timeout
    caches = sorted(entry.rglob("__pycache__"))
    while time.monotonic() < deadline:
        if caches and all(not stat.S_IMODE(os.lstat(cache).st_mode) & 0o222 for cache in caches):
            return sorted(entry.rglob("*.pyc"))
        time.sleep(0.1)
    raise AssertionError("no background compile finished for %s" % entry)


def test_bytecode_is_compiled_after_the_command_and_then_read_only(capsys, monkeypatch, venv, index_args, store_root):
    monkeypatch.setenv("PEPIP_BYTECODE", "background")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    assert venv_run(venv, "import alpha.sub; print(alpha.sub.X)") == "1"  # works before the compile is done
    for entry in store_entries(store_root):
        compiled = _wait_for_read_only_pycache(entry)
        sources = sorted(entry.rglob("*.py"))
        assert len(compiled) == len(sources), (compiled, sources)
    code = "import sys, alpha.sub; print(alpha.sub.__spec__.cached, alpha.sub.__cached__ is not None)"
    cached = venv_run(venv, code, env={"PYTHONDONTWRITEBYTECODE": ""}).split()[0]
    assert Path(cached).is_file() and Path(cached).is_relative_to(store_root)
    assert run_pepip(["store", "verify"], capsys).exit_code == 0


def _pycs(entry: Path) -> list[str]:
    return sorted(path.name for path in entry.rglob("*.pyc"))


def test_one_users_store_gets_bytecode_at_the_first_import_and_shares_it(capsys, monkeypatch, venv, index_args, store_root):
    monkeypatch.delenv("PEPIP_BYTECODE")
    started: list[list[str]] = []
    real_popen = subprocess.Popen

    def recording(args: list[str], *more: object, **options: object) -> object:
        started.append([str(arg) for arg in args])
        return real_popen(args, *more, **options)  # type: ignore[call-overload]

    with monkeypatch.context() as patched:
        patched.setattr(subprocess, "Popen", recording)
        assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    assert started and not [args for args in started if BACKGROUND_COMPILE in args]  # no compile process
    [entry] = [path for path in store_entries(store_root) if path.parent.parent.name == "alpha"]
    assert _pycs(entry) == []  # nothing compiled that nobody imported: no disk for it
    writing = {"PYTHONDONTWRITEBYTECODE": ""}
    venv_run(venv, "import alpha.sub", env=writing)
    assert [name.split(".")[0] for name in _pycs(entry)] == ["__init__", "sub"]
    other = venv.parent.parent / "other" / ".venv"
    monkeypatch.chdir(other.parent.parent)
    assert run_pepip(["install", "--venv", str(other), *index_args, "alpha"], capsys).exit_code == 0
    written = {path: os.stat(path).st_ino for path in entry.rglob("*.pyc")}
    venv_run(other, "import alpha.sub", env=writing)
    # Read, not compiled again: Python would have replaced a stale file with a new inode.
    assert {path: os.stat(path).st_ino for path in entry.rglob("*.pyc")} == written
    assert run_pepip(["store", "verify"], capsys).exit_code == 0


def test_a_team_store_is_compiled_by_the_entrys_owner(capsys, monkeypatch, venv, index_args, store_root):
    monkeypatch.delenv("PEPIP_BYTECODE")
    store_root.mkdir(parents=True, exist_ok=True)
    os.chmod(store_root, 0o2775)  # group-writable: teammates add entries, none may write ours
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    for entry in store_entries(store_root):
        compiled = _wait_for_read_only_pycache(entry)
        assert len(compiled) == len(sorted(entry.rglob("*.py")))


@pytest.mark.posix("pyenv's interpreters")
def test_tampered_bytecode_of_another_python_version_is_found_by_doctor_verify_and_repair(
    capsys, isolated, index_args, store_root, monkeypatch
):
    """R11: bytecode Python wrote at an import (no BYTECODE record) was checked only when it
    was of pepip's own Python version."""
    python = other_python()
    if python is None:
        pytest.skip("no interpreter of another Python version here")
    monkeypatch.setenv("PEPIP_BYTECODE", "lazy")
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    venv = isolated / "work" / "other"
    assert run_pepip(["install", *index_args, "--python", str(python), "--venv", str(venv), "alpha"], capsys).exit_code == 0
    assert venv_run(venv, "import alpha; print(alpha.NAME)") == "alpha"  # writes its bytecode
    (pyc,) = (p for p in store_root.glob("v2/entries/alpha/*/*/site/alpha/__pycache__/__init__.*.pyc"))
    assert not pyc.name.endswith(sys.implementation.cache_tag + ".pyc")
    evil = isolated / "evil" / "__init__.py"
    evil.parent.mkdir()
    evil.write_text("import beta\nNAME = 'POISONED'\n")
    subprocess.run([str(python), "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2])",
                    str(evil), str(isolated / "evil.pyc")], check=True)
    os.chmod(pyc.parent, 0o755)
    os.chmod(pyc, 0o644)
    data = (isolated / "evil.pyc").read_bytes()
    pyc.write_bytes(pyc.read_bytes()[:16] + data[16:])  # the source's own stamp: Python runs it
    assert venv_run(venv, "import alpha; print(alpha.NAME)") == "POISONED"
    doctor = run_pepip(["doctor", "--venv", str(venv)], capsys)
    said = doctor.stdout + doctor.stderr
    assert doctor.exit_code == 1 and "alpha 1.0: store entry" in said and "modified" in said, said
    verify = run_pepip(["store", "verify"], capsys)
    assert verify.exit_code == 1 and pyc.name in verify.stdout, verify.stdout
    repair = run_pepip(["repair", *index_args, "--venv", str(venv)], capsys)
    assert repair.exit_code == 0, repair.stderr
    assert venv_run(venv, "import alpha; print(alpha.NAME)") == "alpha"
