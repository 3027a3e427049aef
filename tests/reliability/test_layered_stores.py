"""A read-only base store (an admin's, mounted read-only) under a writable personal store.

Entries found in either are used, new entries go to the writable one, verify checks both,
prune touches only the writable one. Configured with PEPIP_BASE_STORES.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from helpers import pepip_process, snapshot, store_entries


@pytest.fixture
def base_store(isolated: Path, index_args: list[str]) -> Iterator[tuple[Path, Path]]:
    """(the base store as its admin writes it, the same store mounted read-only)."""
    admin = isolated / "admin-store"
    built = pepip_process("install", "-q", "--venv", str(isolated / "admin-venv"), *index_args, "alpha", "versioned==1.0",
                   env={"PEPIP_HOME": str(admin)})
    assert built.returncode == 0, built.stderr
    mount = isolated / "base-ro"
    mount.mkdir()
    bound = subprocess.run(["mount", "--bind", str(admin), str(mount)], capture_output=True)
    if bound.returncode != 0:
        pytest.skip("bind mounts are not permitted here")
    try:
        remounted = subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True)
        if remounted.returncode != 0:
            pytest.skip("read-only remounts are not permitted here")
        yield admin, mount
    finally:
        subprocess.run(["umount", "-l", str(mount)])


def test_layered_stores(isolated: Path, index_args: list[str], base_store: tuple[Path, Path], venv: Path):
    admin, base = base_store
    personal = isolated / "personal-store"
    env = {"PEPIP_HOME": str(personal), "PEPIP_BASE_STORES": str(base)}
    before = snapshot(base)

    installed = pepip_process("install", "-q", "--venv", str(venv), *index_args, "alpha", "tool", "versioned==1.0", env=env)
    assert installed.returncode == 0, installed.stderr
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import alpha, beta, tool, versioned; "
         "print(alpha.__file__); print(versioned.__file__); print(tool.__file__)"],
        capture_output=True, text=True,
    )
    assert shown.returncode == 0, shown.stderr
    alpha_file, versioned_file, tool_file = shown.stdout.split()
    assert alpha_file.startswith(str(base)) and versioned_file.startswith(str(base))  # used from the base
    assert tool_file.startswith(str(personal))  # new entries go to the writable store
    assert [path.parent.parent.name for path in store_entries(personal)] == ["tool"]
    assert snapshot(base) == before

    listed = pepip_process("store", "ls", env=env)
    assert listed.returncode == 0 and {"alpha", "beta", "tool", "versioned"} <= {
        line.split()[0] for line in listed.stdout.splitlines()[1:]
    }
    assert pepip_process("store", "verify", env=env).returncode == 0

    # The admin's copy is damaged (through the writable path): verify names the base entry.
    (versioned_entry,) = [path for path in store_entries(admin) if path.parent.parent.name == "versioned"]
    damaged_file = versioned_entry / "site" / "versioned.py"
    os.chmod(damaged_file.parent, 0o755)
    damaged_file.unlink()  # not written through: uv's cache shares the inode
    damaged_file.write_text("VERSION = 'tampered'\n")
    verified = pepip_process("store", "verify", env=env)
    assert verified.returncode == 1
    assert "%s: modified file site/versioned.py" % (base / versioned_entry.relative_to(admin)) in verified.stdout
    fixed = pepip_process("store", "verify", "--fix", *index_args, env=env)
    assert fixed.returncode == 1 and fixed.stderr.count("\n") == 1
    assert "read-only base store %s" % base in fixed.stderr

    # Prune: the personal store's unused entries go; the base store is never touched.
    subprocess.run(["rm", "-rf", str(venv)], check=True)
    pruned = pepip_process("store", "prune", env=env)
    assert pruned.returncode == 0, pruned.stderr
    assert store_entries(personal) == []
    assert len(store_entries(base)) == 3  # alpha, beta, versioned


def test_a_base_store_that_is_no_store_is_one_error_line(isolated: Path, index_args: list[str], venv: Path):
    env = {"PEPIP_HOME": str(isolated / "personal"), "PEPIP_BASE_STORES": str(isolated / "nowhere")}
    failed = pepip_process("install", "--venv", str(venv), *index_args, "alpha", env=env)
    assert failed.returncode == 1
    assert failed.stderr.splitlines() == [
        "pepip: error: the base store %s holds no pepip store (no %s); fix PEPIP_BASE_STORES"
        % (isolated / "nowhere", isolated / "nowhere" / "v2" / "entries")
    ]
    assert not venv.exists()
