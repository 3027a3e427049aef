"""Taking a lock, and saying so when it means waiting.

pepip holds two kinds of lock: the store lock (installs share it, ``store prune`` takes it
alone) and a venv's lock (one command changes a venv at a time). A command that has to wait
for one says so at once, in one line on stderr that names who holds it where the system
tells (``/proc/locks`` on Linux: the process, its user and its command), and then waits: a
silent hang after "Resolved ..." looks like a bug.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

__all__ = ["flock_waiting", "holder", "UNSUPPORTED"]

# flock errors meaning the filesystem offers no locks (NFS without lockd, some FUSE mounts).
UNSUPPORTED = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL)


def flock_waiting(fd: int, exclusive: bool, what: str) -> None:
    """``flock`` ``fd``; when another process holds it, write one line and wait for it.

    ``OSError`` with an ``UNSUPPORTED`` errno propagates: the caller decides what a missing
    lock means.
    """
    import fcntl

    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
        return
    except OSError as error:
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
    who = holder(fd)
    sys.stderr.write("pepip: waiting for %s%s\n" % (what, ", held by %s" % who if who else ""))
    sys.stderr.flush()
    fcntl.flock(fd, mode)


def holder(fd: int) -> str:
    """Who holds a lock on ``fd``'s file, from ``/proc/locks``: ``"process 123 (alice: pepip
    store prune)"``; ``""`` where the system does not say."""
    info = os.fstat(fd)
    device = "%02x:%02x:%d" % (os.major(info.st_dev), os.minor(info.st_dev), info.st_ino)
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == device and fields[4].isdigit():
            return _describe(int(fields[4]))
    return ""


def _describe(pid: int) -> str:
    proc = Path("/proc/%d" % pid)
    try:
        command = " ".join(
            os.path.basename(part) if index == 0 else part
            for index, part in enumerate(proc.joinpath("cmdline").read_bytes().decode("utf-8", "replace").split("\0")[:6])
            if part
        )
        uid = proc.stat().st_uid
    except OSError:
        return "process %d" % pid
    try:
        import pwd

        user = pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        user = str(uid)
    return "process %d (%s: %s)" % (pid, user, "".join(c if c.isprintable() else "?" for c in command)[:120])
