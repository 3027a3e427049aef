"""Venvs made from a wired template: no uv call on the warm path, paths rewritten."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import run_pepip, venv_run


def test_second_venv_is_a_template_copy_with_its_own_paths(capsys, isolated, index_args, uv_log):
    assert run_pepip(["install", *index_args, "--venv", "one", "alpha"], capsys).exit_code == 0
    uv_log.write_text("")
    assert run_pepip(["install", *index_args, "--venv", "two", "alpha"], capsys).exit_code == 0
    assert uv_log.read_text() == ""  # no `uv venv`, no `uv python find`, no resolution
    two = isolated / "work" / "two"
    activate = (two / "bin" / "activate").read_text()
    assert str(two) in activate and "stage-" not in activate and "venv-templates" not in activate
    assert "stage-" not in (two / "pepip-manifest.txt").read_text()
    shell = subprocess.run(
        ["bash", "-c", ". '%s/bin/activate' && python -c 'import sys, alpha; print(sys.prefix)'" % two],
        capture_output=True, text=True,
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == str(two)
    assert venv_run(two, "import importlib.metadata as m; print(m.version('alpha'))") == "1.0"


def test_interpreter_choice_is_asked_again_after_the_ttl(capsys, isolated, index_args, uv_log, monkeypatch):
    assert run_pepip(["venv", "one"], capsys).exit_code == 0
    monkeypatch.setenv("PEPIP_RESOLUTION_TTL", "0")
    uv_log.write_text("")
    assert run_pepip(["venv", "two"], capsys).exit_code == 0
    assert [line.split()[:2] for line in uv_log.read_text().splitlines()] == [["python", "find"]]


def test_a_venv_is_known_by_its_canonical_path(capsys, isolated, index_args, store_root):
    """`sub/../v` and a link to `v` are `v`: registered, pruned and repaired as `v`."""
    work = isolated / "work"
    (work / "sub").mkdir()
    assert run_pepip(["install", *index_args, "--venv", "sub/../v", "alpha"], capsys).exit_code == 0
    (work / "link").symlink_to(work, target_is_directory=True)
    for venv in ("v", "link/v", "sub/../v"):
        listed = run_pepip(["list", "--venv", venv], capsys)
        assert listed.exit_code == 0 and "alpha" in listed.stdout, listed.stderr
    assert run_pepip(["install", *index_args, "--venv", "link/v", "tool"], capsys).exit_code == 0
    (work / "link").unlink()
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert run_pepip(["repair", *index_args, "--venv", "v"], capsys).exit_code == 0
    doctor = run_pepip(["doctor", "--venv", "v"], capsys)
    assert doctor.exit_code == 0, doctor.stdout + doctor.stderr
    assert venv_run(work / "v", "import alpha, tool; print('ok')") == "ok"


@pytest.mark.parametrize("junk", ["garbage\n", "cp311-cp311-manylinux_2_17_x86_64\n", "py2-none-any\n"])
def test_a_damaged_remembered_tag_list_is_computed_again(capsys, isolated, index_args, store_root, junk):
    """R21: junk in the remembered tag list had made every install fail (no wheel fits)."""
    assert run_pepip(["install", *index_args, "--venv", "one", "alpha"], capsys).exit_code == 0
    remembered = list((store_root / "v2" / "interpreters").glob("*.tags"))
    assert remembered
    for path in remembered:
        path.write_text(junk)
    result = run_pepip(["install", *index_args, "--venv", "two", "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    assert "py3-none-any" in remembered[0].read_text().split()


def _two_interpreters() -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = [candidate / "bin" for minor in (11, 12) for candidate in sorted(root.glob("3.%d.*" % minor))[:1]]
    return [path for path in found if (path / "python").exists()]


@pytest.mark.posix("symlinks")
def test_a_relative_python_path_means_the_interpreter_of_the_current_directory(capsys, isolated, monkeypatch):
    """``--python py/bin/python`` in two projects names two interpreters: the remembered
    answer of one is not the other's."""
    interpreters = _two_interpreters()
    if len(interpreters) < 2:
        pytest.skip("needs two pyenv interpreters")
    versions = []
    for project, interpreter in zip(("a", "b"), interpreters):
        directory = isolated / "work" / project
        (directory / "py").mkdir(parents=True)
        (directory / "py" / "bin").symlink_to(interpreter, target_is_directory=True)
        monkeypatch.chdir(directory)
        result = run_pepip(["venv", "v", "--python", "py/bin/python"], capsys)
        assert result.exit_code == 0, result.stderr
        versions.append(venv_run(directory / "v", "import sys; print(sys.version_info[:2])"))
    assert versions[0] != versions[1]
