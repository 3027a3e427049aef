"""Disk full while storing: one clear line, no half-written entry, no venv left behind."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _mount_tmpfs(point: Path, options: str) -> bool:
    point.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "none", str(point)], capture_output=True).returncode == 0


def _inodes_used(point: Path) -> int:
    info = os.statvfs(point)
    return info.f_files - info.f_ffree


def _install(store: Path, venv: Path, wheelhouse: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PEPIP_HOME": str(store)}
    return subprocess.run(
        [sys.executable, "-m", "pepip", "install", "-q", "--venv", str(venv), "--no-index", "-f", str(wheelhouse),
         "alpha", "tool"],
        capture_output=True, text=True, env=env, timeout=300,
    )


@pytest.mark.slow
@pytest.mark.parametrize("full", ["store", "venv"])
def test_running_out_of_inodes_is_one_line_at_every_point(isolated, wheelhouse, full):
    """The store's or the venv's filesystem without a free inode, at points spread over a
    whole install: one error line, no traceback, nothing left in tmp/ and no venv."""
    point = isolated / "small"
    if not _mount_tmpfs(point, "size=64m"):
        pytest.skip("mounting a tmpfs is not permitted here")
    try:
        store = point / "store" if full == "store" else isolated / "store"
        venv = point / "venv" if full == "venv" else isolated / "work" / "v"
        assert _install(store, venv, wheelhouse).returncode == 0
        needed = _inodes_used(point)
    finally:
        subprocess.run(["umount", "-l", str(point)])
    limits = sorted({max(2, needed * step // 24) for step in range(1, 24)})
    for limit in limits:
        assert _mount_tmpfs(point, "size=64m,nr_inodes=%d" % limit)
        try:
            store = point / "store" if full == "store" else isolated / ("store-%d" % limit)
            venv = point / "venv" if full == "venv" else isolated / "work" / ("v%d" % limit)
            done = _install(store, venv, wheelhouse)
            lines = [line for line in done.stderr.splitlines() if line.strip()]
            assert "Traceback" not in done.stderr, (limit, done.stderr)
            if done.returncode == 0:
                continue  # fewer inodes than a cold store needs can suffice once the template exists
            assert len(lines) == 1 and lines[0].startswith("pepip: error:"), (limit, done.stderr)
            assert not venv.exists(), limit
            tmp = store / "v2" / "tmp"
            assert not tmp.is_dir() or list(tmp.iterdir()) == [], (limit, list(tmp.iterdir()))
        finally:
            subprocess.run(["umount", "-l", str(point)])
