"""An install killed with SIGKILL at seeded points: the venv ends up old or new, never a mix.

Each kill point is one of pepip's own filesystem calls or a moment while uv runs (see
kill_points.py). After each kill: no published entry is partial (``store verify`` is clean),
the next pepip command on the venv brings it back to its old state or finds it in the new
one, re-running the install succeeds, and ``store prune`` leaves no leftovers.
"""

from __future__ import annotations

import marshal
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pepip_runtime import INDEX_NAME, MANIFEST_NAME

from helpers import build_wheel, pepip_process, snapshot, store_entries, venv_run

KILLER = Path(__file__).with_name("kill_points.py")
SEED = int(os.environ.get("PEPIP_CRASH_SEED", "20261124"))
KILLS = 24
REQUEST = ["oldpkg==2.0", "forpkg==2.0", "fresh", "tool"]

pytestmark = pytest.mark.slow


def _venv_state(venv: Path) -> dict[str, tuple[int, str]]:
    """The venv's snapshot, with the runtime index compared by content: marshal's bytes
    depend on which equal strings happen to be one object."""
    state = snapshot(venv)
    mode, _ = state[INDEX_NAME]
    decoded = list(marshal.loads((venv / INDEX_NAME).read_bytes()))
    decoded[-1] = marshal.loads(decoded[-1])
    state[INDEX_NAME] = (mode, repr(decoded))
    return state


def _killed_install(log: Path, point: int, delay: float, venv: Path, index: list[str], request: list[str]) -> int:
    """``pepip install`` killed at ``point`` (0: not killed; every call logged); its exit status."""
    completed = subprocess.run(
        [sys.executable, str(KILLER), str(log), str(point), str(delay), "--",
         "install", "-q", "--venv", str(venv), *index, *request],
        capture_output=True, text=True, start_new_session=True,
    )
    assert completed.returncode in (0, -signal.SIGKILL), completed.stderr
    return completed.returncode


def _category(event: str, path: str, store: Path, venv: Path) -> str:
    if event == "subprocess.Popen":
        return "uv"
    if path.startswith(str(store / "v2" / "entries")):
        return "publish"
    if path.startswith(str(store)):
        return "store"
    if os.path.basename(path) in (MANIFEST_NAME, INDEX_NAME):
        return "manifest"
    return "venv" if path.startswith(str(venv)) else "other"


def _kill_points(events: list[tuple[str, str]], store: Path, venv: Path) -> list[tuple[int, float, str]]:
    """At least one kill in each category (uv, store, publish, venv, manifest), the rest random."""
    rng = random.Random(SEED)
    by_category: dict[str, list[int]] = {}
    for number, (event, path) in enumerate(events, start=1):
        by_category.setdefault(_category(event, path, store, venv), []).append(number)
    chosen = {rng.choice(numbers) for numbers in by_category.values()}
    chosen |= set(by_category["uv"])  # every uv call, killed while it works
    rest = sorted(set(range(1, len(events) + 1)) - chosen)
    chosen |= set(rng.sample(rest, min(len(rest), KILLS - len(chosen))))
    points = []
    for number in sorted(chosen):
        event, path = events[number - 1]
        delay = rng.choice([0.05, 0.2, 0.5]) if event == "subprocess.Popen" else 0.0
        points.append((number, delay, _category(event, path, store, venv)))
    return points


@pytest.fixture
def crash_wheels(isolated: Path) -> Path:
    house = isolated / "crash-wheels"
    house.mkdir()
    for version in ("1.0", "2.0"):
        build_wheel(
            house, "oldpkg", version,
            {"oldpkg/__init__.py": "VERSION = %r\n" % version, "{data}/data/share/oldpkg/v.txt": version},
            entry_points="[console_scripts]\noldpkg-cli = oldpkg:VERSION\n",
        )
        build_wheel(house, "forpkg", version, {"forpkg.py": "VERSION = %r\n" % version})
    build_wheel(house, "fresh", "1.0", {"fresh/__init__.py": "", "{data}/data/share/fresh/deep/f.txt": "f"})
    return house


def test_install_killed_at_many_points(isolated: Path, wheelhouse: Path, crash_wheels: Path, store_root: Path,
                                       monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PEPIP_RESOLUTION_TTL", "0")  # every run resolves: the same calls each time
    # A host's rules: the venv is put back at its path from a copy (another inode), which a
    # container's record (by the venv's identity) would keep counting for a day.
    monkeypatch.setenv("PEPIP_MACHINE_ID", "crash-test-host")
    index = ["--no-index", "--find-links", str(wheelhouse), "--find-links", str(crash_wheels)]
    venv, saved = isolated / "work" / ".venv", isolated / "old-venv"
    assert pepip_process("install", "-q", "--venv", str(venv), *index, "oldpkg==1.0", "alpha").returncode == 0
    uv = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    uv_cmd = [sys.executable, "-m", "uv"] if uv.returncode == 0 else [shutil.which("uv") or "uv"]
    subprocess.run([*uv_cmd, "pip", "install", "--python", str(venv / "bin" / "python"), "--no-deps",
                    *index, "forpkg==1.0"], check=True, capture_output=True)  # what pip or uv installed
    shutil.copytree(venv, saved, symlinks=True)
    old_venv, old_entries = _venv_state(venv), store_entries(store_root)

    log = isolated / "events.log"
    assert _killed_install(log, 0, 0.0, venv, index, REQUEST) == 0  # the uninterrupted run: count its events
    events = [tuple(line.split("\t", 1)) for line in log.read_text().splitlines()]
    new_venv = _venv_state(venv)
    assert new_venv != old_venv

    points = _kill_points(events, store_root, venv)  # type: ignore[arg-type]
    assert len(points) >= 20
    assert {category for *_, category in points} >= {"uv", "store", "publish", "venv", "manifest"}
    for number, delay, category in points:
        where = "kill point %d (%s, %s) of %d, seed %d" % (number, category, events[number - 1], len(events), SEED)
        _reset(venv, saved, store_root, old_entries)
        log.write_text("")
        _killed_install(log, number, delay, venv, index, REQUEST)
        assert pepip_process("store", "verify").returncode == 0, where  # nothing partial is published
        assert all((entry / "ENTRY").is_file() for entry in store_entries(store_root)), where
        if any(path.name.startswith(".pepip-txn") for path in venv.iterdir()):
            doctor = pepip_process("doctor", "--venv", str(venv))  # reports, changes nothing
            assert "was killed while it did" in doctor.stdout + doctor.stderr, where
        listed = pepip_process("list", "--venv", str(venv))  # the next command undoes a half change
        assert listed.returncode == 0, where + listed.stderr
        assert _venv_state(venv) in (old_venv, new_venv), where
        rerun = pepip_process("install", "-q", "--venv", str(venv), *index, *REQUEST)
        assert rerun.returncode == 0, where + rerun.stderr
        assert _venv_state(venv) == new_venv, where
    assert venv_run(venv, "import oldpkg, forpkg, fresh, tool, alpha; print(oldpkg.VERSION, forpkg.VERSION)") == "2.0 2.0"
    _reset(venv, saved, store_root, old_entries)


def _reset(venv: Path, saved: Path, store_root: Path, old_entries: list[Path]) -> None:
    """Put the old venv back and prune: the store must be what it was before the install."""
    shutil.rmtree(venv)
    shutil.copytree(saved, venv, symlinks=True)
    pruned = pepip_process("store", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert store_entries(store_root) == old_entries
    assert list((store_root / "v2" / "tmp").iterdir()) == []


def test_first_install_killed_leaves_no_venv_or_a_whole_one(isolated: Path, wheelhouse: Path, store_root: Path,
                                                           monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("PEPIP_RESOLUTION_TTL", "0")
    index = ["--no-index", "--find-links", str(wheelhouse)]
    venv, log = isolated / "work" / "new-venv", isolated / "events.log"
    request = ["alpha", "tool"]

    def install(point: int, delay: float = 0.0) -> int:
        return _killed_install(log, point, delay, venv, index, request)

    def reset() -> None:
        for path in venv.parent.iterdir():
            if path.name == venv.name or path.name.startswith("." + venv.name + ".pepip-new-"):
                shutil.rmtree(path)  # a kill while the template was copied leaves the copy aside
        assert pepip_process("store", "prune").returncode == 0
        assert store_entries(store_root) == []

    assert install(0) == 0  # builds the interpreter's template venv once
    reset()
    log.write_text("")
    assert install(0) == 0
    events = log.read_text().splitlines()
    new_venv = _venv_state(venv)
    points = sorted(random.Random(SEED).sample(range(1, len(events) + 1), 8))
    for number in points:
        where = "kill point %d (%s) of %d, seed %d" % (number, events[number - 1], len(events), SEED)
        reset()
        install(number, 0.2)
        listed = pepip_process("list", "--venv", str(venv))
        if listed.returncode == 0:
            assert _venv_state(venv) == new_venv, where
        else:
            assert listed.stderr.startswith("pepip: error: no venv at"), where + listed.stderr
            assert not venv.exists(), where
        assert install(0) == 0, where
        assert _venv_state(venv) == new_venv, where
    reset()
