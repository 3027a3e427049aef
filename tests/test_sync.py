"""`pepip sync`: exactly what a file asks for; an unchanged input does no work."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import build_wheel, distributions, make_editable_project, run_pepip, snapshot, store_entries, venv_run
from pepip.locations import find_uv


@pytest.mark.windows
def test_sync_removes_extras_and_reruns_without_resolution(capsys, venv, index_args, isolated, uv_log):
    assert run_pepip(["install", *index_args, "alpha", "versioned==1.0"], capsys).exit_code == 0
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("versioned==2.0\n")
    result = run_pepip(["sync", *index_args], capsys)
    assert result.exit_code == 0, result.stderr
    assert venv_run(venv, "import importlib.metadata as m; print(sorted(d.metadata['Name'] for d in m.distributions()))") == "['versioned']"
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "2.0"
    uv_log.write_text("")
    again = run_pepip(["sync", *index_args], capsys)
    assert again.exit_code == 0 and "Already in sync" in again.stderr
    assert uv_log.read_text() == ""  # no resolution, no store work
    requirements.write_text("versioned==1.0\n")
    changed = run_pepip(["sync", *index_args], capsys)
    assert " + versioned==1.0" in changed.stderr and " - versioned==2.0" in changed.stderr


def test_sync_pyproject_with_extra_and_group(capsys, venv, index_args, isolated):
    pyproject = isolated / "work" / "pyproject.toml"
    pyproject.write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["beta"]\n'
        '[project.optional-dependencies]\ncli = ["tool"]\n'
        '[dependency-groups]\ndev = ["versioned==1.0"]\n'
    )
    result = run_pepip(["sync", *index_args, "--extra", "cli", "--group", "dev", str(pyproject)], capsys)
    assert result.exit_code == 0, result.stderr
    assert venv_run(venv, "import beta, tool, versioned; print(versioned.VERSION)") == "1.0"


def test_sync_uv_lock(capsys, venv, index_args, isolated, wheelhouse):
    project = isolated / "work"
    (project / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.8"\ndependencies = ["alpha"]\n'
        "[tool.uv]\nfind-links = [%r]\nno-index = true\npackage = false\n" % str(wheelhouse)
    )
    lock = subprocess.run([str(find_uv(os.environ)), "lock", "--project", str(project)], capture_output=True, text=True,
                          env={**os.environ, "UV_NO_CONFIG": "0"})
    assert lock.returncode == 0, lock.stderr
    result = run_pepip(["sync", *index_args], capsys)  # finds uv.lock before pyproject.toml
    assert result.exit_code == 0, result.stderr
    assert venv_run(venv, "import alpha, beta; print('ok')") == "ok"


def test_sync_without_any_file_is_one_line(capsys, venv, isolated):
    result = run_pepip(["sync"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1
    assert "no uv.lock, requirements.txt or pyproject.toml" in result.stderr
    assert not venv.exists()


def test_sync_unresolvable_file_changes_nothing(capsys, venv, index_args, isolated, store_root):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    bad = isolated / "bad.txt"
    bad.write_text("needs-new\nneeds-old\n")
    before = (snapshot(venv), snapshot(store_root))
    result = run_pepip(["sync", *index_args, str(bad)], capsys)
    assert result.exit_code == 1 and result.error_lines[0].startswith("pepip: error: ")
    assert (snapshot(venv), snapshot(store_root)) == before
    assert store_entries(store_root)


@pytest.mark.parametrize("edited", ["inner.txt", "constraints.txt"])
def test_sync_sees_a_change_in_an_included_file(capsys, venv, index_args, isolated, edited):
    """The "already in sync" fingerprint covers files included by ``-r``/``-c``, not only the top one."""
    work = isolated / "work"
    (work / "requirements.txt").write_text("-r inner.txt\n-c constraints.txt\n")
    (work / "inner.txt").write_text("versioned\n")
    (work / "constraints.txt").write_text("versioned<2\n")
    assert run_pepip(["sync", *index_args], capsys).exit_code == 0
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "1.0"
    (work / edited).write_text({"inner.txt": "versioned==2.0\n", "constraints.txt": "versioned>1\n"}[edited])
    if edited == "inner.txt":
        (work / "constraints.txt").write_text("")
    again = run_pepip(["sync", *index_args], capsys)
    assert again.exit_code == 0 and "Already in sync" not in again.stderr, again.stderr
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "2.0"


def test_sync_a_requirements_file_with_a_group_of_the_project(capsys, venv, index_args, isolated):
    """As `uv pip sync requirements.txt --group dev`: the group comes from ./pyproject.toml,
    and an edit of that group is a change of the sync's inputs."""
    work = isolated / "work"
    (work / "requirements.txt").write_text("beta\n")
    (work / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n[dependency-groups]\ndev = ["versioned==1.0"]\n')
    result = run_pepip(["sync", *index_args, "--group", "dev", "requirements.txt"], capsys)
    assert result.exit_code == 0, result.stderr
    uv = str(find_uv(os.environ))
    oracle = isolated / "uv"
    subprocess.run([uv, "venv", "-q", str(oracle)], check=True)
    subprocess.run([uv, "pip", "sync", "-q", "--python", str(oracle / "bin" / "python"), *index_args,
                    "--group", "dev", "requirements.txt"], check=True)
    freeze = [uv, "pip", "freeze", "--python"]
    expected = subprocess.run([*freeze, str(oracle / "bin" / "python")], capture_output=True, text=True).stdout
    assert subprocess.run([*freeze, str(venv / "bin" / "python")], capture_output=True, text=True).stdout == expected
    assert expected.split() == ["beta==1.0", "versioned==1.0"]
    (work / "pyproject.toml").write_text('[project]\nname = "app"\nversion = "0"\n[dependency-groups]\ndev = ["versioned==2.0"]\n')
    result = run_pepip(["sync", *index_args, "--group", "dev", "requirements.txt"], capsys)
    assert result.exit_code == 0 and " + versioned==2.0" in result.stderr, result.stderr


def test_sync_of_a_metapackage_is_in_sync_the_second_time(capsys, venv, isolated, uv_log):
    """A distribution of dist-info alone (jupyter) has a store entry without ``site``: the
    second sync used to take it for a pruned entry and sync again."""
    wheels = isolated / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "meta", "1.0", {}, requires=["beta"])
    build_wheel(wheels, "beta", "1.0", {"beta.py": ""})
    (isolated / "work" / "requirements.txt").write_text("meta\n")
    assert run_pepip(["sync", "--no-index", "-f", str(wheels)], capsys).exit_code == 0
    uv_log.write_text("")
    again = run_pepip(["sync", "--no-index", "-f", str(wheels)], capsys)
    assert again.exit_code == 0 and "Already in sync" in again.stderr, again.stderr
    assert uv_log.read_text() == ""


def _uv(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(find_uv(os.environ)), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_sync_locks_again_when_pyproject_changed(capsys, venv, index_args, isolated, wheelhouse):
    """A dependency added to pyproject.toml without `uv lock`: `uv sync` locks again and
    installs it, `uv sync --locked` refuses, `uv sync --frozen` takes the lock as it is."""
    project = isolated / "work"
    pyproject = project / "pyproject.toml"
    pyproject.write_text('[project]\nname = "app"\nversion = "0"\nrequires-python = ">=3.8"\ndependencies = ["alpha"]\n')
    assert _uv("lock", *index_args, cwd=project).returncode == 0
    assert run_pepip(["sync", *index_args], capsys).exit_code == 0
    pyproject.write_text(pyproject.read_text().replace('["alpha"]', '["alpha", "versioned==1.0"]'))

    before = (snapshot(venv), (project / "uv.lock").read_text())
    locked = run_pepip(["sync", "--locked", *index_args], capsys)
    assert locked.exit_code == 1 and len(locked.error_lines) == 1, locked.stderr
    assert "needs to be updated, but `--locked` was provided" in locked.stderr
    assert (snapshot(venv), (project / "uv.lock").read_text()) == before
    frozen = run_pepip(["sync", "--frozen", *index_args], capsys)
    assert frozen.exit_code == 0 and distributions(venv) == [("alpha", "1.0"), ("beta", "1.0")]

    result = run_pepip(["sync", *index_args], capsys)
    assert result.exit_code == 0 and " + versioned==1.0" in result.stderr, result.stderr
    assert 'name = "versioned"' in (project / "uv.lock").read_text()  # locked again, as uv sync does
    again = run_pepip(["sync", *index_args], capsys)
    assert again.exit_code == 0 and "Already in sync" in again.stderr, again.stderr

    oracle = isolated / "uv-env"
    synced = _uv("sync", *index_args, cwd=project, env={"UV_PROJECT_ENVIRONMENT": str(oracle)})
    assert synced.returncode == 0, synced.stderr
    assert distributions(venv) == distributions(oracle)


def test_sync_locked_or_frozen_needs_a_uv_lock(capsys, venv, index_args, isolated):
    (isolated / "work" / "requirements.txt").write_text("alpha\n")
    result = run_pepip(["sync", "--locked", *index_args], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and "is not one" in result.stderr
    assert not venv.exists()


@pytest.mark.parametrize("source, installed_before", [("uv.lock", True), ("uv.lock", False), ("pyproject.toml", True)])
def test_sync_installs_the_project_itself_editable(capsys, venv, index_args, isolated, source, installed_before):
    """`uv sync` installs the project (a package: it has a build system) in editable mode,
    and keeps it; pepip sync used to remove the one `pepip install -e .` had installed."""
    project = make_editable_project(isolated / "work", "eproj", requires=["alpha"])
    if source == "uv.lock":
        assert _uv("lock", *index_args, cwd=project).returncode == 0
    if installed_before:
        assert run_pepip(["install", *index_args, "-e", str(project)], capsys).exit_code == 0
    result = run_pepip(["sync", *index_args], capsys)
    assert result.exit_code == 0, result.stderr
    assert venv_run(venv, "import eproj, alpha; print(eproj.WHERE)") == "editable"
    assert (" + %s (editable)" % project in result.stderr) != installed_before  # kept, not installed again
    again = run_pepip(["sync", *index_args], capsys)
    assert again.exit_code == 0 and "Already in sync" in again.stderr, again.stderr

    if source == "uv.lock":
        oracle = isolated / "uv-env"
        synced = _uv("sync", *index_args, cwd=project, env={"UV_PROJECT_ENVIRONMENT": str(oracle)})
        assert synced.returncode == 0, synced.stderr
        assert distributions(venv) == distributions(oracle)
    # --no-install-project leaves it out, and sync then removes it, as uv sync does
    without = run_pepip(["sync", "--no-install-project", *index_args], capsys)
    assert without.exit_code == 0 and " - eproj==0.1" in without.stderr, without.stderr
    assert distributions(venv) == [("alpha", "1.0"), ("beta", "1.0")]
