"""Taking a lock, and saying so when it means waiting.

pepip holds two kinds of lock: the store lock (installs share it, ``store prune`` takes it
alone) and a venv's lock (one command changes a venv at a time). A command that has to wait
for one says so at once, in one line on stderr that names who holds it where the system
tells (``/proc/locks`` on Linux: the process, its user and its command), and then waits: a
silent hang after "Resolved ..." looks like a bug.

On Windows there is no ``flock``: ``LockFileEx`` (through ctypes) gives the same shared and
exclusive locks on one byte of the lock file, released when the file is closed or the process
dies. ``msvcrt.locking`` would not do: it has no shared mode, so installs could not share
the store lock while ``store prune`` waits for all of them.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Final

from pepip.report import printable, stderr_line
from pepip.users import user_name

__all__ = ["flock_waiting", "holder", "UNSUPPORTED"]

# flock errors meaning the filesystem offers no locks (NFS without lockd, some FUSE mounts).
UNSUPPORTED = (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL)


def flock_waiting(fd: int, exclusive: bool, what: str) -> None:
    """``flock`` ``fd``; when another process holds it, write one line and wait for it.

    ``OSError`` with an ``UNSUPPORTED`` errno propagates: the caller decides what a missing
    lock means.
    """
    if _lock(fd, exclusive, wait=False):
        return
    who = holder(fd)
    stderr_line("pepip: waiting for %s%s" % (what, ", held by %s" % who if who else ""))
    _lock(fd, exclusive, wait=True)


if sys.platform == "win32":
    import ctypes
    import msvcrt
    from ctypes import wintypes

    _LOCKFILE_FAIL_IMMEDIATELY: Final = 0x1
    _LOCKFILE_EXCLUSIVE_LOCK: Final = 0x2
    _ERROR_LOCK_VIOLATION: Final = 33
    _ERROR_IO_PENDING: Final = 997
    # A share or filesystem without byte-range locks answers one of these.
    _ERROR_NOT_SUPPORTED: Final = (1, 50)  # ERROR_INVALID_FUNCTION, ERROR_NOT_SUPPORTED

    class _Overlapped(ctypes.Structure):
        _fields_ = [
            ("Internal", ctypes.c_void_p),
            ("InternalHigh", ctypes.c_void_p),
            ("Offset", wintypes.DWORD),
            ("OffsetHigh", wintypes.DWORD),
            ("hEvent", wintypes.HANDLE),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _LockFileEx = _kernel32.LockFileEx
    _LockFileEx.argtypes = [
        wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD,
        ctypes.POINTER(_Overlapped),
    ]
    _LockFileEx.restype = wintypes.BOOL

    def _lock(fd: int, exclusive: bool, wait: bool) -> bool:
        """``LockFileEx`` on the first byte of ``fd``'s file; False if held and not ``wait``.

        The file's handle is synchronous (the C runtime opened it), so a waiting call blocks
        until the lock is granted. Byte 0 may lie beyond the end of an empty file: Windows
        allows that, and nobody reads lock files, so the mandatory range lock stops nothing.
        """
        flags = (_LOCKFILE_EXCLUSIVE_LOCK if exclusive else 0) | (0 if wait else _LOCKFILE_FAIL_IMMEDIATELY)
        overlapped = _Overlapped()
        handle = msvcrt.get_osfhandle(fd)
        if _LockFileEx(handle, flags, 0, 1, 0, ctypes.byref(overlapped)):
            return True
        code = ctypes.get_last_error()
        if not wait and code in (_ERROR_LOCK_VIOLATION, _ERROR_IO_PENDING):
            return False
        if code in _ERROR_NOT_SUPPORTED:
            raise OSError(errno.ENOLCK, "the filesystem offers no locks (Windows error %d)" % code)
        raise ctypes.WinError(code)

else:

    def _lock(fd: int, exclusive: bool, wait: bool) -> bool:
        """``flock`` ``fd``; False if another process holds it and not ``wait``."""
        import fcntl

        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        except OSError as error:
            if wait or error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            return False
        return True


def holder(fd: int) -> str:
    """Who holds a lock on ``fd``'s file, from ``/proc/locks``: ``"process 123 (alice: pepip
    store prune)"``; ``""`` where the system does not say."""
    if sys.platform == "win32":  # no /proc/locks (under Wine, Z:\proc\locks is the host's)
        return ""
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
    return "process %d (%s: %s)" % (pid, user_name(uid), printable(command)[:120])
