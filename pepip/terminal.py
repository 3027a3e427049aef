"""Run a program with its stderr on a pseudo-terminal, reading what it draws there.

uv draws its progress (download bars, package counts) only when stderr is a terminal. To
show that progress while keeping uv's result lines (which describe a staging directory)
off the user's screen, pepip gives uv a terminal of its own and reads it back
(``pepip.progress.UvDisplay``). POSIX only: elsewhere ``available()`` is False.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Mapping, Sequence

__all__ = ["available", "run_on_terminal"]

_COLUMNS = 120  # wide enough that uv neither wraps nor shortens its lines much


def available() -> bool:
    """True where pseudo-terminals exist (not on Windows)."""
    return sys.platform != "win32"


def run_on_terminal(
    args: Sequence[str], env: Mapping[str, str], feed: Callable[[str], None]
) -> int:
    """Run ``args`` with stderr on a new pseudo-terminal; hand its output to ``feed``.

    stdin and stdout are not the terminal (stdout is discarded). Returns the exit code.
    Raises ``OSError`` if the program cannot start.
    """
    import codecs
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    master, slave = pty.openpty()
    try:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, _COLUMNS, 0, 0))
        process = subprocess.Popen(
            list(args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=dict(env)
        )
    except BaseException:
        os.close(master)
        raise
    finally:
        os.close(slave)
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    try:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal's other side has closed it
                break
            if not chunk:
                break
            feed(decoder.decode(chunk))
        feed(decoder.decode(b"", final=True))
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        os.close(master)
    return process.wait()
