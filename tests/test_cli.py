"""The command line: user errors end in one clear line, exit 1, and change nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_pepip, snapshot
from pepip import __version__


@pytest.fixture
def installed(capsys, venv, index_args, store_root) -> Path:
    """A venv with alpha (and beta) installed."""
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    return venv


def assert_one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("pepip: error: ")
    assert fragment in result.error_lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["no-such-package"], "no-such-package was not found"),
        (["alpha>>1"], "invalid requirement `alpha>>1`"),
        (["needs-new", "needs-old"], "needs-"),
        (["versioned==9.9"], "versioned"),
        (["-r", "missing-requirements.txt"], "missing-requirements.txt does not exist"),
        (["-c", "missing-constraints.txt", "alpha"], "does not exist"),
        ([], "nothing to install"),
    ],
)
def test_bad_input_leaves_venv_and_store_unchanged(capsys, installed, index_args, store_root, args, fragment):
    before = (snapshot(installed), snapshot(store_root))
    result = run_pepip(["install", *index_args, *args], capsys)
    assert result.exit_code == 1
    assert_one_line_error(result, fragment)
    assert (snapshot(installed), snapshot(store_root)) == before


def test_failed_install_into_new_venv_leaves_no_venv(capsys, venv, index_args, store_root):
    result = run_pepip(["install", *index_args, "no-such-package"], capsys)
    assert result.exit_code == 1
    assert not venv.exists()
    # Only the interpreter's template venv (derived, reusable) stays in the store.
    assert not list((store_root / "v2" / "venvs").iterdir())
    assert not list((store_root / "v2" / "entries").iterdir())


def test_venv_path_that_is_a_file(capsys, isolated, index_args):
    target = isolated / "work" / "not-a-dir"
    target.write_text("keep me")
    result = run_pepip(["install", *index_args, "--venv", str(target), "alpha"], capsys)
    assert_one_line_error(result, "is a file")
    assert target.read_text() == "keep me"


def test_directory_that_is_not_a_venv(capsys, isolated, index_args):
    target = isolated / "work" / "project"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = snapshot(target)
    result = run_pepip(["install", *index_args, "--venv", str(target), "alpha"], capsys)
    assert_one_line_error(result, "is not a venv")
    assert snapshot(target) == before


def test_unusable_store_root(capsys, isolated, index_args, monkeypatch):
    blocker = isolated / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PEPIP_HOME", str(blocker / "store"))
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert_one_line_error(result, "set PEPIP_HOME to a writable directory")
    assert not (isolated / "work" / ".venv").exists()


def test_missing_interpreter(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "--python", "/nonexistent/python9", "alpha"], capsys)
    assert_one_line_error(result, "/nonexistent/python9")
    assert not venv.exists()


def test_damaged_manifest(capsys, installed, index_args, store_root):
    (installed / "pepip-manifest.txt").write_text("garbage\n")
    before = (snapshot(installed), snapshot(store_root))
    result = run_pepip(["install", *index_args, "versioned"], capsys)
    assert_one_line_error(result, "pepip doctor")
    assert (snapshot(installed), snapshot(store_root)) == before


def test_bad_link_mode_setting(capsys, index_args, monkeypatch):
    monkeypatch.setenv("PEPIP_LINK_MODE", "hardcopy")
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert_one_line_error(result, "PEPIP_LINK_MODE")


def test_version_and_module_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "pepip", "--version"], capture_output=True, text=True
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == "pepip %s" % __version__


def test_output_reports_resolution_storage_and_changes(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("Resolved 2 packages in ")
    assert any(line.startswith("Stored 2 packages in ") for line in lines)
    assert lines[-2:] == [" + alpha==1.0", " + beta==1.0"]


def test_closed_output_does_not_undo_an_install(venv, index_args):
    """`pepip install ... | head -1`: the pipe closes early; the install must stand."""
    completed = subprocess.run(
        "%s -m pepip install %s alpha tool 2>&1 | head -1" % (sys.executable, " ".join(index_args)),
        shell=True, capture_output=True, text=True,
    )
    assert completed.stdout.startswith("Resolved")
    assert (venv / "pepip-manifest.txt").is_file()
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import alpha, tool"]).returncode == 0
