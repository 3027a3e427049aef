"""The one exception type users see (how a command that raised it ends is ``report.exit_code``)."""

from __future__ import annotations

__all__ = ["PepipError"]


class PepipError(Exception):
    """A user-facing failure: one sentence naming what went wrong and the next step.

    ``detail`` holds lines a tool printed that the message leaves out (a build backend's
    output), shown after it.
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
