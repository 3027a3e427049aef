"""Two real Unix users sharing one store, for the team-store tests (made with ``useradd``).

The admin (the test, as root) makes the store directory group-owned by the team; alice and
bob run pepip with umask 002 through ``runuser``. They cannot read /root (this interpreter,
uv, pepip's dependencies live there), so uv, pepip and the distributions pepip imports are
copied into a world-readable temp dir.
"""

from __future__ import annotations

import importlib.metadata
import os
import secrets
import shutil
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
from helpers import build_wheel, store_entries
from pepip import fsops
from pepip.locations import find_uv

try:  # POSIX only: Unix users and groups; on Windows the team tests skip (NEEDS_USERS)
    import grp
    import pwd
except ImportError:
    pass

NEEDS_USERS = [
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
            "PEPIP_BYTECODE": "compile",  # not in the background: the tests compare the store
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




def entry_of(team: Team, name: str) -> Path:
    """The one store entry of distribution ``name``."""
    (found,) = [path for path in store_entries(team.store) if path.parent.parent.name == name]
    return found


def owner(path: Path) -> str:
    """The user name owning ``path`` (not following a link)."""
    return pwd.getpwuid(path.lstat().st_uid).pw_name


def make_team_store(team: Team, mode: int = 0o3775) -> None:
    """The admin's part: a store directory the team's group owns, setgid, group-writable."""
    team.store.mkdir()
    os.chown(team.store, 0, grp.getgrnam(team.group).gr_gid)
    os.chmod(team.store, mode)
