"""A team store (issue 6, scenario 5): two Unix users share one group-writable store.

The admin (this test, as root) makes the store directory group-owned by the team with mode
2775, then adds the sticky bit pepip asks for (3775); alice and bob (real users made with
``useradd``) run pepip with umask 002 through ``runuser``. They add entries and use each
other's; published entries are read-only to everybody and no file is world-writable; bob
cannot rename, delete or replace alice's entry; ``store verify`` is clean for both; ``store
prune`` and ``store verify --fix`` skip, with a line, what belongs to the other user.

The users cannot read /root (this interpreter, uv, pepip's dependencies live there), so the
test copies uv, pepip and the distributions pepip imports into a world-readable temp dir.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import pepip
import pepip_runtime
from helpers import build_wheel, snapshot, store_entries
from pepip import fsops
from pepip.locations import find_uv

# POSIX only: Unix users and groups (useradd, runuser, grp, pwd, umask, sticky bits).
grp = pytest.importorskip("grp", reason="POSIX only: a team of Unix users and groups")
pwd = pytest.importorskip("pwd", reason="POSIX only: a team of Unix users and groups")

pytestmark = [
    pytest.mark.skipif(
        not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to create users"
    ),
    pytest.mark.skipif(
        any(shutil.which(tool) is None for tool in ("useradd", "userdel", "groupadd", "groupdel", "runuser")),
        reason="needs useradd, userdel, groupadd, groupdel and runuser",
    ),
]

ROLES = ("alice", "bob")


@dataclass
class Team:
    """The shared temp dir, the store, the team's group and users, and what they run."""

    shared: Path
    store: Path
    group: str
    users: dict[str, str]  # role -> user name
    lib: Path
    uv: Path
    wheels: Path
    python: str = ""

    def home(self, role: str) -> Path:
        return self.shared / role

    def venv(self, role: str, name: str = "venv") -> Path:
        return self.home(role) / name

    def run(
        self, role: str, argv: Sequence[str], pepip_lib: bool = False, **more_env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` as the role's user, with umask 002 and nothing of root's environment."""
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home(role)),
            "LANG": "C.UTF-8",
            "PEPIP_HOME": str(self.store),
            "PEPIP_UV": str(self.uv),
            "UV_CACHE_DIR": str(self.home(role) / "uv-cache"),
            "UV_NO_CONFIG": "1",
            "UV_OFFLINE": "1",
            "UV_PYTHON_DOWNLOADS": "never",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if pepip_lib:
            env["PYTHONPATH"] = str(self.lib)
        env.update(more_env)
        command = [
            "runuser", "-u", self.users[role], "--", "env", "-i", *("%s=%s" % item for item in env.items()),
            "sh", "-c", 'umask 002 && exec "$@"', "sh", *argv,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=self.home(role))

    def pepip(self, role: str, *args: str, **more_env: str) -> subprocess.CompletedProcess[str]:
        """``python -m pepip ARGS`` as the role's user."""
        return self.run(role, [self.python, "-m", "pepip", *args], pepip_lib=True, **more_env)

    def install(self, role: str, *packages: str, venv: str = "venv", **more_env: str) -> str:
        """Install into the role's venv as that user; return stderr (warnings)."""
        done = self.pepip(
            role, "install", "-q", "--venv", str(self.venv(role, venv)), "--python", self.python,
            "--no-index", "--find-links", str(self.wheels), *packages, **more_env,
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    def imports(self, role: str, *modules: str, venv: str = "venv") -> dict[str, Path]:
        """Import ``modules`` in the role's venv as that user: module -> file it came from."""
        code = "import importlib\nfor name in %r:\n    print(importlib.import_module(name).__file__)\n" % (modules,)
        done = self.run(role, [str(self.venv(role, venv) / "bin" / "python"), "-c", code])
        assert done.returncode == 0, done.stderr
        return dict(zip(modules, (Path(line) for line in done.stdout.splitlines())))


def _dependency_closure(name: str) -> list[importlib.metadata.Distribution]:
    """The installed distributions ``name`` needs here (uv aside: the users get PEPIP_UV)."""
    seen: dict[str, importlib.metadata.Distribution] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        for text in importlib.metadata.requires(current) or []:
            requirement = Requirement(text)
            key = canonicalize_name(requirement.name)
            if key == "uv" or key in seen:
                continue
            if requirement.marker is not None and not requirement.marker.evaluate({"extra": ""}):
                continue
            seen[key] = importlib.metadata.distribution(requirement.name)
            pending.append(requirement.name)
    return list(seen.values())


def _copy_pepip(lib: Path) -> None:
    """pepip, its runtime and its dependencies' files, into a directory anyone can read."""
    ignore = shutil.ignore_patterns("__pycache__")
    for package in (pepip, pepip_runtime):
        source = Path(package.__file__).parent
        shutil.copytree(source, lib / source.name, ignore=ignore)
    for dist in _dependency_closure("pepip"):
        for file in dist.files or []:
            if file.parts[0] == ".." or "__pycache__" in file.parts:
                continue  # scripts in bin/; bytecode of this interpreter
            source = Path(str(dist.locate_file(file)))
            if source.is_file():
                (lib / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, lib / file)


def _usable_python(team: Team) -> str | None:
    """An interpreter both users can run pepip with: /root is closed to them."""
    candidates = [os.path.realpath(sys.executable), sys.executable, "/usr/bin/python3", shutil.which("python3")]
    for candidate in dict.fromkeys(c for c in candidates if c):
        if all(team.run(role, [candidate, "-c", "import pepip.cli"], pepip_lib=True).returncode == 0 for role in ROLES):
            return candidate
    return None


def _delete_account(command: str, name: str) -> None:
    subprocess.run([command, *(["-f"] if command == "userdel" else []), name], capture_output=True)


@pytest.fixture
def team() -> Iterator[Team]:
    """Two users in one new group, a 2775 store and what they need, all removed afterwards."""
    suffix = secrets.token_hex(3)
    group = "pepteam" + suffix
    users = {role: "pep%s%s" % (role[0], suffix) for role in ROLES}
    shared = Path(tempfile.mkdtemp(prefix="pepip-team-"))
    made_users: list[str] = []
    made_groups: list[str] = []
    try:
        os.chmod(shared, 0o755)  # mkdtemp makes it private; the users must reach their homes
        subprocess.run(["groupadd", group], check=True, capture_output=True)
        made_groups.append(group)
        for role, name in users.items():
            subprocess.run(
                ["useradd", "--no-create-home", "--user-group", "--groups", group, "--shell", "/bin/sh",
                 "--home-dir", str(shared / role), name],
                check=True, capture_output=True,
            )
            made_users.append(name)
            made_groups.append(name)  # --user-group: userdel usually removes it, not always
            account = pwd.getpwnam(name)
            (shared / role).mkdir(mode=0o755)
            os.chown(shared / role, account.pw_uid, account.pw_gid)
        for directory in ("lib", "bin", "wheels"):
            (shared / directory).mkdir(mode=0o755)
        _copy_pepip(shared / "lib")
        uv = shared / "bin" / "uv"
        shutil.copy2(find_uv(os.environ), uv)
        os.chmod(uv, 0o755)
        build_wheel(shared / "wheels", "teama", "1.0", {"teama/__init__.py": "NAME = 'teama'\n"})
        build_wheel(
            shared / "wheels", "teamb", "1.0", {"teamb/__init__.py": "import teama\nNAME = 'teamb'\n"},
            requires=["teama"],
        )
        build_wheel(shared / "wheels", "teamc", "1.0", {"teamc/__init__.py": "NAME = 'teamc'\n"})
        for path in (shared / "lib").rglob("*"):
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        for path in (shared / "wheels").iterdir():
            os.chmod(path, 0o644)
        team = Team(shared, shared / "team-env", group, users, shared / "lib", uv, shared / "wheels")
        python = _usable_python(team)
        if python is None:
            pytest.skip("no interpreter that both test users may run")
        team.python = python
        yield team
    finally:
        for name in made_users:
            _delete_account("userdel", name)
        for name in made_groups:
            try:
                grp.getgrnam(name)
            except KeyError:
                continue
            _delete_account("groupdel", name)
        fsops.remove_tree(shared)


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


def _entry(team: Team, name: str) -> Path:
    (found,) = [path for path in store_entries(team.store) if path.parent.parent.name == name]
    return found


def _owner(path: Path) -> str:
    return pwd.getpwuid(path.lstat().st_uid).pw_name


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
    entry_a = _entry(team, "teama")
    assert _owner(entry_a) == team.users["alice"]

    # bob stores B and reuses alice's A; alice then reuses bob's B. bob asks uv anew which
    # interpreter `--python` means and cannot replace the answer alice remembered: no matter.
    assert team.install("bob", "teama", "teamb", PEPIP_RESOLUTION_TTL="0") == ""
    entry_b = _entry(team, "teamb")
    assert _owner(entry_b) == team.users["bob"] and _entry(team, "teama") == entry_a
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
    entry_c = _entry(team, "teamc")
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
    assert module.read_text() == "NAME = 'teama'\n" and _owner(entry_a) == team.users["alice"]
    for role in ROLES:
        code = "import teama, teamb; print(teama.NAME, teamb.NAME)"
        done = team.run(role, [str(team.venv(role) / "bin" / "python"), "-c", code])
        assert done.stdout.strip() == "teama teamb", done.stderr
        verified = team.pepip(role, "store", "verify")
        assert verified.returncode == 0, verified.stdout
    _check_permissions(team)

    # A venv of alice's that bob may not read: his prune cannot tell what it uses, and says so.
    os.chmod(team.home("alice"), 0o700)
    refused = team.pepip("bob", "store", "prune")
    assert refused.returncode == 1 and len(refused.stderr.splitlines()) == 1, refused.stderr
    assert refused.stderr.startswith("pepip: error: cannot read the manifest of %s," % team.venv("alice"))
    assert entry_a.is_dir() and entry_b.is_dir()
