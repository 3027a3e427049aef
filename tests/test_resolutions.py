"""Warm paths without uv: satisfied requests and remembered resolutions."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from helpers import build_wheel, run_pepip, venv_run
from pepip.locations import find_uv


def uv_calls(log) -> list[str]:
    return [line.split()[0] + " " + line.split()[1] for line in log.read_text().splitlines()]


def test_already_satisfied_request_calls_no_uv(capsys, venv, index_args, uv_log):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    uv_log.write_text("")
    result = run_pepip(["install", *index_args, "alpha>=1", "beta"], capsys)
    assert result.exit_code == 0 and "nothing to change" in result.stderr
    assert uv_log.read_text() == ""


def test_new_venv_reuses_a_recent_resolution_until_refresh(capsys, isolated, index_args, uv_log):
    assert run_pepip(["install", *index_args, "--venv", "one", "alpha", "tool"], capsys).exit_code == 0
    uv_log.write_text("")
    second = run_pepip(["install", *index_args, "--venv", "two", "alpha", "tool"], capsys)
    assert second.exit_code == 0 and "(remembered)" in second.stderr
    assert "pip compile" not in uv_calls(uv_log)
    assert venv_run(isolated / "work" / "two", "import alpha, tool; print('ok')") == "ok"
    third = run_pepip(["install", *index_args, "--venv", "three", "--refresh", "alpha", "tool"], capsys)
    assert third.exit_code == 0 and "(remembered)" not in third.stderr
    assert "pip compile" in uv_calls(uv_log)


def test_resolution_memory_can_be_switched_off(capsys, index_args, uv_log, monkeypatch):
    monkeypatch.setenv("PEPIP_RESOLUTION_TTL", "0")
    assert run_pepip(["install", *index_args, "--venv", "one", "beta"], capsys).exit_code == 0
    uv_log.write_text("")
    assert run_pepip(["install", *index_args, "--venv", "two", "beta"], capsys).exit_code == 0
    assert "pip compile" in uv_calls(uv_log)


def test_different_request_is_resolved_anew(capsys, index_args, uv_log):
    assert run_pepip(["install", *index_args, "--venv", "one", "versioned==1.0"], capsys).exit_code == 0
    uv_log.write_text("")
    result = run_pepip(["install", *index_args, "--venv", "two", "versioned==2.0"], capsys)
    assert result.exit_code == 0 and "(remembered)" not in result.stderr
    assert "pip compile" in uv_calls(uv_log)


def _uv_version(isolated, name: str, *args: str) -> str:
    """The version ``uv pip install args`` installs into a fresh uv venv (the oracle)."""
    uv = str(find_uv(os.environ))
    target = isolated / "uv-oracle"
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([uv, "venv", "-q", str(target)], check=True)
    done = subprocess.run([uv, "pip", "install", "-q", "--python", str(target), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return venv_run(target, "import importlib.metadata as m; print(m.version(%r))" % name)


def _version(venv, name: str) -> str:
    return venv_run(venv, "import importlib.metadata as m; print(m.version(%r))" % name)


@pytest.mark.parametrize("change", [
    "nested-requirement-file", "nested-constraint-file", "constraint-file-of-a-constraint-file",
    "find-links-gains-a-version", "find-links-line-in-a-file-gains-a-version",
])
def test_a_change_to_any_input_uv_reads_is_resolved_anew(capsys, isolated, wheelhouse, change):
    """Within the TTL, a remembered answer is used only if nothing uv reads has changed:
    files included by ``-r``/``-c`` at any depth, and what ``--find-links`` folders hold."""
    work = isolated / "work"
    local = work / "wheels"
    local.mkdir()
    shutil.copy(wheelhouse / "versioned-1.0-py3-none-any.whl", local)
    index = ["--no-index", "-f", str(wheelhouse)]
    if change == "nested-requirement-file":
        (work / "top.txt").write_text("-r inner.txt\n")
        (work / "inner.txt").write_text("versioned==1.0\n")
        args = [*index, "-r", "top.txt"]
        edit = lambda: (work / "inner.txt").write_text("versioned==2.0\n")  # noqa: E731
    elif change == "nested-constraint-file":
        (work / "top.txt").write_text("versioned\n-c sub/constraints.txt\n")
        (work / "sub").mkdir()
        (work / "sub" / "constraints.txt").write_text("versioned<2\n")
        args = [*index, "-r", "top.txt"]
        edit = lambda: (work / "sub" / "constraints.txt").write_text("versioned>1\n")  # noqa: E731
    elif change == "constraint-file-of-a-constraint-file":
        (work / "c.txt").write_text("-c c2.txt\n")
        (work / "c2.txt").write_text("versioned<2\n")
        args = [*index, "-c", "c.txt", "versioned"]
        edit = lambda: (work / "c2.txt").write_text("versioned>1\n")  # noqa: E731
    elif change == "find-links-gains-a-version":
        args = ["--no-index", "-f", "wheels", "versioned"]
        edit = lambda: shutil.copy(wheelhouse / "versioned-2.0-py3-none-any.whl", local)  # noqa: E731
    else:
        (work / "reqs").mkdir()
        (work / "reqs" / "r.txt").write_text("-f ../wheels\nversioned\n")  # relative to the file, as uv takes it
        args = ["--no-index", "-r", "reqs/r.txt"]
        edit = lambda: shutil.copy(wheelhouse / "versioned-2.0-py3-none-any.whl", local)  # noqa: E731
    assert run_pepip(["install", "--venv", str(isolated / "va"), *args], capsys).exit_code == 0
    assert _version(isolated / "va", "versioned") == "1.0"
    edit()
    second = run_pepip(["install", "--venv", str(isolated / "vb"), *args], capsys)
    assert second.exit_code == 0, second.stderr
    assert "(remembered)" not in second.stderr
    assert _version(isolated / "vb", "versioned") == _uv_version(isolated, "versioned", *args) == "2.0"


@pytest.mark.parametrize("how", ["path", "requirements-line", "file-url", "find-links"])
def test_a_rebuilt_local_wheel_is_installed_as_it_is_now(capsys, isolated, how):
    """``dist/x.whl`` rebuilt under the same name: uv installs the file as it is now."""
    work = isolated / "work"
    dist = work / "dist"
    dist.mkdir()
    wheel = build_wheel(dist, "rebuilt", "1.0", {"rebuilt.py": "BUILD = 'one'\n"})
    args = {
        "path": ["./dist/" + wheel.name],
        "requirements-line": ["-r", "requirements.txt"],
        "file-url": ["rebuilt @ " + wheel.as_uri()],
        "find-links": ["-f", "dist", "rebuilt"],
    }[how]
    (work / "requirements.txt").write_text("./dist/%s\n" % wheel.name)
    assert run_pepip(["install", "--venv", str(isolated / "va"), "--no-index", *args], capsys).exit_code == 0
    build_wheel(dist, "rebuilt", "1.0", {"rebuilt.py": "BUILD = 'two'\n"})
    second = run_pepip(["install", "--venv", str(isolated / "vb"), "--no-index", *args], capsys)
    assert second.exit_code == 0, second.stderr
    assert venv_run(isolated / "va", "import rebuilt; print(rebuilt.BUILD)") == "one"
    assert venv_run(isolated / "vb", "import rebuilt; print(rebuilt.BUILD)") == "two"
