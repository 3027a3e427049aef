"""Live progress of a running step on a terminal: counts out of a total, bytes of downloads.

pepip does not draw progress itself: rich (which typer brings) draws it, and the counts and
bytes of downloads come from uv's own display. uv runs on a pseudo-terminal while pepip's
stderr is one (``pepip.terminal``), so it draws what it draws for ``uv pip install``
(``Preparing packages... (43/48)`` and a bar per download); ``UvDisplay`` reads those frames
back and hands the numbers to ``StepProgress``. uv's result lines ("Installed 48 packages",
``+ name``) describe a staging directory, not the venv, and are not shown.

Without a terminal, with ``-q``, or without rich, nothing is drawn. Without a terminal (a CI
log), the lines uv prints there for large downloads and for builds (``Downloading numpy
(16.1MiB)``, `` Downloaded numpy``) are printed as they come instead (``UvLog``).
"""

from __future__ import annotations

import re
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Callable, Final, TextIO

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

__all__ = ["StepProgress", "UvDisplay", "UvLog", "format_bytes", "plain_text"]

_ESCAPE: Final = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
_PREPARING: Final = re.compile(r"Preparing packages\.\.\.\s*\((\d+)/(\d+)\)")
_INSTALLING: Final = re.compile(r"\[(\d+)/(\d+)\]")
_SIZE = r"(\d+(?:\.\d+)?) ?([KMGT]?i?B)"
_DOWNLOAD: Final = re.compile(r"(\S+)\s+[-━─=#>·]{4,}\s*" + _SIZE + "/" + _SIZE)
# What uv prints when stderr is not a terminal that a log shows too: downloads and builds.
_LOGGED: Final = re.compile(r"(Downloading \S+ \(.+\)| Downloaded \S+|Building \S.*| Built \S.*)")
_UNITS: Final = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
                 "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4}


def format_bytes(count: float) -> str:
    """``512 B``, ``1.5 MiB``: sizes as uv prints them."""
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return "%d %s" % (count, unit) if unit == "B" else "%.1f %s" % (count, unit)
        count /= 1024
    return "%d B" % count


class StepProgress:
    """What one running step reports: a headline, counts (``Downloading 43/48``), downloads.

    With no stream (not a terminal, or ``-q``) every method does nothing. Otherwise a rich
    display starts ``delay`` seconds after entering, or at the first count, and is erased
    on leaving: the step's result line replaces it, as uv's spinners are replaced.
    """

    def __init__(
        self, headline: str, stream: TextIO | None, delay: float = 0.25, log: Callable[[str], None] | None = None
    ) -> None:
        self._headline = headline
        # Where a step not drawn on a terminal prints uv's download lines (None: nowhere).
        self.log = log
        self._stream = stream
        self._delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._progress: Progress | None = None
        self._main: TaskID | None = None
        self._downloads: dict[str, TaskID] = {}
        self._closed = False

    @property
    def live(self) -> bool:
        """True when this step draws on a terminal."""
        return self._stream is not None

    def __enter__(self) -> StepProgress:
        if self._stream is not None:
            self._timer = threading.Timer(self._delay, self._start)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        with self._lock:
            self._closed = True
            if self._timer is not None:
                self._timer.cancel()
            if self._progress is not None:
                try:
                    self._progress.stop()
                except OSError:  # the terminal went away: the step's outcome stands
                    pass

    def _start(self) -> None:
        with self._lock:
            self._start_locked()

    def _start_locked(self) -> None:
        if self._closed or self._progress is not None or self._stream is None:
            return
        try:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn
        except ImportError:  # typer without rich: no live display
            self._stream = None
            return
        console = Console(file=self._stream, highlight=False)
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            TextColumn("{task.fields[amount]}"),
            console=console,
            transient=True,
        )
        self._main = self._progress.add_task(self._headline, total=None, amount="")
        try:
            self._progress.start()
        except OSError:
            self._stream = None

    def counts(self, what: str, done: int, total: int) -> None:
        """``what done/total`` as the step's headline (``Downloading 43/48``)."""
        if self._stream is None:
            return
        with self._lock:
            self._start_locked()
            if self._progress is not None and self._main is not None:
                amount = "%d/%d" % (done, total)
                self._progress.update(self._main, description=what, completed=done, total=total, amount=amount)

    def downloads(self, sizes: dict[str, tuple[float, float]]) -> None:
        """The downloads running now: name -> (bytes done, bytes in all); others are done."""
        if self._stream is None:
            return
        with self._lock:
            self._start_locked()
            progress = self._progress
            if progress is None:
                return
            for name in list(self._downloads):
                if name not in sizes:
                    progress.remove_task(self._downloads.pop(name))
            for name, (done, total) in sizes.items():
                amount = "%s/%s" % (format_bytes(done), format_bytes(total))
                task = self._downloads.get(name)
                if task is None:
                    self._downloads[name] = progress.add_task(name, total=total, completed=int(done), amount=amount)
                else:
                    progress.update(task, completed=done, total=total, amount=amount)


class UvDisplay:
    """Reads uv's terminal output back into numbers for a ``StepProgress``.

    uv (indicatif) redraws its spinner and bars in place: each redraw, once escape
    sequences are removed, is one fragment between carriage returns, holding the spinner's
    line and every running download's line side by side (padded to the terminal's width).
    Output this parser does not recognise changes nothing: the step's headline stays.
    """

    def __init__(self, progress: StepProgress) -> None:
        self._progress = progress
        self._pending = ""

    def feed(self, data: str) -> None:
        """Take the next piece of uv's output (decoded text)."""
        self._pending += data
        *complete, self._pending = re.split(r"[\r\n]", self._pending)
        for raw in complete:
            fragment = _ESCAPE.sub("", raw)
            if fragment.strip():
                self._frame(fragment)

    def _frame(self, fragment: str) -> None:
        preparing = _PREPARING.search(fragment)
        installing = _INSTALLING.search(fragment)
        if preparing:
            self._progress.counts("Downloading", int(preparing.group(1)), int(preparing.group(2)))
            self._progress.downloads({
                match.group(1): (_bytes(match.group(2), match.group(3)), _bytes(match.group(4), match.group(5)))
                for match in _DOWNLOAD.finditer(fragment[preparing.end():])
            })
        elif installing and ("█" in fragment or "░" in fragment or "#" in fragment):
            self._progress.downloads({})
            self._progress.counts("Unpacking", int(installing.group(1)), int(installing.group(2)))


class UvLog:
    """Passes on the lines uv prints about downloads and builds when not on a terminal
    (``Downloading numpy (16.1MiB)``, `` Downloaded numpy``), as ``uv pip install`` shows
    them in a log; its other lines describe a staging directory, not the venv."""

    def __init__(self, log: Callable[[str], None]) -> None:
        self._log = log

    def feed(self, line: str) -> None:
        """One line uv printed on stderr."""
        if _LOGGED.fullmatch(line):
            self._log(line)


def _is_redraw(fragment: str) -> bool:
    """Spinner frames (``⠙ Resolving dependencies...``) and bar lines: not part of the text."""
    stripped = fragment.strip()
    return stripped[:1] in "⠁⠂⠄⡀⢀⠠⠐⠈⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏░█" or bool(_DOWNLOAD.search(stripped))


def _bytes(number: str, unit: str) -> float:
    return float(number) * _UNITS.get(unit, 1)


def plain_text(drawn: str) -> str:
    """What uv printed on its terminal as plain lines: escape sequences and redraws removed
    (for error messages, which quote uv's own words)."""
    lines = []
    for raw in re.split(r"\r\n|\n", drawn):
        line = _ESCAPE.sub("", raw.rsplit("\r", 1)[-1]).rstrip()
        if line and not _is_redraw(line):
            lines.append(line)
    return "\n".join(lines)
