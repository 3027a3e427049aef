"""Type checkers asking the venv's interpreter for sys.path resolve stored packages."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from helpers import run_pepip

CHECKED = "import typedpkg\nreveal_type(typedpkg.answer())\n"


def test_mypy_with_the_venv_interpreter_resolves_stored_packages(capsys, venv, index_args, isolated):
    assert run_pepip(["install", *index_args, "typedpkg"], capsys).exit_code == 0
    source = isolated / "check_me.py"
    source.write_text(CHECKED)
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--python-executable",
         str(venv / "bin" / "python"), str(source)],
        capture_output=True, text=True, cwd=isolated,
    )
    assert "import-not-found" not in completed.stdout, completed.stdout
    assert re.search(r'Revealed type is "(builtins\.)?int"', completed.stdout), completed.stdout


@pytest.mark.network
def test_pyright_with_the_venv_interpreter_resolves_stored_packages(capsys, venv, index_args, isolated):
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("pyright runs on Node.js; npx is not installed")
    assert run_pepip(["install", *index_args, "typedpkg"], capsys).exit_code == 0
    source = isolated / "check_me.py"
    source.write_text(CHECKED)
    completed = subprocess.run(
        [npx, "--yes", "pyright@1", "--pythonpath", str(venv / "bin" / "python"), str(source)],
        capture_output=True, text=True, cwd=isolated, env={**os.environ, "UV_OFFLINE": ""},
    )
    assert "could not be resolved" not in completed.stdout, completed.stdout
    assert 'Type of "typedpkg.answer()" is "int"' in completed.stdout, completed.stdout
