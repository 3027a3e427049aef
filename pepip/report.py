"""Progress and result lines on stderr, in uv's style ("Resolved 5 packages in 412ms")."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from typing import Iterator, TextIO

__all__ = ["Reporter", "format_duration"]


def format_duration(seconds: float) -> str:
    """``412ms`` below a second, ``1.23s`` above, as uv prints them."""
    return "%dms" % round(seconds * 1000) if seconds < 1 else "%.2fs" % seconds


class Reporter:
    """Writes progress to stderr unless quiet; a started step shows while it runs on a TTY."""

    def __init__(self, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = sys.stderr if stream is None else stream
        self.timings: dict[str, float] = {}

    def line(self, text: str) -> None:
        """One line of output."""
        self._write(text + "\n")

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
    def step(self, name: str, progress: str | None = None) -> Iterator[None]:
        """Time a step; show ``progress`` while it runs when stderr is a terminal."""
        live = progress is not None and not self.quiet and self.stream.isatty()
        if live:
            self._write("%s..." % progress)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - started
            if live:
                self._write("\r\033[K")

    def took(self, name: str) -> str:
        """The formatted duration of a finished step."""
        return format_duration(self.timings.get(name, 0.0))
