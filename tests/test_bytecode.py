"""The default bytecode mode: entries published at once, compiled after the command returns."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

from helpers import run_pepip, store_entries, venv_run


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
