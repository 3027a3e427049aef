"""pepip.report: the one way lines reach stderr."""

from __future__ import annotations

import io
import sys

from pepip.report import stderr_line, warn


def test_warn_is_one_pepip_line_on_stderr(capsys):
    warn("the store at /s cannot be locked (No locks available)")
    warn("the store /s is shared by machines", kind="note")
    assert capsys.readouterr() == ("", (
        "pepip: warning: the store at /s cannot be locked (No locks available)\n"
        "pepip: note: the store /s is shared by machines\n"
    ))


def test_a_closed_stderr_ends_the_line_not_the_command(monkeypatch):
    """``pepip install ... 2>&1 | head``: a warning after the reader left must not fail
    the install (and roll the venv back)."""
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stderr", closed)
    stderr_line("pepip: waiting for the store lock")
    warn("cannot delete /v/.pepip-txn-done (Permission denied)")
