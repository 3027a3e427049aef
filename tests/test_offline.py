"""Offline installs (``--offline``, ``UV_OFFLINE``) take what the store holds, whatever uv's
cache holds (issue 23; ``pepip.uv.stored``, ``pepip.store.offline``).

Each test fills the store from a folder of small wheels, then empties pepip's uv cache and
removes the folder: only the store is left to install from. uv alone cannot do that.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import (
    build_wheel, other_python, run_pepip, snapshot, store_entries, uv_freeze, uv_venv_with, venv_python, venv_run,
)
from pepip.locations import find_uv
from pepip.manifest import read_manifest

_UV = str(find_uv(os.environ))


@pytest.fixture
def house(isolated: Path) -> Path:
    """``a`` needs ``b``; ``c`` needs ``d``; ``plat`` 1.0 fits any Python."""
    folder = isolated / "house"
    folder.mkdir()
    build_wheel(folder, "b", "1.0", {"b.py": "B = 'b'\n"})
    build_wheel(folder, "a", "1.0", {"a/__init__.py": "import b\nNAME = 'a with ' + b.B\n"}, requires=["b"])
    build_wheel(folder, "d", "1.0", {"d.py": ""})
    build_wheel(folder, "c", "1.0", {"c.py": "import d\n"}, requires=["d"])
    build_wheel(folder, "plat", "1.0", {"plat.py": "VERSION = '1.0'\n"})
    return folder


@pytest.fixture
def pepip_cache(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's own pepip uv cache (the session's is shared by every test)."""
    cache = isolated / "pepip-cache"
    monkeypatch.setenv("PEPIP_CACHE_DIR", str(cache))
    return cache


def _pepip(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    result = run_pepip(list(args), capsys)
    assert result.exit_code == 0, result.stderr
    return result.stderr


def _installed(venv: Path) -> list[tuple[str, str, str, str]]:
    """Per distribution of the venv's manifest: name, version, store entry, artifact."""
    manifest = read_manifest(venv)
    assert manifest is not None
    return [(record.name, record.version, record.site_dir, record.artifact) for record in manifest.dists]


def _only_the_store_is_left(house: Path, cache: Path) -> None:
    shutil.rmtree(house)
    shutil.rmtree(cache)


def test_offline_installs_what_the_store_holds_with_uvs_cache_empty(
    capsys, isolated, house, pepip_cache, store_root, uv_log, monkeypatch
):
    """The user's report: ``UV_OFFLINE=1 pepip install --refresh fastapi`` failed with an
    empty uv cache, though the store held every file fastapi needs."""
    first = isolated / "first"
    _pepip(capsys, "install", "--venv", str(first), "--no-index", "--find-links", str(house), "a")
    oracle = uv_venv_with(isolated / "oracle", house, "a")
    entries = snapshot(store_root / "v2" / "entries")
    _only_the_store_is_left(house, pepip_cache)
    # uv alone cannot: its offline install needs index pages or wheels in its cache.
    empty = isolated / "empty-uv-cache"
    uv_alone = subprocess.run(
        [_UV, "pip", "install", "--python", str(venv_python(oracle)), "--reinstall", "--offline", "a"],
        capture_output=True, text=True, env={**os.environ, "UV_CACHE_DIR": str(empty)},
    )
    assert uv_alone.returncode != 0 and "not found in the cache" in uv_alone.stderr, uv_alone.stderr

    uv_log.write_text("")
    monkeypatch.delenv("UV_OFFLINE")
    flag = isolated / "flag"
    _pepip(capsys, "install", "--venv", str(flag), "--offline", "a")
    monkeypatch.setenv("UV_OFFLINE", "1")
    variable = isolated / "variable"
    _pepip(capsys, "install", "--venv", str(variable), "--refresh", "a")

    for venv in (flag, variable):
        assert uv_freeze(venv) == uv_freeze(first) == uv_freeze(oracle) == ["a==1.0", "b==1.0"]
        # the same entries, pinned to the same artifacts (the folder's wheels) as the first venv
        assert _installed(venv) == _installed(first)
        assert venv_run(venv, "import a; print(a.NAME)") == "a with b"
    calls = uv_log.read_text().splitlines()
    assert not any(call.startswith("pip install") for call in calls), calls  # nothing fetched
    assert not any(".whl" in path.name for path in pepip_cache.rglob("*")), "a wheel was downloaded"
    assert snapshot(store_root / "v2" / "entries") == entries


def test_offline_is_the_flag_the_variable_or_uvs_setting(capsys, isolated, house, pepip_cache, monkeypatch):
    """Online the store is not offered: ``--no-index`` with no folder finds nothing, as uv
    says. ``offline = true`` in a ``uv.toml`` is offline as ``UV_OFFLINE`` is."""
    _pepip(capsys, "install", "--venv", str(isolated / "first"), "--no-index", "--find-links", str(house), "a")
    _only_the_store_is_left(house, pepip_cache)
    monkeypatch.setenv("UV_OFFLINE", "false")
    result = run_pepip(["install", "--venv", str(isolated / "second"), "--no-index", "a"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr
    assert "resolving the requirements failed: Because a was not found in the provided package locations" in result.stderr
    monkeypatch.delenv("UV_OFFLINE")
    monkeypatch.delenv("UV_NO_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated / "config"))  # no uv.toml of the user's
    (isolated / "work" / "uv.toml").write_text("offline = true\n")
    _pepip(capsys, "install", "--venv", str(isolated / "second"), "--no-index", "a")
    assert _installed(isolated / "second") == _installed(isolated / "first")


def test_a_sync_offline_takes_the_store_too(capsys, isolated, house, pepip_cache):
    first = isolated / "first"
    _pepip(capsys, "install", "--venv", str(first), "--no-index", "--find-links", str(house), "a")
    _only_the_store_is_left(house, pepip_cache)
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("a==1.0\nb==1.0\n")
    second = isolated / "second"
    _pepip(capsys, "venv", str(second))
    _pepip(capsys, "sync", "--venv", str(second), str(requirements))
    assert _installed(second) == _installed(first)


def test_a_package_the_store_lacks_is_one_error_line_naming_it(capsys, isolated, house, pepip_cache, store_root):
    """``c`` was stored without its dependency ``d``: offline, uv is told of ``c`` and says
    that ``d`` is missing; the venv and the store stay as they were."""
    first = isolated / "first"
    _pepip(capsys, "install", "--venv", str(first), "--no-index", "--find-links", str(house), "a")
    _pepip(capsys, "install", "--venv", str(first), "--no-index", "--find-links", str(house), "--no-deps", "c")
    _only_the_store_is_left(house, pepip_cache)
    second = isolated / "second"
    _pepip(capsys, "venv", str(second))
    before = snapshot(second), snapshot(store_root)
    for request in ("c", "nothing-like-it"):
        result = run_pepip(["install", "--venv", str(second), request], capsys)
        assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr
        missing = "d" if request == "c" else request
        said = "pepip: error: resolving the requirements from uv's cache and the store failed: Because %s was not found"
        assert result.stderr.startswith(said % missing), result.stderr
        assert (snapshot(second), snapshot(store_root)) == before


@pytest.mark.posix("pyenv's interpreters")
def test_a_build_whose_tags_do_not_fit_the_interpreter_is_not_taken(capsys, isolated, house, pepip_cache):
    """``plat`` 2.0 is stored for another Python version only (a ``cpXY`` wheel): offline,
    the interpreter's venv gets 1.0, as uv would choose among the real wheels."""
    other = other_python()
    if other is None:
        pytest.skip("no interpreter of another Python version here")
    version = subprocess.run([str(other), "-c", "import sys; print('%d%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    build_wheel(house, "plat", "2.0", {"plat.py": "VERSION = '2.0'\n"}, tag="cp%s-none-any" % version)
    index = ("--no-index", "--find-links", str(house))
    _pepip(capsys, "install", "--venv", str(isolated / "other"), "--python", str(other), *index, "plat")
    assert venv_run(isolated / "other", "import plat; print(plat.VERSION)") == "2.0"
    _pepip(capsys, "install", "--venv", str(isolated / "first"), *index, "plat==1.0")
    _only_the_store_is_left(house, pepip_cache)
    _pepip(capsys, "install", "--venv", str(isolated / "second"), "plat")
    assert venv_run(isolated / "second", "import plat; print(plat.VERSION)") == "1.0"
    result = run_pepip(["install", "--venv", str(isolated / "second"), "plat==2.0"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr


def test_a_base_store_is_offered_and_nothing_is_written_to_it(capsys, isolated, house, pepip_cache, monkeypatch):
    """A read-only base store: its entries are linked as they are, the writable store stays
    empty, and the pins are the artifacts the base store's venv was installed from."""
    base = isolated / "base"
    monkeypatch.setenv("PEPIP_HOME", str(base))
    _pepip(capsys, "install", "--venv", str(isolated / "first"), "--no-index", "--find-links", str(house), "a")
    _only_the_store_is_left(house, pepip_cache)
    monkeypatch.setenv("PEPIP_HOME", str(isolated / "mine"))
    monkeypatch.setenv("PEPIP_BASE_STORES", str(base))
    before = snapshot(base)
    _pepip(capsys, "install", "--venv", str(isolated / "second"), "a")
    assert _installed(isolated / "second") == _installed(isolated / "first")
    assert store_entries(isolated / "mine") == [] and snapshot(base) == before


@pytest.mark.posix("file owners")
def test_a_teammates_entry_is_not_offered(capsys, isolated, house, pepip_cache, store_root):
    """An offered entry decides what the resolution picks: as with remembered resolutions,
    only the user's own are trusted (docs/security.md, promise 3)."""
    if os.geteuid() != 0:
        pytest.skip("giving an entry to another user needs root")
    _pepip(capsys, "install", "--venv", str(isolated / "first"), "--no-index", "--find-links", str(house), "a")
    _only_the_store_is_left(house, pepip_cache)
    (entry,) = (path for path in store_entries(store_root) if path.parent.parent.name == "b")
    os.chown(entry, 4242, 4242, follow_symlinks=False)
    result = run_pepip(["install", "--venv", str(isolated / "second"), "a"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr
    assert "from uv's cache and the store failed: Because b was not found" in result.stderr
