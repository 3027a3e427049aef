"""`pepip uninstall`: the named distributions leave the venv; dependencies and store stay."""

from __future__ import annotations

import pytest

from helpers import bin_dir, make_editable_project, run_pepip, site_packages, snapshot, store_entries, venv_run


@pytest.mark.windows
def test_uninstall_removes_package_scripts_and_data_but_not_the_store(capsys, venv, index_args, store_root):
    assert run_pepip(["install", *index_args, "alpha", "tool"], capsys).exit_code == 0
    entries = store_entries(store_root)
    result = run_pepip(["uninstall", "tool", "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    assert " - alpha==1.0" in result.stderr and " - tool==1.0" in result.stderr
    scripts = bin_dir(venv)
    assert not any(p.name.startswith(("tool-cli", "tool-raw")) for p in scripts.iterdir())
    assert not (venv / "share" / "tool" / "config.txt").exists()
    code = "import importlib.util as u; print(u.find_spec('alpha'), u.find_spec('tool'), u.find_spec('beta') is not None)"
    assert venv_run(venv, code) == "None None True"  # beta, a dependency, stays (like pip)
    assert store_entries(store_root) == entries
    # Still read-only: the venv's files removed were never links sharing the store's mode.
    assert all(p.stat().st_mode & 0o222 == 0 for e in entries for p in e.rglob("*") if p.is_file())


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


def test_uninstall_removes_a_project_pepip_installed_editable(capsys, venv, index_args, isolated):
    """`pepip install -e` puts the project into the venv with uv: `pepip uninstall` takes it out
    (it had said "No packages to uninstall"); its dependencies stay, as with pip."""
    project = make_editable_project(isolated / "proj", "mine", requires=["beta"])
    assert run_pepip(["install", *index_args, "-e", str(project)], capsys).exit_code == 0
    result = run_pepip(["uninstall", "mine"], capsys)
    assert result.exit_code == 0, result.stderr
    assert "Uninstalled 1 package" in result.stderr and " - mine==0.1" in result.stderr
    assert "warning" not in result.stderr
    code = "import importlib.util as u, importlib.metadata as m; print(u.find_spec('mine'), m.version('beta'))"
    assert venv_run(venv, code) == "None 1.0"
    assert not list(site_packages(venv).glob("mine-*.dist-info"))
