"""The one exception type users see, and how a command that raised it ends."""

from __future__ import annotations

import errno
import sys
from typing import Callable

__all__ = ["PepipError", "exit_code"]


class PepipError(Exception):
    """A user-facing failure: one sentence naming what went wrong and the next step.

    ``detail`` holds lines a tool printed that the message leaves out (a build backend's
    output), shown after it.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


def exit_code(command: Callable[[], int], verbose: bool = False) -> int:
    """Run ``command``; a user error becomes one ``pepip: error:`` line on stderr and exit 1.

    ``verbose`` (``--verbose``) shows the traceback instead.
    """
    from pepip.report import printable

    try:
        return command()
    except PepipError as error:
        if verbose:
            raise
        sys.stderr.write("pepip: error: %s\n" % printable(error.message))
        if error.detail:
            sys.stderr.write(error.detail + "\n")
        return 1
    except OSError as error:
        if verbose or error.errno not in _FULL:
            raise
        # A full disk can strike at any write; every command has rolled back by now.
        where = " at %s" % error.filename if error.filename else ""
        sys.stderr.write("pepip: error: %s%s; free some space and run the command again\n"
                         % (printable(error.strerror or str(error)), printable(where)))
        return 1


# No space or no inodes left, or a quota reached: the user's to fix, not a bug of pepip's.
_FULL = (errno.ENOSPC, errno.EDQUOT)
