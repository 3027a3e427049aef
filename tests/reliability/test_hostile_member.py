"""A shared store that no member can turn against another (docs/security.md).

bob is the hostile or careless member of the team, alice the one he aims at, and root the
admin who runs pepip's maintenance commands on the team store. Each test is one attack that
worked on an earlier pepip, as real users made by ``teamstore.py``.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import pytest

from helpers import build_wheel, snapshot, store_entries
from pepip.commands.repair import quarantine
from pepip.store import prune as prune_module
from pepip.store.layout import STORE_VERSION, Store, iter_entries
from teamstore import NEEDS_USERS, Team, entry_of, make_team_store, owner

pytestmark = NEEDS_USERS


def _root_pepip(team: Team, *args: str) -> subprocess.CompletedProcess[str]:
    """pepip run by root on the team store, with root's own environment."""
    env = {**os.environ, "PEPIP_HOME": str(team.store), "PEPIP_UV": str(team.uv), "UV_NO_CONFIG": "1",
           "UV_OFFLINE": "1", "UV_CACHE_DIR": str(team.shared / "root-uv-cache"), "PYTHONPATH": str(team.lib)}
    env.pop("VIRTUAL_ENV", None)
    return subprocess.run([sys.executable, "-m", "pepip", *args], capture_output=True, text=True, env=env,
                          cwd=team.shared, timeout=300)


def _one_clean_line_at_most(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert len([line for line in done.stderr.splitlines() if line.strip()]) <= 1, done.stderr


def _as(team: Team, role: str, script: str, *args: str) -> None:
    done = team.run(role, [team.python, "-c", script, *args])
    assert done.returncode == 0, done.stderr


def test_links_planted_in_the_store_are_never_followed(team: Team) -> None:
    make_team_store(team)
    team.install("alice", "teama")
    projects, secrets_dir = team.home("alice") / "projects", team.home("alice") / "secrets"
    _as(team, "alice", "import os, sys; os.makedirs(sys.argv[1]); open(sys.argv[1] + '/work.py', 'w').write('x')\n"
        "os.makedirs(sys.argv[2], 0o700)", str(projects), str(secrets_dir))
    entries = team.store / STORE_VERSION / "entries"
    plant = (
        "import os, sys\nentries, projects, secrets = sys.argv[1:]\n"
        "os.makedirs(entries + '/evil'); os.symlink(projects, entries + '/evil/1.0')\n"
        "os.makedirs(entries + '/teamc/1.0'); os.symlink(secrets, entries + '/teamc/1.0/py3-none-any-0123456789abcdef')\n"
        "os.symlink(secrets, entries + '/linked')\n"
    )
    _as(team, "bob", plant, str(entries), str(projects), str(secrets_dir))
    before = snapshot(projects), stat.S_IMODE(secrets_dir.stat().st_mode)
    for done in (
        team.pepip("alice", "store", "prune"),
        team.pepip("alice", "store", "verify", "--fix", "--no-index", "--find-links", str(team.wheels)),
        team.pepip("alice", "store", "ls"),
        _root_pepip(team, "store", "prune"),
        _root_pepip(team, "store", "verify", "--fix", "--no-index", "--find-links", str(team.wheels)),
    ):
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr, done.stderr
    assert (snapshot(projects), stat.S_IMODE(secrets_dir.stat().st_mode)) == before
    assert team.imports("alice", "teama")["teama"].is_relative_to(entry_of(team, "teama"))


def test_root_never_runs_a_program_a_member_registered(team: Team) -> None:
    make_team_store(team)
    team.install("bob", "teamc")
    entry = entry_of(team, "teamc")
    marker = team.shared / "ran-as-root"
    damage = (
        "import os, sys\nentry, python, marker = sys.argv[1:]\n"
        "os.chmod(entry, 0o755); os.chmod(entry + '/site/teamc', 0o755)\n"
        "os.unlink(entry + '/site/teamc/__init__.py'); open(entry + '/site/teamc/__init__.py', 'w').write('x = 1')\n"
        "os.unlink(python)\n"
        "open(python, 'w').write('#!/bin/sh\\n[ \"$(id -u)\" = 0 ] && touch %s\\nexec %s \"$@\"\\n' % (marker, sys.executable))\n"
        "os.chmod(python, 0o755)\n"
    )
    _as(team, "bob", damage, str(entry), str(team.venv("bob") / "bin" / "python"), str(marker))
    fixed = _root_pepip(team, "store", "verify", "--fix", "--no-index", "--find-links", str(team.wheels))
    assert "Traceback" not in fixed.stderr, fixed.stderr
    assert not marker.exists()
    assert "skipped %s, a venv of %s" % (team.venv("bob"), team.users["bob"]) in fixed.stderr
    # Nothing root-owned was left in bob's venv: bob's own repair works.
    assert not [p for p in team.venv("bob").rglob("*") if p.lstat().st_uid == 0]
    repaired = team.pepip("bob", "repair", "--no-index", "--find-links", str(team.wheels), "--venv", str(team.venv("bob")))
    assert repaired.returncode == 0, repaired.stderr


def test_root_changes_nothing_in_a_members_venv(team: Team) -> None:
    make_team_store(team)
    team.install("alice", "teama")
    before = snapshot(team.venv("alice"))
    done = _root_pepip(team, "install", "--venv", str(team.venv("alice")), "--no-index", "--find-links",
                       str(team.wheels), "teamc")
    assert done.returncode == 1
    _one_clean_line_at_most(done)
    assert "belongs to %s" % team.users["alice"] in done.stderr
    assert snapshot(team.venv("alice")) == before
    removed = team.pepip("alice", "uninstall", "--venv", str(team.venv("alice")), "teama")
    assert removed.returncode == 0 and "Traceback" not in removed.stderr, removed.stderr


def test_registration_cannot_be_squatted(team: Team) -> None:
    make_team_store(team)
    venv = team.venv("alice", "future")
    key = hashlib.sha256(str(venv).encode()).hexdigest()[:16]
    squat = "import os, sys; os.makedirs(sys.argv[1], exist_ok=True); open(sys.argv[1] + '/' + sys.argv[2], 'w').write('/nowhere\\n')"
    team.install("bob", "teamb")  # makes the store layout, as any first user does
    _as(team, "bob", squat, str(team.store / STORE_VERSION / "venvs"), key)
    team.install("alice", "teamc", venv="future")
    pruned = team.pepip("alice", "store", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert entry_of(team, "teamc").is_dir()
    assert team.imports("alice", "teamc", venv="future")
    doctor = team.pepip("alice", "doctor", "--venv", str(venv))
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr


def test_a_members_remembered_resolution_is_not_trusted(team: Team) -> None:
    make_team_store(team)
    evil = build_wheel(team.home("bob"), "teama", "1.0", {"teama/__init__.py": "NAME = 'evil'\n"})
    os.chmod(evil, 0o644)
    team.install("bob", "teama")
    resolutions = team.store / STORE_VERSION / "resolutions"
    (memory,) = resolutions.iterdir()
    poison = (
        "import sys\nmemory, evil, digest = sys.argv[1:]\n"
        "lines = open(memory).read().splitlines()\n"
        "lines = [lines[0]] + ['teama\\t1.0\\tkind=archive path=%s sha256=%s' % (evil, digest)]\n"
        "open(memory, 'w').write('\\n'.join(lines) + '\\n')\n"
    )
    _as(team, "bob", poison, str(memory), str(evil), hashlib.sha256(evil.read_bytes()).hexdigest())
    done = team.pepip("alice", "install", "--venv", str(team.venv("alice")), "--python", team.python,
                      "--no-index", "--find-links", str(team.wheels), "teama")
    assert done.returncode == 0, done.stderr
    assert "(remembered)" not in done.stderr
    code = "import teama; print(teama.NAME)"
    ran = team.run("alice", [str(team.venv("alice") / "bin" / "python"), "-c", code])
    assert ran.stdout.strip() == "teama", ran.stdout + ran.stderr


def test_stray_files_in_the_store_stop_no_command(team: Team) -> None:
    make_team_store(team)
    team.install("alice", "teama")
    strays = (
        "import os, sys\nbase = sys.argv[1]\n"
        "for path in ('entries/.DS_Store', 'entries/teama/.DS_Store', 'entries/teama/1.0/.DS_Store', 'venvs/.DS_Store',"
        " 'resolutions/.DS_Store', 'tmp/.DS_Store'):\n    open(os.path.join(base, path), 'w').close()\n"
        "os.makedirs(os.path.join(base, 'venvs', 'a-directory'))\n"
    )
    _as(team, "bob", strays, str(team.store / STORE_VERSION))
    for args in (("store", "verify"), ("store", "ls"), ("store", "status"), ("store", "prune"), ("list", "--venv", str(team.venv("alice")))):
        done = team.pepip("alice", *args)
        assert done.returncode == 0, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr


def _wait_for_a_waiter(lock: Path, running: concurrent.futures.Future[object], timeout: float = 120.0) -> None:
    """Until a process blocks on ``lock`` (a ``->`` line of /proc/locks for its inode)."""
    inode = ":%d " % lock.stat().st_ino
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not running.done():
        if any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines()):
            return
        time.sleep(0.05)
    raise AssertionError("nobody waited for %s: %r" % (lock, running.result() if running.done() else "still running"))


def test_a_member_waiting_for_the_lock_is_told_who_holds_it(team: Team) -> None:
    make_team_store(team)
    team.install("alice", "teama")
    hold = (  # held until the test says: alice is waiting for it
        "import fcntl, os, sys\nfd = os.open(sys.argv[1], os.O_RDONLY)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\nsys.stdin.readline()\n"
    )
    lock = team.store / STORE_VERSION / "lock"
    holder = subprocess.Popen(
        ["runuser", "-u", team.users["bob"], "--", team.python, "-c", hold, str(lock)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None and holder.stdout.readline().strip() == "held"
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        running = pool.submit(
            team.pepip, "alice", "install", "--venv", str(team.venv("alice", "second")), "--python", team.python,
            "--no-index", "--find-links", str(team.wheels), "teama",
        )
        _wait_for_a_waiter(lock, running)
        holder.stdin.close()  # bob lets go
        done = running.result(timeout=300)
    holder.wait(timeout=30)
    assert done.returncode == 0, done.stderr
    waiting = [line for line in done.stderr.splitlines() if "waiting" in line]
    assert len(waiting) == 1 and "held by process " in waiting[0], done.stderr
    assert "(%s: python" % team.users["bob"] in waiting[0], done.stderr  # runuser's child holds it


def test_a_venv_in_the_store_and_the_store_as_its_own_base_are_refused(team: Team) -> None:
    make_team_store(team)
    team.install("alice", "teama")
    inside = team.pepip("alice", "install", "--venv", str(team.store / STORE_VERSION / "tmp" / "v"),
                        "--no-index", "--find-links", str(team.wheels), "teama")
    assert inside.returncode == 1 and "is inside the store" in inside.stderr
    _one_clean_line_at_most(inside)
    spelled = team.pepip("alice", "store", "ls", PEPIP_BASE_STORES=str(team.store) + "/./%s/.." % STORE_VERSION)
    assert spelled.returncode == 1 and "names the writable store" in spelled.stderr
    _one_clean_line_at_most(spelled)


def _swap_for_link(team: Team, role: str, directory: Path, target: Path) -> None:
    """``role`` moves ``directory`` aside and puts a link to ``target`` in its place."""
    swap = "import os, sys; d, t = sys.argv[1:]; os.rename(d, d + '.real'); os.symlink(t, d)"
    _as(team, role, swap, str(directory), str(target))


def _prune_listing_then_swap(team: Team, monkeypatch: pytest.MonkeyPatch, swap: Callable[[], None]) -> None:
    """Root's prune, with ``swap`` done right after it listed the store's entries."""
    listed = prune_module.iter_entries

    def listed_then_swapped(store: Store) -> Iterator[Path]:
        found = list(listed(store))
        swap()
        return iter(found)

    monkeypatch.setattr(prune_module, "iter_entries", listed_then_swapped)
    prune_module.prune(Store(team.store), dry_run=False)


def _quarantine_after_swap(team: Team, monkeypatch: pytest.MonkeyPatch, swap: Callable[[], None]) -> None:
    """Root's `verify --fix` taking out the entry verify found damaged, after ``swap``."""
    (entry,) = [path for path in iter_entries(Store(team.store)) if path.parent.parent.name == "teamc"]
    swap()
    quarantine(Store(team.store), entry)


@pytest.mark.parametrize("take_out", [_prune_listing_then_swap, _quarantine_after_swap], ids=["prune", "verify --fix"])
def test_root_never_follows_a_directory_swapped_for_a_link_after_listing(
    team: Team, monkeypatch: pytest.MonkeyPatch, take_out: Callable[..., None]
) -> None:
    """R2: bob owns teamc's <version>/ and swaps it for a link between root's command
    listing the entry and taking it out; the link's target, outside the store, stays."""
    make_team_store(team)
    team.install("bob", "teamc", venv="gone")
    assert team.run("bob", ["rm", "-rf", str(team.venv("bob", "gone"))]).returncode == 0
    entry = entry_of(team, "teamc")
    victim = team.shared / "root-owned"
    (victim / entry.name / "data").mkdir(parents=True)
    (victim / entry.name / "data" / "precious.txt").write_text("root's\n")
    os.utime(victim / entry.name, (1, 1))  # as old as any unused entry
    before = snapshot(victim)
    take_out(team, monkeypatch, lambda: _swap_for_link(team, "bob", entry.parent, victim))
    assert snapshot(victim) == before
    assert stat.S_IMODE(os.lstat(victim / entry.name).st_mode) == 0o755


def _bobs_private_entry(team: Team, name: str, code: str) -> Path:
    """bob's own store, holding an entry of the real ``name`` artifact with ``code`` in it."""
    private = team.home("bob") / "private"
    team.install("bob", name, venv="private-venv", PEPIP_HOME=str(private))
    (entry,) = [path for path in store_entries(private) if path.parent.parent.name == name]
    rewrite = (
        "import os, sys; entry, name, code = sys.argv[1:]; module = entry + '/site/' + name + '/__init__.py'\n"
        "os.chmod(entry + '/site/' + name, 0o755); os.unlink(module); open(module, 'w').write(code)\n"
    )
    _as(team, "bob", rewrite, str(entry), name, code)
    return entry


@pytest.mark.parametrize("level", ["<name>", "<version>", "<build>", "ENTRY"])
def test_a_link_planted_in_the_store_never_leads_an_install_to_a_members_own_code(team: Team, level: str) -> None:
    """R3: bob plants a link at one level of entries/ leading to an entry of his own
    outside the store, named after the real artifact, whose code he can change at will."""
    make_team_store(team)
    team.install("bob", "teama")  # the store's layout exists
    private = _bobs_private_entry(team, "teamc", "NAME = 'EVIL from bob'\n")
    entries = team.store / STORE_VERSION / "entries"
    plant = {  # directories made as pepip makes them: sticky
        "<name>": "os.symlink(private.parent.parent, entries + '/teamc')",
        "<version>": "sticky(entries + '/teamc'); os.symlink(private.parent, entries + '/teamc/1.0')",
        "<build>": "sticky(entries + '/teamc/1.0'); os.symlink(private, entries + '/teamc/1.0/' + private.name)",
        "ENTRY": "import shutil; target = entries + '/teamc/1.0/' + private.name; sticky(entries + '/teamc/1.0')\n"
                 "shutil.copytree(private, target, symlinks=True); os.chmod(target, 0o755)\n"
                 "os.unlink(target + '/ENTRY'); os.symlink(private / 'ENTRY', target + '/ENTRY')",
    }[level]
    _as(team, "bob", "import os, sys; from pathlib import Path; entries, private = sys.argv[1], Path(sys.argv[2])\n"
        "def sticky(path):\n    os.makedirs(path)\n    os.chmod(path, 0o3775); os.chmod(os.path.dirname(path), 0o3775)\n"
        + plant, str(entries), str(private))
    done = team.pepip("alice", "install", "--venv", str(team.venv("alice")), "--python", team.python,
                      "--no-index", "--find-links", str(team.wheels), "teamc")
    if done.returncode == 0:
        ran = team.run("alice", [str(team.venv("alice") / "bin" / "python"), "-c",
                                 "import teamc, os; print(teamc.NAME, os.path.realpath(teamc.__file__))"])
        name, _, where = ran.stdout.strip().partition(" ")
        assert name == "teamc" and Path(where).is_relative_to(team.store), ran.stdout + ran.stderr
    else:  # bob's link or directory holds the name pepip would publish at: one line says so
        assert "Traceback" not in done.stderr, done.stderr
        errors = [line for line in done.stderr.splitlines() if line.startswith("pepip: error: ")]
        assert len(errors) == 1 and ("a link or a file" in errors[0] or "damaged" in errors[0]), done.stderr
    verified = team.pepip("alice", "store", "verify")
    assert "Traceback" not in verified.stderr, verified.stderr
    if level == "ENTRY":
        assert verified.returncode == 1 and "linked file ENTRY" in verified.stdout, verified.stdout
    else:
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert "link where pepip keeps a directory" in verified.stdout, verified.stdout
        assert verified.stdout.splitlines()[-1].startswith("All entries verified; 1 link skipped"), verified.stdout


_REPLACE = (
    "import os, shutil, sys; entry = sys.argv[1]\n"
    "os.rename(entry, entry + '.old'); shutil.copytree(entry + '.old', entry, symlinks=True)\n"
    "for directory, _dirs, files in os.walk(entry):\n"
    "    os.chmod(directory, 0o755)\n"
    "    for name in files: os.chmod(os.path.join(directory, name), 0o644)\n"
    "open(entry + '/site/teamc/__init__.py', 'a').write('NAME = \"REPLACED BY BOB\"\\n')\n"
)


@pytest.mark.parametrize("level", ["<name>", "<version>"])
def test_no_install_goes_into_a_members_directory_without_the_sticky_bit(team: Team, level: str) -> None:
    """R10: bob stored teamc first, owns its <name>/ and <version>/ and takes the sticky bit
    off one; alice's later build of teamc would be his (or anyone's) to replace."""
    make_team_store(team)
    team.install("bob", "teamc")
    version_dir = entry_of(team, "teamc").parent
    directory = version_dir if level == "<version>" else version_dir.parent
    _as(team, "bob", "import os, sys; os.chmod(sys.argv[1], 0o2775)", str(directory))
    wheel = team.wheels / "teamc-1.0-py3-none-any.whl"
    done = team.pepip("alice", "install", "--venv", str(team.venv("alice")), "--python", team.python,
                      "--no-index", "--find-links", str(team.wheels), "teamc @ %s" % wheel.as_uri())
    if done.returncode == 0:  # alice's build is in bob's directory: bob replaces it
        (alices,) = [path for path in version_dir.iterdir() if owner(path) == team.users["alice"]]
        _as(team, "bob", _REPLACE, str(alices))
        ran = team.run("alice", [str(team.venv("alice") / "bin" / "python"), "-c", "import teamc; print(teamc.NAME)"])
        assert ran.stdout.strip() == "teamc", ran.stdout + ran.stderr
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("pepip: error: ")]
    assert len(errors) == 1 and "lacks the sticky bit" in errors[0] and team.users["bob"] in errors[0], done.stderr
    assert "chmod +t %s`" % directory in errors[0]
    assert [path.name for path in version_dir.iterdir()] == [entry_of(team, "teamc").name]


@pytest.mark.parametrize("planted", ["file", "dangling link"])
@pytest.mark.parametrize("level", ["teamc", "teamc/1.0"])
def test_a_file_where_pepip_publishes_is_one_line_naming_who_put_it_there(team: Team, level: str, planted: str) -> None:
    """R12: bob puts a file or a dangling link at entries/<name> or <name>/<version>."""
    make_team_store(team)
    team.install("bob", "teama")  # the store's layout exists
    entries = team.store / STORE_VERSION / "entries"
    plant = (
        "import os, sys; entries, level, planted = sys.argv[1:]; path = os.path.join(entries, level)\n"
        "if '/' in level: os.makedirs(os.path.dirname(path)); os.chmod(os.path.dirname(path), 0o3775)\n"
        "open(path, 'w').close() if planted == 'file' else os.symlink('/nonexistent', path)\n"
    )
    _as(team, "bob", plant, str(entries), level, planted)
    before = snapshot(entries), snapshot(team.store / STORE_VERSION / "tmp")
    done = team.pepip("alice", "install", "-q", "--venv", str(team.venv("alice")), "--python", team.python,
                      "--no-index", "--find-links", str(team.wheels), "teamc")
    assert done.returncode == 1
    _one_clean_line_at_most(done)
    assert "%s is a link or a file where pepip keeps a directory" % (entries / level) in done.stderr, done.stderr
    assert "ask %s or the store's admin to remove it" % team.users["bob"] in done.stderr, done.stderr
    assert not team.venv("alice").exists()
    assert (snapshot(entries), snapshot(team.store / STORE_VERSION / "tmp")) == before


@pytest.mark.parametrize("runner", ["alice", "root", "bob"])
def test_a_fake_record_naming_a_damaged_venv_stops_only_its_writers_prune(team: Team, runner: str) -> None:
    """R13: bob's record names a directory of his with a garbage manifest. Only bob's own
    prune refuses; alice's and root's go on, keeping what bob's record lists."""
    make_team_store(team)
    team.install("alice", "teama")
    team.install("alice", "teamb", "teamc", venv="gone")
    assert team.run("alice", ["rm", "-rf", str(team.venv("alice", "gone"))]).returncode == 0
    unused, listed = entry_of(team, "teamb"), entry_of(team, "teamc")
    fake = team.home("bob") / "fake3"
    record = (
        "import os, sys; from pepip.sharing import machine_id; fake, venvs, entry = sys.argv[1:]\n"
        "os.makedirs(fake); open(fake + '/pepip-manifest.txt', 'w').write('garbage\\n')\n"
        "open(venvs + '/zz-bob', 'w').write('%s\\nmachine %s\\nentry %s\\n' % (fake, machine_id(), entry))\n"
    )
    named = listed.relative_to(team.store / STORE_VERSION / "entries")
    done = team.run("bob", [team.python, "-c", record, str(fake), str(team.store / STORE_VERSION / "venvs"), str(named)],
                    pepip_lib=True)
    assert done.returncode == 0, done.stderr
    pruned = _root_pepip(team, "store", "prune") if runner == "root" else team.pepip(runner, "store", "prune")
    _one_clean_line_at_most(pruned)
    if runner == "bob":
        assert pruned.returncode == 1 and "the manifest of %s is damaged" % fake in pruned.stderr, pruned.stderr
        assert unused.is_dir() and listed.is_dir()
    else:
        assert pruned.returncode == 0, pruned.stderr
        assert not unused.exists() and listed.is_dir() and entry_of(team, "teama").is_dir()


def test_roots_doctor_on_a_members_venv_finds_the_members_record(team: Team) -> None:
    """R22: root's doctor had called alice's registered venv unregistered (the record is hers)."""
    make_team_store(team)
    team.install("alice", "teama")
    done = _root_pepip(team, "doctor", "--venv", str(team.venv("alice")))
    assert "not registered" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode == 0 and done.stdout.strip() == "No problems found", done.stdout + done.stderr
