"""`pepip uninstall`: the named distributions leave the venv; dependencies and store stay."""

from __future__ import annotations

import pytest

from helpers import run_pepip, snapshot, store_entries, venv_run


def test_uninstall_removes_package_scripts_and_data_but_not_the_store(capsys, venv, index_args, store_root):
    assert run_pepip(["install", *index_args, "alpha", "tool"], capsys).exit_code == 0
    entries = store_entries(store_root)
    result = run_pepip(["uninstall", "tool", "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    assert " - alpha==1.0" in result.stderr and " - tool==1.0" in result.stderr
    assert not (venv / "bin" / "tool-cli").exists() and not (venv / "bin" / "tool-raw").exists()
    assert not (venv / "share" / "tool" / "config.txt").exists()
    code = "import importlib.util as u; print(u.find_spec('alpha'), u.find_spec('tool'), u.find_spec('beta') is not None)"
    assert venv_run(venv, code) == "None None True"  # beta, a dependency, stays (like pip)
    assert store_entries(store_root) == entries


@pytest.mark.parametrize(("args", "fragment"), [
    (["alpha==1.0"], "package names"),
    ([], "Missing argument"),
])
def test_uninstall_errors_change_nothing(capsys, venv, index_args, store_root, args, fragment):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    before = (snapshot(venv), snapshot(store_root))
    result = run_pepip(["uninstall", *args], capsys)
    assert result.exit_code != 0
    assert fragment in result.stderr and "Traceback" not in result.stderr
    assert (snapshot(venv), snapshot(store_root)) == before


def test_uninstall_without_venv(capsys):
    result = run_pepip(["uninstall", "alpha"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1
    assert "no venv at" in result.stderr
