"""The store: atomic publishing, races between processes, builds chosen by artifact and tag."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, store_entries, venv_run
from pepip.artifacts import NormalizedName, Pin
from pepip.selection import HashPolicy, choose_pins
from pepip.venv.interpreter import query_interpreter
from pepip.locations import find_uv
from pepip.uv.options import UvOptions
from pepip.uv.resolve import create_venv, fetch_pins, resolve_pins
from pepip.store.staging import add_staged
from pepip.store.entries import read_entry
from pepip.store.layout import Store
from pepip.store.lookup import find_entry


@pytest.fixture
def base_venv(isolated: Path) -> Path:
    venv = isolated / "base-venv"
    create_venv(find_uv(os.environ), venv, sys.executable)
    return venv


def priority_of(python: Path) -> dict[str, int]:
    return {str(tag): rank for rank, tag in enumerate(query_interpreter(python).supported_tags())}


def stage(store: Store, venv: Path, wheelhouse: Path, *specs: str) -> tuple[Path, dict[NormalizedName, Pin]]:
    """Let uv resolve ``specs`` (no dependencies) and install them into a staging prefix."""
    prefix = store.staging_dir() / "prefix"
    python = venv / "bin" / "python"
    options = UvOptions(no_index=True, find_links=(str(wheelhouse),))
    locked = resolve_pins(find_uv(os.environ), python, list(specs), [], [], options, Path(os.environ["PEPIP_CACHE_DIR"]), no_deps=True)
    pins = choose_pins(locked, priority_of(python), HashPolicy())
    fetch_pins(find_uv(os.environ), python, pins, options, prefix, None)
    return prefix, {pin.name: pin for pin in pins}


def test_publish_race_loser_reuses_winner(store_root, base_venv, wheelhouse):
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    first, pins = stage(store, base_venv, wheelhouse, "alpha==1.0")
    second, _pins = stage(store, base_venv, wheelhouse, "alpha==1.0")
    [winner] = add_staged(store, first, python, pins)
    [loser] = add_staged(store, second, python, pins)
    assert winner == loser
    assert store_entries(store_root) == [winner.path]
    assert list(store.tmp_dir.glob("stage-*/site")) == []  # the loser's copy is gone


def test_entry_layout_and_facts(store_root, base_venv, wheelhouse):
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    prefix, pins = stage(store, base_venv, wheelhouse, "tool==1.0")
    [entry] = add_staged(store, prefix, python, pins)
    assert entry.path.parent == store_root / "v2" / "entries" / "tool" / "1.0"
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


def test_two_builds_of_one_version_coexist_and_each_pin_gets_its_own(store_root, base_venv, tmp_path):
    house = tmp_path / "house"
    house.mkdir()
    build_wheel(house, "twobuild", "1.0", {"twobuild.py": "KIND = 'pure'\n"})
    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    prefix, pure_pins = stage(store, base_venv, house, "twobuild==1.0")
    [pure] = add_staged(store, prefix, python, pure_pins)
    for wheel in house.iterdir():
        wheel.unlink()
    version = "cp%d%d" % sys.version_info[:2]
    build_wheel(house, "twobuild", "1.0", {"twobuild.py": "KIND = 'native'\n"},
                tag="%s-%s-manylinux_2_17_x86_64" % (version, version))
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        pytest.skip("the native-tagged wheel is for linux x86_64")
    prefix, native_pins = stage(store, base_venv, house, "twobuild==1.0")
    [native] = add_staged(store, prefix, python, native_pins)
    assert pure.path != native.path and pure.path.parent == native.path.parent
    priority = priority_of(python)
    [pure_pin], [native_pin] = pure_pins.values(), native_pins.values()
    assert find_entry(store, native_pin, priority) == native
    assert find_entry(store, pure_pin, priority) == pure
    assert find_entry(store, native_pin, {"py3-none-any": 0}) is None  # not for this interpreter
    other = Pin(native_pin.name, "2.0", None, native_pin.artifact)
    assert find_entry(store, other, priority) is None


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
    assert len(list((store_root / "v2" / "venvs").iterdir())) == 4


def test_a_file_two_distributions_list_reaches_both_entries(capsys, isolated, venv, store_root):
    """``solo/`` holds only solo's files, so it moves into solo's entry with one rename; the
    ``solo/x.py`` that zz-also lists too must still reach zz-also's entry (copied from solo's),
    as with a shared ``__init__.py`` moved file by file."""
    from helpers import run_pepip

    house = isolated / "overlap-wheels"
    house.mkdir()
    build_wheel(house, "solo", "1.0", {"solo/__init__.py": "S = 1\n", "solo/x.py": "X = 'x'\n"})
    build_wheel(house, "zz-also", "1.0", {"solo/x.py": "X = 'x'\n", "zzalso.py": "Z = 2\n"})
    result = run_pepip(["install", "--no-index", "--find-links", str(house), "solo", "zz-also"], capsys)
    assert result.exit_code == 0, result.stderr
    for name in ("solo", "zz-also"):
        [entry] = [path for path in store_entries(store_root) if path.parent.parent.name == name]
        assert (entry / "site" / "solo" / "x.py").read_text() == "X = 'x'\n"
    assert venv_run(venv, "import solo, solo.x, zzalso; print(solo.S, solo.x.X, zzalso.Z)") == "1 x 2"
    assert run_pepip(["store", "verify"], capsys).exit_code == 0


_COUNT_TAGS = (
    "import sys\n"
    "from pepip.__main__ import main\n"
    "try:\n"
    "    main(sys.argv[1:])\n"
    "except SystemExit as done:\n"
    "    print(done.code, 'packaging.tags' in sys.modules)\n"
)


def _install_reporting_tags(isolated: Path, venv: Path, index_args: list[str]) -> list[str]:
    completed = subprocess.run(
        [sys.executable, "-c", _COUNT_TAGS, "install", "-q", "--venv", str(venv), *index_args, "alpha"],
        capture_output=True, text=True, cwd=isolated,
    )
    return completed.stdout.split() + ([completed.stderr.strip()] if completed.stderr.strip() else [])


def test_the_interpreters_wheel_tags_are_computed_once(isolated, index_args, store_root):
    """``packaging.tags`` (and logging) cost a ninth of a remembered install: the tag list is
    remembered in the store, and a later install into a new venv reads it."""
    assert _install_reporting_tags(isolated, isolated / "one", index_args) == ["0", "True"]
    (remembered,) = (store_root / "v2" / "interpreters").glob("*.tags")
    assert "py3-none-any" in remembered.read_text().split()
    assert _install_reporting_tags(isolated, isolated / "two", index_args) == ["0", "False"]
    assert venv_run(isolated / "two", "import alpha; print(alpha.NAME)") == "alpha"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="chowns a file to another user")
def test_a_tag_list_another_user_wrote_is_not_believed(isolated, index_args, store_root):
    """In a team store a member could write the list another member's pepip reads, and so
    choose which of a lock's wheels gets installed: only the user's own list counts."""
    assert _install_reporting_tags(isolated, isolated / "one", index_args)[0] == "0"
    (remembered,) = (store_root / "v2" / "interpreters").glob("*.tags")
    remembered.write_text("cp27-cp27m-win32\n")  # fits no wheel of the lock
    os.chown(remembered, 65534, 65534)
    assert _install_reporting_tags(isolated, isolated / "two", index_args)[0] == "0"
    assert venv_run(isolated / "two", "import alpha; print(alpha.NAME)") == "alpha"


def test_an_entry_a_prune_takes_between_the_look_and_the_read_is_stored_again(store_root, base_venv, wheelhouse, monkeypatch):
    """Another machine's prune may rename an entry out after lookup saw its ``ENTRY`` and
    before it read it: that is a missing entry (stored again), not a damaged one."""
    import pepip.store.lookup as lookup

    store = Store(store_root)
    store.ensure()
    python = base_venv / "bin" / "python"
    prefix, pins = stage(store, base_venv, wheelhouse, "alpha==1.0")
    [entry] = add_staged(store, prefix, python, pins)
    looked = lookup.stat_below

    def look_then_lose_it(path: Path, below: Path) -> os.stat_result:
        info = looked(path, below)
        os.chmod(entry.path.parent, 0o755)
        os.chmod(entry.path, 0o755)
        os.rename(entry.path, store.tmp_dir / "taken")  # the prune's one rename
        return info

    monkeypatch.setattr(lookup, "stat_below", look_then_lose_it)
    assert find_entry(store, pins[NormalizedName("alpha")], priority_of(python)) is None
