"""A store used by several machines (issue 17), on one box: the machine is PEPIP_MACHINE_ID,
and a venv that lives "on the other machine" is hidden by renaming it while the other
machine runs pepip. The real thing, with sshfs mounts in network namespaces, is
``tests/cluster/test_multi_machine.py``."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from helpers import run_pepip, store_entries, venv_run


def _on(monkeypatch: pytest.MonkeyPatch, machine: str) -> None:
    monkeypatch.setenv("PEPIP_MACHINE_ID", machine)


def test_prune_keeps_the_entries_of_another_machines_venv(capsys, monkeypatch, venv, index_args, store_root):
    """Items 1 and 4: the venv's path means nothing on another machine."""
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    away = venv.with_name("on-machine-a")
    venv.rename(away)  # machine B cannot see machine A's disk
    _on(monkeypatch, "machine-b")
    pruned = run_pepip(["store", "prune"], capsys)
    assert pruned.exit_code == 0, pruned.stderr
    assert store_entries(store_root), "prune on machine B removed machine A's entries"
    # The same path on machine B is another venv, with a record of its own.
    assert run_pepip(["install", *index_args, "beta"], capsys).exit_code == 0
    assert len(os.listdir(store_root / "v2" / "venvs")) == 2
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    import shutil

    shutil.rmtree(venv)
    away.rename(venv)
    assert venv_run(venv, "import alpha; print(alpha.__name__)") == "alpha"


def test_another_machines_record_expires_after_the_ttl(capsys, monkeypatch, venv, index_args, store_root):
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    venv.rename(venv.with_name("on-machine-a"))
    _on(monkeypatch, "machine-b")
    monkeypatch.setenv("PEPIP_REGISTRATION_TTL", "3600")
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert store_entries(store_root)
    records = list((store_root / "v2" / "venvs").iterdir())
    past = time.time() - 7200
    for record in records:
        os.utime(record, (past, past))  # machine A ran no pepip command on it for 2 h
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert not store_entries(store_root)
    assert not list((store_root / "v2" / "venvs").iterdir())


def test_every_command_on_a_venv_renews_its_record(capsys, monkeypatch, venv, index_args, store_root):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    (record,) = (store_root / "v2" / "venvs").iterdir()
    os.utime(record, (1, 1))
    assert run_pepip(["list"], capsys).exit_code == 0
    assert record.stat().st_mtime > time.time() - 60


def test_a_shared_store_is_said_once_and_prune_spares_what_is_young(capsys, monkeypatch, venv, index_args, store_root):
    """Item 2: the lock may not span machines, so prune goes by time, and says so once."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    first = run_pepip(["install", *index_args, "alpha"], capsys)
    assert first.exit_code == 0
    assert [line for line in first.stderr.splitlines() if "shared by machines" in line], first.stderr
    second = run_pepip(["install", *index_args, "beta"], capsys)
    assert "shared by machines" not in second.stderr
    assert run_pepip(["uninstall", "alpha", "beta"], capsys).exit_code == 0
    (store_root / "v2" / "tmp" / "stage-another-machine").mkdir()
    pruned = run_pepip(["store", "prune"], capsys)
    assert pruned.exit_code == 0
    assert len(store_entries(store_root)) == 2, "prune removed entries younger than the grace period"
    assert (store_root / "v2" / "tmp" / "stage-another-machine").is_dir()
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert not store_entries(store_root)
    assert not (store_root / "v2" / "tmp" / "stage-another-machine").exists()
