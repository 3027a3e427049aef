"""Disk full while storing: one clear line, no half-written entry, no venv left behind."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from helpers import build_wheel, run_pepip, snapshot


@pytest.fixture
def tiny_store(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """PEPIP_HOME on a 700 KB tmpfs: another filesystem than uv's cache, and easily full."""
    mount_point = isolated / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=700k", "none", str(mount_point)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a tmpfs is not permitted here")
    monkeypatch.setenv("PEPIP_HOME", str(mount_point / "store"))
    try:
        yield mount_point / "store"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)])


def test_disk_full_during_store_write(capsys, tiny_store, isolated, wheelhouse, venv):
    house = isolated / "big-wheels"
    house.mkdir()
    build_wheel(house, "bigdata", "1.0", {"bigdata/__init__.py": "", "bigdata/blob.bin": os.urandom(1_000_000)})
    result = run_pepip(["install", "--no-index", "-f", str(house), "-f", str(wheelhouse), "alpha", "bigdata"], capsys)
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    errors = [line for line in result.error_lines if line.startswith("pepip: error:")]
    assert len(errors) == 1 and "No space left on device" in errors[0]
    assert not venv.exists()
    assert list((tiny_store / "v2" / "tmp").iterdir()) == []  # the half-written entry is gone
    assert not any(path.endswith("bigdata") for path in snapshot(tiny_store / "v2" / "entries"))
