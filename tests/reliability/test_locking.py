"""The store and venv locks: shared and exclusive as on Linux, also on Windows; and a store on
a filesystem without working locks (some network shares): warn, then go on."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from helpers import run_pepip, venv_run
from pepip.locking import flock_waiting

_HOLDER = (
    "import os, sys\n"
    "from pepip.locking import flock_waiting\n"
    "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
    "flock_waiting(fd, sys.argv[2] == 'exclusive', 'test lock')\n"
    "print('held', flush=True)\n"
    "sys.stdin.readline()\n"
)


def _hold(path: Path, mode: str) -> subprocess.Popen[str]:
    """Another process holding ``path``'s lock until told to go (a line on its stdin)."""
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(path), mode],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("\n")
    holder.stdin.flush()
    assert holder.wait(timeout=60) == 0


def _lock_in_thread(path: Path, exclusive: bool) -> tuple[threading.Thread, threading.Event, int]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    done = threading.Event()

    def take() -> None:
        flock_waiting(fd, exclusive, "test lock")
        done.set()

    thread = threading.Thread(target=take, daemon=True)
    thread.start()
    return thread, done, fd


@pytest.mark.windows
def test_exclusive_lock_makes_others_wait_and_shared_locks_share(tmp_path, capsys):
    """What prune and installs rely on: installs share the store lock, prune waits for all."""
    lock = tmp_path / "lock"
    exclusive = _hold(lock, "exclusive")
    thread, done, fd = _lock_in_thread(lock, exclusive=False)
    assert not done.wait(1.5), "a shared lock was granted while another process held it exclusively"
    assert "pepip: waiting for test lock" in capsys.readouterr().err
    _release(exclusive)
    assert done.wait(30), "the waiting lock was not granted after the holder let go"
    thread.join()
    os.close(fd)

    shared = _hold(lock, "shared")
    thread, done, fd = _lock_in_thread(lock, exclusive=False)
    assert done.wait(30) and "waiting" not in capsys.readouterr().err  # shared with shared
    thread.join()
    os.close(fd)
    thread, done, fd = _lock_in_thread(lock, exclusive=True)
    assert not done.wait(1.5), "an exclusive lock was granted beside a shared one"
    _release(shared)
    assert done.wait(30)
    thread.join()
    os.close(fd)


@pytest.mark.posix("fakes flock's ENOLCK; Windows locks are LockFileEx")
def test_install_without_locks_warns_once_and_works(capsys, venv, index_args, monkeypatch):
    import fcntl

    def refuse(_fd: object, _operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # what NFS without lockd answers

    monkeypatch.setattr(fcntl, "flock", refuse)
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.error_lines if line.startswith("pepip: warning:")]
    assert len(warnings) == 1 and "cannot be locked (No locks available)" in warnings[0]
    assert venv_run(venv, "import alpha; print('ok')") == "ok"
