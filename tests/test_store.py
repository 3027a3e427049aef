"""The store: atomic publishing, races between processes, builds chosen by wheel tag."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, store_entries, venv_run
from pepip.interpreter import query_interpreter
from pepip.locations import find_uv
from pepip.resolve import Pin, UvOptions, create_venv, fetch_pins
from pepip.staging import add_staged
from pepip.store import Store, read_entry


@pytest.fixture
def base_venv(isolated: Path) -> Path:
    venv = isolated / "base-venv"
    create_venv(find_uv(os.environ), venv, sys.executable)
    return venv


def stage(store: Store, venv: Path, wheelhouse: Path, *pins: Pin) -> Path:
    """Let uv install ``pins`` into a fresh staging prefix of ``store``."""
    prefix = store.staging_dir() / "prefix"
    options = UvOptions(no_index=True, find_links=(str(wheelhouse),))
    fetch_pins(find_uv(os.environ), venv / "bin" / "python", list(pins), options, prefix)
    return prefix


def test_publish_race_loser_reuses_winner(store_root, base_venv, wheelhouse):
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    first = stage(store, base_venv, wheelhouse, Pin("alpha", "1.0"))
    second = stage(store, base_venv, wheelhouse, Pin("alpha", "1.0"))
    [winner] = add_staged(store, first, python)
    [loser] = add_staged(store, second, python)
    assert winner == loser
    assert store_entries(store_root) == [winner.path]
    assert list(store.tmp_dir.glob("stage-*/site")) == []  # the loser's copy is gone


def test_entry_layout_and_facts(store_root, base_venv, wheelhouse):
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    [entry] = add_staged(store, stage(store, base_venv, wheelhouse, Pin("tool", "1.0")), python)
    assert entry.path.parent == store_root / "v1" / "entries" / "tool" / "1.0"
    assert entry.path.name.startswith("py3-none-any-")
    assert read_entry(entry.path) == entry
    assert entry.top_level == ("tool",) and entry.scripts == ("tool-cli",)
    assert (entry.prefix_dir / "bin" / "tool-raw").read_text().startswith("#!python\n")
    assert not (entry.prefix_dir / "bin" / "tool-cli").exists()  # launchers are per venv
    assert (store_root / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    record = (entry.path / "meta" / "tool-1.0.dist-info" / "RECORD").read_text()
    assert "prefix/share/tool/config.txt" in record and "site/tool/__init__.py" in record
    assert "INSTALLER" not in record
    assert not list(entry.site_dir.glob("*.dist-info"))  # importable root holds code only


def test_two_builds_of_one_version_coexist_and_lookup_picks_by_tag(store_root, base_venv, tmp_path):
    house = tmp_path / "house"
    house.mkdir()
    build_wheel(house, "twobuild", "1.0", {"twobuild.py": "KIND = 'pure'\n"})
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    [pure] = add_staged(store, stage(store, base_venv, house, Pin("twobuild", "1.0")), python)
    for wheel in house.iterdir():
        wheel.unlink()
    version = "cp%d%d" % sys.version_info[:2]
    build_wheel(house, "twobuild", "1.0", {"twobuild.py": "KIND = 'native'\n"},
                tag="%s-%s-manylinux_2_17_x86_64" % (version, version))
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("the native-tagged wheel is for linux x86_64")
    [native] = add_staged(store, stage(store, base_venv, house, Pin("twobuild", "1.0")), python)
    assert pure.path != native.path and pure.path.parent == native.path.parent
    tags = query_interpreter(python).supported_tags()
    priority = {str(tag): rank for rank, tag in enumerate(tags)}
    assert store.lookup("twobuild", "1.0", priority) == native
    assert store.lookup("twobuild", "1.0", {"py3-none-any": 0}) == pure
    assert store.lookup("twobuild", "2.0", priority) is None


def test_concurrent_installs_into_different_venvs_share_entries(isolated, wheelhouse, store_root):
    """Processes storing the same distributions at once all succeed; one entry per build."""
    work = isolated / "work"
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "pepip", "install", "-q", "--no-index", "--find-links",
             str(wheelhouse), "--venv", str(work / ("v%d" % n)), "alpha", "tool", "nsa", "nsb"],
            stderr=subprocess.PIPE, text=True,
        )
        for n in range(4)
    ]
    for process in processes:
        _out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
    names = sorted(p.parent.parent.name for p in store_entries(store_root))
    assert names == ["alpha", "beta", "nsa", "nsb", "tool"]
    for n in range(4):
        assert venv_run(work / ("v%d" % n), "import alpha, tool, nsroot.a; print('ok')") == "ok"
    assert len(list((store_root / "v1" / "venvs").iterdir())) == 4
