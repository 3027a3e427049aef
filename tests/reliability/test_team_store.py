"""A team store (issue 6, scenario 5): two Unix users share one group-writable store.

The admin (this test, as root) makes the store directory group-owned by the team with mode
2775, then adds the sticky bit pepip asks for (3775); alice and bob (real users made with
``useradd``) run pepip with umask 002 through ``runuser``. They add entries and use each
other's; published entries are read-only to everybody and no file is world-writable; bob
cannot rename, delete or replace alice's entry; ``store verify`` is clean for both; ``store
prune`` and ``store verify --fix`` skip, with a line, what belongs to the other user.
The users and their store are set up by ``teamstore.py``.
"""

from __future__ import annotations

import os
import stat

import pytest

from helpers import snapshot, store_entries
from teamstore import NEEDS_USERS, ROLES, Team, entry_of, owner

grp = pytest.importorskip("grp", reason="POSIX only: a team of Unix users and groups")

pytestmark = NEEDS_USERS

_ATTACK = r"""
import os, shutil, sys
entry, scratch = sys.argv[1], sys.argv[2]
version_dir = os.path.dirname(entry)
name_dir = os.path.dirname(version_dir)
store_version = os.path.dirname(os.path.dirname(name_dir))
fake = os.path.join(scratch, "fake-entry")
os.makedirs(os.path.join(fake, "site"))
attempts = {
    "rename the entry": lambda: os.rename(entry, entry + ".moved"),
    "move the entry out": lambda: os.rename(entry, os.path.join(scratch, "moved")),
    "delete the entry": lambda: shutil.rmtree(entry),
    "rename a new entry over it": lambda: os.rename(fake, entry),
    "rename its version directory": lambda: os.rename(version_dir, version_dir + ".moved"),
    "rename its name directory": lambda: os.rename(name_dir, name_dir + ".moved"),
    "rename entries/": lambda: os.rename(os.path.dirname(name_dir), os.path.dirname(name_dir) + ".moved"),
    "rename v1/": lambda: os.rename(store_version, store_version + ".moved"),
    "append to its ENTRY": lambda: open(os.path.join(entry, "ENTRY"), "a").close(),
    "add a module": lambda: open(os.path.join(entry, "site", "evil.py"), "w").close(),
    "chmod it": lambda: os.chmod(entry, 0o777),
}
for what, attempt in attempts.items():
    try:
        attempt()
    except OSError:
        continue
    print("succeeded:", what)
"""


def _check_permissions(team: Team) -> None:
    """Entries read-only to all; nothing world-writable; everything readable by the team;
    only directories (sticky ones) and the lock file writable by the team."""
    gid = grp.getgrnam(team.group).gr_gid
    for entry in store_entries(team.store):
        for path in [entry, *entry.rglob("*")]:
            mode = path.lstat().st_mode
            assert stat.S_ISLNK(mode) or not mode & 0o222, "%s is writable (%o)" % (path, mode)
    for path in [team.store, *team.store.rglob("*")]:
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            continue
        assert not mode & stat.S_IWOTH, "%s is world-writable (%o)" % (path, mode)
        if stat.S_ISDIR(mode):
            assert path.stat().st_gid == gid, "%s is not the team's directory" % path
            assert mode & 0o050 == 0o050, "the team cannot read %s (%o)" % (path, mode)
            assert not mode & stat.S_IWGRP or mode & stat.S_ISVTX, "%s is not sticky (%o)" % (path, mode)
        else:
            assert mode & stat.S_IRGRP, "the team cannot read %s (%o)" % (path, mode)
            assert not mode & stat.S_IWGRP or path.name == "lock", "%s is group-writable (%o)" % (path, mode)


def test_two_users_share_a_store_and_cannot_replace_each_others_entries(team: Team) -> None:
    # The admin's part: a store directory the team's group owns, setgid, group-writable.
    team.store.mkdir()
    os.chown(team.store, 0, grp.getgrnam(team.group).gr_gid)
    os.chmod(team.store, 0o2775)
    assert stat.S_IMODE(team.store.stat().st_mode) == 0o2775
    assert team.run("alice", ["sh", "-c", "umask"]).stdout.strip() == "0002"

    # alice stores A, and learns that bob could rename the v1/ she makes in a 2775 root;
    # the admin adds the sticky bit (3775), like /tmp has.
    first = team.install("alice", "teama")
    assert first.startswith("pepip: warning: others can write the store directory "), first
    assert first.count("pepip: warning:") == 1 and "chmod +t" in first, first
    os.chmod(team.store, 0o3775)
    entry_a = entry_of(team, "teama")
    assert owner(entry_a) == team.users["alice"]

    # bob stores B and reuses alice's A; alice then reuses bob's B. bob asks uv anew which
    # interpreter `--python` means and cannot replace the answer alice remembered: no matter.
    assert team.install("bob", "teama", "teamb", PEPIP_RESOLUTION_TTL="0") == ""
    entry_b = entry_of(team, "teamb")
    assert owner(entry_b) == team.users["bob"] and entry_of(team, "teama") == entry_a
    team.install("alice", "teamb")
    builds = [(path.parent.parent.name, path.parent.name) for path in store_entries(team.store)]
    assert sorted(builds) == [("teama", "1.0"), ("teamb", "1.0")]  # one entry per build
    for role in ROLES:
        found = team.imports(role, "teama", "teamb")
        assert found["teama"].is_relative_to(entry_a) and found["teamb"].is_relative_to(entry_b), found
    _check_permissions(team)

    # bob cannot move, delete, change or replace alice's published entry.
    before = snapshot(entry_a)
    attack = team.run("bob", [team.python, "-c", _ATTACK, str(entry_a), str(team.home("bob"))])
    assert attack.returncode == 0, attack.stderr
    assert attack.stdout == "", attack.stdout
    assert snapshot(entry_a) == before and entry_a.is_dir()
    assert team.imports("alice", "teama")["teama"].is_relative_to(entry_a)

    # A lock file made by a teammate whose umask was 022: bob can only open it read-only.
    os.chmod(team.store / "v2" / "lock", 0o644)
    for role in ROLES:
        verified = team.pepip(role, "store", "verify")
        assert verified.returncode == 0 and "All entries verified" in verified.stdout, verified.stdout + verified.stderr

    # An entry only alice's deleted venv used: bob's prune skips it with one line, alice's removes it.
    team.install("alice", "teamc", venv="gone")
    entry_c = entry_of(team, "teamc")
    assert team.run("alice", ["rm", "-rf", str(team.venv("alice", "gone"))]).returncode == 0
    pruned = team.pepip("bob", "store", "prune")
    assert pruned.returncode == 0, pruned.stderr
    assert "Traceback" not in pruned.stderr and len(pruned.stderr.splitlines()) == 1, pruned.stderr
    assert pruned.stderr.startswith("pepip: warning: kept 1 ") and team.users["alice"] in pruned.stderr
    assert entry_c.is_dir() and "Removed 0 entries" in pruned.stdout
    pruned = team.pepip("alice", "store", "prune")
    assert pruned.returncode == 0 and pruned.stderr == "", pruned.stderr
    assert not entry_c.exists() and entry_a.is_dir() and entry_b.is_dir()
    _check_permissions(team)

    # A damaged entry of alice's: bob's `verify --fix` says whose it is; alice's re-stores it
    # and leaves bob's venv, which she cannot write, to bob (it names the same path again).
    module = entry_a / "site" / "teama" / "__init__.py"
    os.chmod(module, 0o644)
    module.write_text("NAME = 'tampered'\n")
    os.chmod(module, 0o444)
    fixed = team.pepip("bob", "store", "verify", "--fix", "--no-index", "--find-links", str(team.wheels))
    assert fixed.returncode == 1 and "Traceback" not in fixed.stderr, fixed.stderr
    assert fixed.stderr.startswith("pepip: error: ") and len(fixed.stderr.splitlines()) == 1, fixed.stderr
    assert team.users["alice"] in fixed.stderr and module.read_text() == "NAME = 'tampered'\n"
    fixed = team.pepip("alice", "store", "verify", "--fix", "--no-index", "--find-links", str(team.wheels))
    assert fixed.returncode == 0 and "Traceback" not in fixed.stderr, fixed.stderr
    assert "pepip: warning: skipped %s, a venv of %s" % (team.venv("bob"), team.users["bob"]) in fixed.stderr
    assert module.read_text() == "NAME = 'teama'\n" and owner(entry_a) == team.users["alice"]
    for role in ROLES:
        code = "import teama, teamb; print(teama.NAME, teamb.NAME)"
        done = team.run(role, [str(team.venv(role) / "bin" / "python"), "-c", code])
        assert done.stdout.strip() == "teama teamb", done.stderr
        verified = team.pepip(role, "store", "verify")
        assert verified.returncode == 0, verified.stdout
    _check_permissions(team)

    # A venv of alice's that bob may not read: his prune keeps what her record lists.
    os.chmod(team.home("alice"), 0o700)
    pruned = team.pepip("bob", "store", "prune")
    assert pruned.returncode == 0 and pruned.stderr == "", pruned.stderr
    assert entry_a.is_dir() and entry_b.is_dir()


def test_store_clean_by_a_member_removes_only_what_they_own(team: Team) -> None:
    """`rm -rf` of the store fails for its owner (read-only entries); `store clean` removes a
    member's own part of a team store and leaves a teammate's entries, venvs and links alone."""
    from teamstore import make_team_store

    make_team_store(team)
    team.install("alice", "teama")
    team.install("bob", "teamc")
    entry_a, entry_c = entry_of(team, "teama"), entry_of(team, "teamc")
    assert team.run("alice", ["rm", "-rf", str(entry_a)]).returncode != 0  # why clean exists
    asked = team.pepip("alice", "store", "clean")
    assert asked.returncode == 1 and "2 venvs still use the store" in asked.stderr, asked.stderr
    assert sorted(asked.stdout.split()) == sorted(str(team.venv(role)) for role in ROLES)
    bobs = snapshot(entry_c)
    done = team.pepip("alice", "store", "clean", "--yes")
    assert done.returncode == 0, done.stderr
    assert not entry_a.exists()
    assert snapshot(entry_c) == bobs and owner(entry_c) == team.users["bob"]
    assert "kept " in done.stderr and team.users["bob"] in done.stderr, done.stderr
    assert team.imports("bob", "teamc")["teamc"].is_relative_to(entry_c)
    assert team.pepip("bob", "store", "clean", "--yes").returncode == 0
    assert store_entries(team.store) == []
