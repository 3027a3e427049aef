"""Concurrent pepip processes on one store: installs race each other and `store prune`."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import store_entries, venv_run

SETS = [
    ["alpha", "tool"], ["alpha", "nsa", "nsb"], ["tool", "versioned==1.0"], ["pkgns-a", "pkgns-b", "alpha"],
    ["versioned==2.0", "beta"], ["nsa", "tool", "typedpkg"], ["alpha", "versioned==1.0"], ["typedpkg", "nsb", "beta"],
]
IMPORTS = {"alpha": "alpha", "tool": "tool", "nsa": "nsroot.a", "nsb": "nsroot.b", "beta": "beta",
           "versioned==1.0": "versioned", "versioned==2.0": "versioned", "pkgns-a": "pkgns.a",
           "pkgns-b": "pkgns.b", "typedpkg": "typedpkg"}


def pepip(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "pepip", *args], stderr=subprocess.PIPE, text=True)


@pytest.mark.windows
def test_eight_installs_and_prune_at_once_on_an_empty_store(isolated: Path, wheelhouse: Path, store_root: Path):
    work = isolated / "work"
    installs = [
        pepip("install", "-q", "--no-index", "--find-links", str(wheelhouse), "--venv", str(work / ("v%d" % n)), *packages)
        for n, packages in enumerate(SETS)
    ]
    prunes = 0
    while any(process.poll() is None for process in installs):
        pruning = pepip("store", "prune")
        _out, err = pruning.communicate(timeout=300)
        assert pruning.returncode == 0, err
        prunes += 1
        time.sleep(0.05)
    for process in installs:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    assert prunes >= 1
    builds = [(p.parent.parent.name, p.parent.name) for p in store_entries(store_root)]
    assert len(builds) == len(set(builds))  # one entry per build
    verify = subprocess.run([sys.executable, "-m", "pepip", "store", "verify"], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout
    for n, packages in enumerate(SETS):
        code = "import %s; print('ok')" % ", ".join(IMPORTS[p] for p in packages)
        assert venv_run(work / ("v%d" % n), code) == "ok"
    # Prune after everything: all eight venvs are live, nothing may go.
    before = store_entries(store_root)
    after_prune = subprocess.run([sys.executable, "-m", "pepip", "store", "prune"], capture_output=True, text=True)
    assert after_prune.returncode == 0 and store_entries(store_root) == before


@pytest.mark.windows
def test_installs_into_one_venv_at_once_take_turns(isolated: Path, wheelhouse: Path):
    venv = isolated / "work" / "shared-venv"
    index = ["--no-index", "--find-links", str(wheelhouse)]
    first = pepip("install", "-q", "--venv", str(venv), *index, "beta")
    assert first.wait(timeout=300) == 0  # the venv exists; the next three share it
    runs = [pepip("install", "-q", "--venv", str(venv), *index, name) for name in ("alpha", "tool", "nsa")]
    for process in runs:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    # Each waited for the venv's lock and started from what the one before it left.
    assert venv_run(venv, "import alpha, beta, tool, nsroot.a; print('ok')") == "ok"
    assert not any(path.name.startswith(".pepip-txn") for path in venv.iterdir())
