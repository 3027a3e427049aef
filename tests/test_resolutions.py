"""Warm paths without uv: satisfied requests and remembered resolutions."""

from __future__ import annotations

from helpers import run_pepip, venv_run


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
