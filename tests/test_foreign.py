"""pip and uv in a pepip venv: listings, uninstall, installs beside the store, editables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, make_editable_project, run_pepip, snapshot, venv_run
from pepip.locations import find_uv


def pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The host's pip acting on the venv (pip --python runs pip inside that interpreter)."""
    return subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), *args],
        capture_output=True, text=True, env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )


def uv_pip(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(find_uv(os.environ)), "pip", *args, "--python", str(venv / "bin" / "python")],
        capture_output=True, text=True,
    )


@pytest.fixture
def wired(capsys, venv, index_args) -> Path:
    result = run_pepip(["install", *index_args, "alpha", "tool"], capsys)
    assert result.exit_code == 0, result.stderr
    return venv


def test_pip_sees_exactly_the_pepip_distributions(wired):
    listed = pip(wired, "list", "--format", "freeze")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.split() == ["alpha==1.0", "beta==1.0", "tool==1.0"]
    assert pip(wired, "freeze").stdout.split() == ["alpha==1.0", "beta==1.0", "tool==1.0"]
    show = pip(wired, "show", "alpha")
    assert "Version: 1.0" in show.stdout and "Requires: beta" in show.stdout
    check = pip(wired, "check")
    assert check.returncode == 0 and "No broken requirements" in check.stdout


def test_uv_sees_exactly_the_pepip_distributions(wired):
    assert uv_pip(wired, "freeze").stdout.split() == ["alpha==1.0", "beta==1.0", "tool==1.0"]
    rows = uv_pip(wired, "list").stdout.splitlines()[2:]
    assert [row.split() for row in rows] == [["alpha", "1.0"], ["beta", "1.0"], ["tool", "1.0"]]


@pytest.mark.parametrize("tool", ["pip", "uv"])
def test_uninstall_by_pip_or_uv_removes_it_everywhere_but_the_store(wired, store_root, capsys, tool):
    before = snapshot(store_root)
    done = pip(wired, "uninstall", "-y", "tool") if tool == "pip" else uv_pip(wired, "uninstall", "tool")
    assert done.returncode == 0, done.stderr
    assert snapshot(store_root) == before
    code = "import importlib.util as u, importlib.metadata as m\nprint(u.find_spec('tool'), sorted(d.metadata['Name'] for d in m.distributions()))"
    assert venv_run(wired, code) == "None ['alpha', 'beta']"
    assert not (wired / "bin" / "tool-cli").exists()
    assert [line.split()[0] for line in run_pepip(["freeze", "--venv", str(wired)], capsys).stdout.splitlines()] == ["alpha==1.0", "beta==1.0"]


def test_pip_install_of_a_dependent_keeps_the_pepip_dependency(wired, wheelhouse):
    done = pip(wired, "install", "--no-index", "--find-links", str(wheelhouse), "dependent")
    assert done.returncode == 0, done.stderr
    site = next(wired.glob("lib/python*/site-packages"))
    assert (site / "alpha-1.0.dist-info" / "INSTALLER").read_text() == "pepip\n"
    assert venv_run(wired, "import dependent, alpha; print(alpha.__file__.count('/entries/'))") == "1"


def test_version_installed_by_uv_wins_and_later_pepip_install_respects_it(wired, capsys, index_args, store_root):
    assert run_pepip(["install", *index_args, "versioned==2.0"], capsys).exit_code == 0
    before = snapshot(store_root)
    done = uv_pip(wired, "install", *index_args, "versioned==1.0")
    assert done.returncode == 0, done.stderr
    assert snapshot(store_root) == before
    assert venv_run(wired, "import versioned; print(versioned.VERSION, '/entries/' in versioned.__file__)") == "1.0 False"
    # Unrelated pepip install: the version uv installed stays where it is.
    assert run_pepip(["install", *index_args, "typedpkg"], capsys).exit_code == 0
    assert venv_run(wired, "import versioned; print(versioned.VERSION)") == "1.0"
    # A request that needs another version: pepip replaces uv's copy with the store's.
    result = run_pepip(["install", *index_args, "needs-new"], capsys)
    assert result.exit_code == 0, result.stderr
    site = next(wired.glob("lib/python*/site-packages"))
    assert sorted(p.name for p in site.glob("versioned-*.dist-info")) == ["versioned-2.0.dist-info"]
    assert venv_run(wired, "import versioned; print(versioned.VERSION, '/entries/' in versioned.__file__)") == "2.0 True"


def test_pepip_install_editable_goes_into_the_venv_not_the_store(capsys, venv, index_args, isolated, store_root):
    project = make_editable_project(isolated / "proj", "mine", requires=["beta"])
    result = run_pepip(["install", *index_args, "-e", str(project)], capsys)
    assert result.exit_code == 0, result.stderr
    assert venv_run(venv, "import mine, beta; print(mine.WHERE, mine.__file__)") == "editable %s" % (project / "src" / "mine" / "__init__.py")
    assert not (store_root / "v2" / "entries" / "mine").exists()
    assert (store_root / "v2" / "entries" / "beta").is_dir()
    # A later install keeps the editable as it is.
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    assert venv_run(venv, "import mine, alpha; print(mine.WHERE)") == "editable"


def test_uv_editable_beside_pepip_packages(wired, isolated, index_args):
    project = make_editable_project(isolated / "proj", "mine2", requires=["alpha"])
    done = uv_pip(wired, "install", *index_args, "-e", str(project))
    assert done.returncode == 0, done.stderr
    assert venv_run(wired, "import mine2, alpha; print(mine2.WHERE)") == "editable"


def test_sync_removes_what_pip_installed_beside(wired, capsys, index_args, isolated, wheelhouse):
    assert pip(wired, "install", "--no-index", "--find-links", str(wheelhouse), "versioned==1.0").returncode == 0
    (isolated / "work" / "requirements.txt").write_text("alpha\n")
    result = run_pepip(["sync", *index_args], capsys)
    assert result.exit_code == 0, result.stderr
    assert " - versioned==1.0" in result.stderr and " - tool==1.0" in result.stderr
    assert uv_pip(wired, "freeze").stdout.split() == ["alpha==1.0", "beta==1.0"]


@pytest.mark.network
def test_pkg_resources_working_set_matches_a_plain_uv_venv(capsys, venv, isolated):
    assert run_pepip(["install", "setuptools<81", "six"], capsys).exit_code == 0
    plain = isolated / "plain"
    uv = str(find_uv(os.environ))
    assert subprocess.run([uv, "venv", "-q", str(plain)]).returncode == 0
    assert uv_pip(plain, "install", "setuptools<81", "six").returncode == 0
    code = "import pkg_resources\nprint(sorted((d.project_name, d.version) for d in pkg_resources.working_set))"
    seen = venv_run(venv, code, env={"PYTHONWARNINGS": "ignore"})
    assert "'six'" in seen and seen == venv_run(plain, code, env={"PYTHONWARNINGS": "ignore"})


# --- reinstalls over the store (issue 12, item 4) ---


def test_pip_force_reinstall_of_the_same_version_is_the_one_imported(wired, isolated):
    patched = isolated / "patched"
    patched.mkdir()
    build_wheel(patched, "beta", "1.0", {"beta.py": "NAME = 'patched'\n"})  # a local build, same name and version
    done = pip(wired, "install", "--force-reinstall", "--no-deps", "--no-index", "--find-links", str(patched), "beta==1.0")
    assert done.returncode == 0, done.stderr
    site = next(wired.glob("lib/python*/site-packages"))
    assert venv_run(wired, "import beta; print(beta.NAME, beta.__file__)") == "patched %s" % (site / "beta.py")


def test_pip_editable_of_the_same_name_and_version_is_the_one_imported(capsys, venv, isolated):
    local = isolated / "local"
    local.mkdir()
    build_wheel(local, "mine", "0.1", {"mine/__init__.py": "WHERE = 'store'\n"})
    assert run_pepip(["install", "--no-index", "--find-links", str(local), "mine"], capsys).exit_code == 0
    assert venv_run(venv, "import mine; print(mine.WHERE)") == "store"
    project = make_editable_project(isolated / "proj", "mine")  # version 0.1 too
    done = pip(venv, "install", "--no-index", "-e", str(project))
    assert done.returncode == 0, done.stderr
    assert venv_run(venv, "import mine; print(mine.WHERE)") == "editable"


def test_uv_reinstall_then_pepip_uninstall_removes_it_everywhere(wired, capsys, index_args):
    done = uv_pip(wired, "install", *index_args, "--reinstall-package", "beta", "beta")
    assert done.returncode == 0, done.stderr
    assert venv_run(wired, "import beta; print('/entries/' in beta.__file__)") == "False"
    listed = run_pepip(["list", "--venv", str(wired)], capsys).stdout
    assert [line.split()[::2] for line in listed.splitlines() if line.startswith("beta")] == [["beta", "site-packages"]]
    doctor = run_pepip(["doctor", "--venv", str(wired)], capsys)
    assert doctor.exit_code == 1 and "beta 1.0: pip or uv installed it again" in doctor.stdout + doctor.stderr
    result = run_pepip(["uninstall", "--venv", str(wired), "beta"], capsys)
    assert result.exit_code == 0 and " - beta==1.0" in result.stderr, result.stderr
    assert venv_run(wired, "import importlib.util as u; print(u.find_spec('beta'))") == "None"
    assert "beta" not in run_pepip(["list", "--venv", str(wired)], capsys).stdout
    assert uv_pip(wired, "freeze").stdout.split() == ["alpha==1.0", "tool==1.0"]
    doctor = run_pepip(["doctor", "--venv", str(wired)], capsys)
    assert doctor.exit_code == 0 and "beta" not in doctor.stdout + doctor.stderr, doctor.stdout


def test_pepip_uninstall_leaves_what_pip_alone_installed(wired, capsys, wheelhouse):
    assert pip(wired, "install", "--no-index", "--find-links", str(wheelhouse), "versioned==1.0").returncode == 0
    result = run_pepip(["uninstall", "--venv", str(wired), "versioned"], capsys)
    assert result.exit_code == 0 and "skipping versioned: pip or uv installed it" in result.stderr
    assert venv_run(wired, "import versioned; print(versioned.VERSION)") == "1.0"
def test_offline_install_into_a_venv_seeded_by_python_m_venv(capsys, isolated, index_args):
    """pip (and setuptools before 3.12) seeded by ``python -m venv`` are kept, not resolved again."""
    seeded = isolated / "seeded"
    assert subprocess.run([sys.executable, "-m", "venv", str(seeded)]).returncode == 0
    before = uv_pip(seeded, "freeze").stdout.split()
    assert any(line.startswith("pip==") for line in before)
    result = run_pepip(["install", "--venv", str(seeded), *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    assert venv_run(seeded, "import alpha, pip; print(alpha.NAME)") == "alpha"
    assert uv_pip(seeded, "freeze").stdout.split() == sorted(before + ["alpha==1.0", "beta==1.0"])
    assert subprocess.run([str(seeded / "bin" / "python"), "-m", "pip", "--version"], capture_output=True).returncode == 0
