"""Venvs made from a wired template: no uv call on the warm path, paths rewritten."""

from __future__ import annotations

import subprocess

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
