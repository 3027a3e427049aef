"""pepip in Docker, as users run it (docs/docker.md): a host store bound into containers,
images built with ``RUN pepip install``, and images that keep the venv but not the store.

Docker cannot run here: a container is simulated by root with a private mount and UTS
namespace (``unshare -m -u``): bind mounts, another host name, an empty or shared machine
id, and ``/run/.containerenv`` (podman's mark; ``/.dockerenv`` would have to be made in the
host's own root). The users are real ones, made with ``useradd`` (``reliability/teamstore.py``).
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, store_entries
from reliability.teamstore import NEEDS_USERS, Team

try:
    import pwd
except ImportError:  # Windows: the tests that need users skip
    pass

NEEDS_NAMESPACES = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("unshare") is None
    or subprocess.run(["unshare", "-m", "-u", "true"], capture_output=True).returncode != 0,
    reason="needs root and unshare (mount and UTS namespaces) to simulate a container",
)


def _personal_store(team: Team, role: str) -> Path:
    """``~/.pepip`` of one user: theirs, and nobody else may write it."""
    store = team.home(role) / ".pepip"
    store.mkdir(mode=0o755)
    account = pwd.getpwnam(team.users[role])
    os.chown(store, account.pw_uid, account.pw_gid)
    os.chmod(store, 0o755)
    return store


def _as_root(team: Team, store: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """pepip run by root (a container run without ``--user``) in ``store``."""
    full = {
        "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(team.shared / "root-home"), "LANG": "C.UTF-8",
        "PEPIP_HOME": str(store), "PEPIP_UV": str(team.uv), "UV_NO_CONFIG": "1", "UV_OFFLINE": "1",
        "UV_CACHE_DIR": str(team.shared / "root-uv-cache"), "PYTHONPATH": str(team.lib),
        "UV_PYTHON_DOWNLOADS": "never", "PYTHONDONTWRITEBYTECODE": "1", "PEPIP_BYTECODE": "compile", **env,
    }
    return subprocess.run([team.python, "-m", "pepip", *args], capture_output=True, text=True, env=full,
                          cwd=team.shared, timeout=300)


def _roots_paths(store: Path) -> list[Path]:
    """Everything in ``store`` that root owns."""
    return [path for path in [store, *store.rglob("*")] if path.lstat().st_uid == 0]


@pytest.mark.posix("Unix users")
@pytest.mark.parametrize("_", [pytest.param(None, marks=NEEDS_USERS)])
def test_what_root_makes_in_a_users_store_is_the_users(team: Team, _: None) -> None:
    store = _personal_store(team, "alice")
    team.install("alice", "teama", PEPIP_HOME=str(store))
    build_wheel(team.wheels, "teamc", "2.0", {"teamc/__init__.py": "NAME = 'teamc2'\n"})
    os.chmod(team.wheels / "teamc-2.0-py3-none-any.whl", 0o644)
    root_venv = team.shared / "app" / ".venv"
    done = _as_root(team, store, "install", "-q", "--venv", str(root_venv), "--python", team.python, "--no-index",
                    "--find-links", str(team.wheels), "teamb", "teamc==1.0")
    assert done.returncode == 0, done.stderr
    assert _roots_paths(store) == []
    # A second run of root finds its record its own: no second record.
    again = _as_root(team, store, "install", "-q", "--venv", str(root_venv), "--no-index", "--find-links",
                     str(team.wheels), "teamc==1.0")
    assert again.returncode == 0, again.stderr
    assert len(list((store / "v2" / "venvs").iterdir())) == 2  # alice's venv and root's
    # The user adds a version of a package root stored first, prunes root's entries, removes it all.
    team.install("alice", "teamc==2.0", PEPIP_HOME=str(store))
    shutil.rmtree(root_venv)
    pruned = team.pepip("alice", "store", "prune", PEPIP_HOME=str(store))
    assert pruned.returncode == 0 and "kept" not in pruned.stderr, pruned.stderr
    names = sorted("%s-%s" % (path.parent.parent.name, path.parent.name) for path in store_entries(store))
    assert names == ["teama-1.0", "teamc-2.0"]
    # Entries are read-only (to their owner too): `store clean` removes them, root's included.
    cleaned = team.pepip("alice", "store", "clean", "--yes", PEPIP_HOME=str(store))
    assert cleaned.returncode == 0 and "kept" not in cleaned.stderr and not store.exists(), cleaned.stderr


@pytest.mark.posix("Unix users")
@pytest.mark.parametrize("_", [pytest.param(None, marks=NEEDS_USERS)])
def test_root_never_trusts_what_it_gave_the_user(team: Team, _: None) -> None:
    """Root's remembered interpreter lists, resolutions and interpreter answers become the
    user's; root's next command finds them another user's and does not use them."""
    store = _personal_store(team, "alice")
    root_venv = team.shared / "app" / ".venv"
    for _round in range(2):
        done = _as_root(team, store, "install", "-q", "--venv", str(root_venv), "--python", team.python,
                        "--no-index", "--find-links", str(team.wheels), "teama")
        assert done.returncode == 0, done.stderr
    remembered = [p for name in ("resolutions", "interpreters") for p in (store / "v2" / name).iterdir()]
    assert remembered and all(p.lstat().st_uid == pwd.getpwnam(team.users["alice"]).pw_uid for p in remembered)
    assert not list((store / "v2" / "venv-templates").iterdir())  # root makes no template in a user's store
    assert stat.S_IMODE(store.stat().st_mode) == 0o755 and sys.platform != "win32"


def _host_machine() -> str:
    """This box's machine id, as a host (not a container) has it. The box itself may be a
    container (CI): the host side of a test names its machine with ``PEPIP_MACHINE_ID``."""
    from pepip.sharing import machine_id

    try:
        return Path("/etc/machine-id").read_text().strip() or "host-box"
    except OSError:
        return machine_id("host-box")


def _in_container(
    tmp: Path, hostname: str, binds: dict[Path, Path], argv: list[str], machine_id: str = "empty",
    env: dict[str, str] | None = None, cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` as root in a simulated container: its own mount and UTS namespaces, host
    name ``hostname``, ``/run/.containerenv``, host dirs bound (host path -> container path),
    and an ``/etc/machine-id`` that is empty, missing-like, or (``"host"``) the host's own."""
    script = ["set -e", "hostname %s" % hostname, "mount -t tmpfs none /run", "touch /run/.containerenv"]
    for source, target in binds.items():
        target.mkdir(parents=True, exist_ok=True)
        script.append("mount --bind '%s' '%s'" % (source, target))
    if machine_id == "empty" and Path("/etc/machine-id").exists():
        empty = tmp / "empty-machine-id"
        empty.write_text("")
        script.append("mount --bind '%s' /etc/machine-id" % empty)
    if cwd is not None:
        script.append("cd '%s'" % cwd)  # docker run -w
    script.append('exec "$@"')
    return subprocess.run(["unshare", "-m", "-u", "sh", "-c", "\n".join(script), "sh", *argv],
                          capture_output=True, text=True, env=env, timeout=300)


def _pepip_env(store: Path, **more: str) -> dict[str, str]:
    """Root's environment for pepip as the tests run it, with ``store`` and ``more``."""
    env = {k: v for k, v in os.environ.items() if k not in ("PEPIP_MACHINE_ID", "VIRTUAL_ENV")}
    env.update(PEPIP_HOME=str(store), **more)
    return env


@NEEDS_NAMESPACES
def test_records_from_containers_are_never_judged_as_host_venvs(isolated: Path, wheelhouse: Path) -> None:
    store, project, host_venv = isolated / "store", isolated / "project", isolated / "host-venv"
    project.mkdir()
    app = isolated / "ctr" / "app"  # the container's path of the project: empty on the host
    host = _pepip_env(store, PEPIP_MACHINE_ID=_host_machine())
    index = ["--no-index", "--find-links", str(wheelhouse)]
    done = subprocess.run([sys.executable, "-m", "pepip", "install", "-q", "--venv", str(host_venv), *index, "beta"],
                          capture_output=True, text=True, env=host)
    assert done.returncode == 0, done.stderr
    # Two `docker run`s of one project: the host's machine id bound in, then an empty one;
    # a new host name each time.
    for number, machine in ((1, "host"), (2, "empty")):
        ran = _in_container(isolated, "ctr%d" % number, {project: app}, [
            sys.executable, "-m", "pepip", "install", "-q", "--venv", str(app / ".venv"), *index, "tool",
        ], machine, _pepip_env(store))
        assert ran.returncode == 0, ran.stderr
    records = [path.read_text() for path in (store / "v2" / "venvs").iterdir()]
    assert len(records) == 2, records  # the host's venv, and one for the project's venv
    assert any("machine container-ctr2" in text for text in records)
    pruned = subprocess.run([sys.executable, "-m", "pepip", "store", "prune"], capture_output=True, text=True, env=host)
    assert pruned.returncode == 0, pruned.stderr
    assert any(path.parent.parent.name == "tool" for path in store_entries(store)), pruned.stdout
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    used = _in_container(isolated, "ctr3", {project: app}, [str(app / ".venv" / "bin" / "tool-cli")], env=clean)
    assert (used.returncode, used.stdout) == (0, "tool main\n"), used.stderr


@NEEDS_NAMESPACES
def test_a_venv_in_a_containers_own_layer_counts_a_day_not_the_registration_ttl(isolated: Path, wheelhouse: Path) -> None:
    store, project = isolated / "store", isolated / "project"
    project.mkdir()
    app = isolated / "ctr" / "app"
    index = ["--no-index", "--find-links", str(wheelhouse)]
    layer_venv = isolated / "ctr-layer" / ".venv"  # on the box's root filesystem: the container's own layer
    for venv, package in ((app / ".venv", "tool"), (layer_venv, "beta")):
        ran = _in_container(isolated, "ctr1", {project: app}, [
            sys.executable, "-m", "pepip", "install", "-q", "--venv", str(venv), *index, package,
        ], env=_pepip_env(store))
        assert ran.returncode == 0, ran.stderr
    two_days_ago = __import__("time").time() - 2 * 86400
    for record in (store / "v2" / "venvs").iterdir():
        os.utime(record, (two_days_ago, two_days_ago))
    host = _pepip_env(store, PEPIP_MACHINE_ID=_host_machine())
    pruned = subprocess.run([sys.executable, "-m", "pepip", "store", "prune"], capture_output=True, text=True, env=host)
    assert pruned.returncode == 0, pruned.stderr
    names = sorted(path.parent.parent.name for path in store_entries(store))
    assert names == ["tool"]  # the bound project's venv counts for the TTL; the layer's went
    assert len(list((store / "v2" / "venvs").iterdir())) == 1


def _run_in(
    isolated: Path, binds: dict[Path, Path], argv: list[str], pepip: bool = False, **env: str
) -> subprocess.CompletedProcess[str]:
    """``argv`` in a new simulated container; PYTHONPATH only where ``pepip`` runs."""
    full = {k: v for k, v in os.environ.items() if k not in ("PEPIP_MACHINE_ID", "VIRTUAL_ENV")}
    if not pepip:
        full.pop("PYTHONPATH", None)  # a venv's interpreter imports its own runtime
    full.update(env)
    return _in_container(isolated, "c%d" % len(list(isolated.glob("empty-machine-id*"))), binds, argv, env=full)


@NEEDS_NAMESPACES
def test_recipe_image_build(isolated: Path, wheelhouse: Path) -> None:
    """docs/docker.md, recipe 1: `RUN pepip install` as root; the store is in the image."""
    image_store, image_app = isolated / "image-store", isolated / "image-app"
    image_store.mkdir(), image_app.mkdir()
    store, app = isolated / "ctr" / "root" / ".pepip", isolated / "ctr" / "app"
    binds = {image_store: store, image_app: app}
    built = _run_in(isolated, binds, [sys.executable, "-m", "pepip", "install", "-q", "--venv", str(app / ".venv"),
                                       "--no-index", "--find-links", str(wheelhouse), "alpha", "tool"],
                    pepip=True, PEPIP_HOME=str(store))
    assert built.returncode == 0, built.stderr
    ran = _run_in(isolated, binds, [str(app / ".venv" / "bin" / "python"), "-c", "import alpha; print(alpha.NAME)"])
    assert (ran.returncode, ran.stdout) == (0, "alpha\n"), ran.stderr
    tool = _run_in(isolated, binds, [str(app / ".venv" / "bin" / "tool-cli")])
    assert (tool.returncode, tool.stdout) == (0, "tool main\n"), tool.stderr


@NEEDS_NAMESPACES
def test_recipe_cache_mount_then_materialize(isolated: Path, wheelhouse: Path) -> None:
    """docs/docker.md, recipe 3: the store in a cache mount, the venv alone in the image."""
    cache, image_app = isolated / "buildkit-cache", isolated / "image-app"
    cache.mkdir(), image_app.mkdir()
    store, app = isolated / "ctr" / "root" / ".pepip", isolated / "ctr" / "app"
    build = _run_in(isolated, {cache: store, image_app: app}, ["sh", "-c", (
        '"$0" -m pepip install -q --venv "$1" --no-index --find-links "$2" alpha tool && '
        '"$0" -m pepip materialize -q --venv "$1"'), sys.executable, str(app / ".venv"), str(wheelhouse)],
        pepip=True, PEPIP_HOME=str(store))
    assert build.returncode == 0, build.stderr
    from pepip import fsops

    fsops.remove_tree(cache)  # the final stage has no store
    final = {image_app: app}
    ran = _run_in(isolated, final, [str(app / ".venv" / "bin" / "python"), "-c", "import alpha, beta; print(alpha.NAME)"])
    assert (ran.returncode, ran.stdout) == (0, "alpha\n"), ran.stderr
    tool = _run_in(isolated, final, [str(app / ".venv" / "bin" / "tool-cli")])
    assert (tool.returncode, tool.stdout) == (0, "tool main\n"), tool.stderr


@pytest.mark.posix("Unix users")
@pytest.mark.parametrize("_", [pytest.param(None, marks=[*NEEDS_USERS, NEEDS_NAMESPACES])])
def test_recipe_host_store_as_root_then_as_the_user(team: Team, _: None) -> None:
    """docs/docker.md, recipe 2: the user's ~/.pepip bound into a container run as root, then
    into one run with --user; then the user's own install, prune and removal on the host."""
    store = _personal_store(team, "alice")
    team.install("alice", "teama", PEPIP_HOME=str(store))
    project = team.home("alice") / "project"
    done = team.run("alice", ["mkdir", "-p", str(project)])
    assert done.returncode == 0, done.stderr
    ctr = team.shared / "ctr"
    root_store, me_store, app = ctr / "root" / ".pepip", ctr / "home" / "me" / ".pepip", ctr / "app"
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8", "PEPIP_UV": str(team.uv), "UV_NO_CONFIG": "1",
           "UV_OFFLINE": "1", "UV_PYTHON_DOWNLOADS": "never", "PYTHONPATH": str(team.lib), "PEPIP_BYTECODE": "compile"}
    index = ["--no-index", "--find-links", str(team.wheels)]
    as_root = _in_container(team.shared, "c1", {store: root_store, project: app}, [
        team.python, "-m", "pepip", "install", "-q", "--venv", str(app / ".venv"), "--python", team.python, *index, "teamb",
    ], "host", {**env, "HOME": str(ctr / "root"), "PEPIP_HOME": str(root_store), "UV_CACHE_DIR": str(ctr / "uv")}, cwd=app)
    assert as_root.returncode == 0, as_root.stderr
    assert _roots_paths(store) == []
    user = team.users["alice"]
    as_user = _in_container(team.shared, "c2", {store: me_store, project: app}, [
        "runuser", "-u", user, "--", "env", "HOME=%s" % (ctr / "home" / "me"), "PEPIP_HOME=%s" % me_store,
        "UV_CACHE_DIR=%s" % (app / ".uv-cache"), team.python, "-m", "pepip", "install", "-q", "--venv",
        str(app / "user-venv"), "--python", team.python, *index, "teamc",
    ], "empty", env, cwd=app)
    assert as_user.returncode == 0, as_user.stderr
    # Back on the host, as the user: the container's entries are reused, then prunable.
    team.install("alice", "teamb", "teamc", PEPIP_HOME=str(store))
    removed_venvs = team.run("alice", ["rm", "-rf", str(project / "user-venv")])
    assert removed_venvs.returncode == 0, removed_venvs.stderr
    shutil.rmtree(project / ".venv")
    pruned = team.pepip("alice", "store", "prune", PEPIP_HOME=str(store), PEPIP_MACHINE_ID=_host_machine())
    assert pruned.returncode == 0 and "kept" not in pruned.stderr, pruned.stderr
    # The containers' records name venvs the host cannot see: clean names them, and --yes goes on.
    cleaned = team.pepip("alice", "store", "clean", "--yes", PEPIP_HOME=str(store), PEPIP_MACHINE_ID=_host_machine())
    assert cleaned.returncode == 0 and "kept" not in cleaned.stderr and not store.exists(), cleaned.stderr
