"""Progress and result lines on stderr, in uv's style ("Resolved 5 packages in 412ms").

Result lines go out as plain text, through the ``Reporter`` a command is given. A part no
reporter reaches (the store's checks and lock, a venv's journal, prune) says what outlasts
the command with ``warn``, as uv's parts call its ``warn_user!``: every line pepip writes
to stderr goes through this module. Live progress (a spinner, counts, bytes of downloads)
shows only while a step runs, only on a terminal and never with ``-q``: it is drawn by
``pepip.progress`` with rich, imported only then. A command that fails ends with one
``pepip: error:`` line (``exit_code``).
"""

from __future__ import annotations

import errno
import sys
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Callable, Iterator, TextIO

from pepip.errors import PepipError

if TYPE_CHECKING:
    from pepip.progress import StepProgress

__all__ = ["Reporter", "exit_code", "format_duration", "plural", "printable", "stderr_line", "warn"]


def format_duration(seconds: float) -> str:
    """``412ms`` below a second, ``1.23s`` above, as uv prints them."""
    return "%dms" % round(seconds * 1000) if seconds < 1 else "%.2fs" % seconds


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 package``, ``2 packages`` (``nouns`` for irregular plurals: entry, entries)."""
    return "%d %s" % (count, noun if count == 1 else (nouns or noun + "s"))


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\n``, ``\\x1b``).

    Messages quote what users typed (requirements, paths, option values): a newline or an
    escape sequence in it must not print a second, fake line or move the cursor.
    """
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def warn(text: str, kind: str = "warning") -> None:
    """``pepip: warning: text`` on stderr (``kind`` ``note`` for what needs no action).

    Shown with ``-q`` too, unlike ``Reporter.warning``: each such line is about the store or
    a venv (a directory others can rename, a lock that cannot be taken, a file left behind)
    and outlasts the command.
    """
    stderr_line("pepip: %s: %s" % (kind, text))


def stderr_line(text: str) -> None:
    """One line on stderr, flushed at once (it may precede a wait); a closed stderr is
    ignored: the command goes on."""
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


class Reporter:
    """Writes result lines to stderr unless quiet; shows a running step live on a terminal."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None, color: bool = False) -> None:
        self.quiet = quiet
        self.color = color
        self.stream = sys.stderr if stream is None else stream
        self.timings: dict[str, float] = {}
        self._heading: str | None = None

    def heading(self, text: str) -> None:
        """A line that goes out before the next line, if there is one.

        ``Using Python ... environment at: ...`` says which venv a command works on; when
        the command fails before saying anything else, the error stays the only line.
        """
        self._heading = text

    @property
    def live(self) -> bool:
        """True when progress may be drawn: not quiet and stderr is a terminal."""
        if self.quiet:
            return False
        try:
            return self.stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            return False

    def line(self, text: str, prefix: str = "") -> None:
        """One line of output (control characters in ``text`` escaped), after ``prefix``."""
        heading, self._heading = self._heading, None
        if heading is not None:
            self._write(printable(heading) + "\n")
        self._write(prefix + printable(text) + "\n")

    def warning(self, text: str) -> None:
        """``pepip: warning: ...``, one line, like pip's and uv's warnings (not with ``-q``)."""
        self.line(text, _prefix("warning", self.color) + " ")

    def _write(self, text: str) -> None:
        """A closed stream (``pepip install ... | head``) ends the output, never the command:
        a venv must not be rolled back over a progress line."""
        if self.quiet:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except OSError:
            self.quiet = True

    @contextmanager
    def step(self, name: str, progress: str | None = None, delay: float = 0.25) -> Iterator[StepProgress]:
        """Time a step; on a terminal show ``progress`` (and what the step reports) while it runs,
        elsewhere let it print lines a log keeps (``StepProgress.log``).

        The display starts only after ``delay`` seconds, so a quick step draws nothing and
        does not pay for importing the display library.
        """
        from pepip.progress import StepProgress

        live = progress is not None and self.live
        log = self.line if progress is not None and not live and not self.quiet else None
        shown = StepProgress(progress or name, self.stream if live else None, delay, log)
        started = time.perf_counter()
        try:
            with shown:
                yield shown
        finally:
            self.timings[name] = time.perf_counter() - started

    def resolved(self, count: int, remembered: bool) -> None:
        """uv's ``Resolved N packages in T`` line, saying when the answer was remembered."""
        self.line("Resolved %s in %s%s" % (plural(count, "package"), self.took("resolve"), " (remembered)" if remembered else ""))

    def took(self, name: str) -> str:
        """The formatted duration of a finished step."""
        return format_duration(self.timings.get(name, 0.0))


def exit_code(
    command: Callable[[], int], traceback: Callable[[], bool] = lambda: False, color: bool = False
) -> int:
    """Run ``command``; a user error becomes one ``pepip: error:`` line on stderr and exit 1.

    When ``traceback()`` says so (``-vv``, read once the command has parsed it), the error
    keeps its traceback instead. ``color``: ``error`` in bold red, as uv prints it.
    """
    try:
        return command()
    except PepipError as error:
        if traceback():
            raise
        sys.stderr.write("%s %s\n" % (_prefix("error", color), printable(error.message)))
        if error.detail:
            sys.stderr.write(error.detail + "\n")
        return 1
    except OSError as error:
        if traceback() or error.errno not in _FULL:
            raise
        # A full disk can strike at any write; every command has rolled back by now.
        where = " at %s" % error.filename if error.filename else ""
        sys.stderr.write("%s %s%s; free some space and run the command again\n"
                         % (_prefix("error", color), printable(error.strerror or str(error)), printable(where)))
        return 1


# uv's colours: bold red for errors, bold yellow for warnings.
_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m"}


def _prefix(kind: str, color: bool) -> str:
    """``pepip: error:``, with ``error`` coloured when ``color``."""
    return "pepip: %s%s%s:" % (_COLORS[kind], kind, "\x1b[0m") if color else "pepip: %s:" % kind


# No space or no inodes left, or a quota reached: the user's to fix, not a bug of pepip's.
_FULL = (errno.ENOSPC, errno.EDQUOT)
