"""A store on a filesystem without working locks (some network shares): warn, then go on."""

from __future__ import annotations

import errno
import fcntl

from helpers import run_pepip, venv_run


def test_install_without_locks_warns_once_and_works(capsys, venv, index_args, monkeypatch):
    def refuse(_fd: object, _operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")  # what NFS without lockd answers

    monkeypatch.setattr(fcntl, "flock", refuse)
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    warnings = [line for line in result.error_lines if line.startswith("pepip: warning:")]
    assert len(warnings) == 1 and "cannot be locked (No locks available)" in warnings[0]
    assert venv_run(venv, "import alpha; print('ok')") == "ok"
