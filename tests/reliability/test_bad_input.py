"""Bad input: each row is one wrong argument, file, setting or damaged state.

For every row pepip, run as a real process, must exit non-zero with exactly one stderr line,
``pepip: error: ...``, that names the problem (the row's ``says``), show no traceback, and
leave the venv, the store and everything else below the row's root byte-identical (a failed
command writes nothing; the disk-full row's half-written entry is removed).

Every row starts from the same state, built once per module: a venv with ``alpha`` (and
``beta``) and ``versioned==1.0`` installed by pepip, so the store is not empty. Venvs are not
relocatable (their manifest names their path), so each row restores that state at the same
path with ``cp -a`` instead of installing again. Commands that print progress get ``-q``:
the row checks the error line, not the progress lines before it; commands that take index
options get the wheelhouse (uv never touches the network). Rows that need a read-only mount
or a tiny filesystem skip where mounting is not permitted.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

from helpers import build_wheel, snapshot

REPO: Path = Path(__file__).resolve().parents[2]
QUIET_COMMANDS = {"install", "uninstall", "sync", "repair", "venv"}
INDEX_COMMANDS = {"install", "sync", "repair"}


@dataclass
class State:
    """One row's copy of the prepared state: ``work/`` (the cwd, with ``.venv``) and ``store/``."""

    root: Path
    env: dict[str, str]
    mounts: list[Path] = field(default_factory=list)

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def venv(self) -> Path:
        return self.work / ".venv"

    @property
    def store(self) -> Path:
        return self.root / "store"

    def write(self, name: str, data: str | bytes) -> Path:
        """A file in the work directory (the cwd of the command)."""
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def entry(self, name: str) -> Path:
        """The (only) store entry of ``name``, made writable so a row can damage it."""
        (entry,) = (self.store / "v2" / "entries" / name).glob("*/*")
        for path in [entry, *entry.rglob("*")]:
            if path.is_dir():
                path.chmod(0o755)
        return entry

    def mount(self, path: Path, *options: str) -> None:
        """Mount over ``path`` (``mount`` arguments); skip the row where that is not permitted."""
        done = subprocess.run(["mount", *options, str(path)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.skip("mount is not permitted here: %s" % done.stderr.strip())
        self.mounts.append(path)

    def mount_readonly(self, path: Path) -> None:
        """Make ``path`` read-only with a bind mount (permission bits do not stop root)."""
        self.mount(path, "--bind", str(path))
        self.mount(path, "-o", "remount,ro,bind")


Setup = Callable[[State], None]


@dataclass(frozen=True)
class Row:
    """A bad input: the command (after ``pepip``), what prepares it, what the line must say."""

    id: str
    args: tuple[str, ...]
    says: str
    setup: Setup | None = None
    not_says: str = ""  # a hint that would mislead here


# --- setups --------------------------------------------------------------------------------


def files(contents: dict[str, str | bytes]) -> Setup:
    """Write files into the work directory."""

    def setup(state: State) -> None:
        for name, data in contents.items():
            state.write(name, data)

    return setup


def directory_with_a_file(state: State) -> None:
    state.write("notavenv/notes.txt", "mine\n")


def hundred_thousand_lines(state: State) -> None:
    state.write("huge.txt", "alpha\n" * 100_000 + "beta>>1\n")


def ten_megabyte_name(state: State) -> None:
    state.write("long.txt", "a" * 10_000_000 + "\n")


def self_including(state: State) -> None:
    state.write("self.txt", "-r self.txt\nno-such-package\n")


def unreadable_lock(state: State) -> None:
    state.write("locked/pyproject.toml", '[project]\nname = "p"\nversion = "1"\n')
    state.write("locked/uv.lock", "garbage = = =\n")


def venv_file(state: State) -> None:
    state.write("venvfile", "keep me\n")


def readonly_venv(state: State) -> None:
    state.mount_readonly(state.venv)


def interpreter_gone(state: State) -> None:
    (state.venv / "bin" / "python").unlink()


def dangling_home(state: State) -> None:
    (state.root / "dangling").symlink_to(state.root / "unmounted" / "store")
    state.env["PEPIP_HOME"] = str(state.root / "dangling")


def file_home(state: State) -> None:
    (state.root / "homefile").write_text("not a store\n")
    state.env["PEPIP_HOME"] = str(state.root / "homefile")


def readonly_store(state: State) -> None:
    state.mount_readonly(state.store)


def manifest(data: bytes) -> Setup:
    def setup(state: State) -> None:
        (state.venv / "pepip-manifest.txt").write_bytes(data)

    return setup


def truncated_manifest(state: State) -> None:
    path = state.venv / "pepip-manifest.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) - 40], encoding="utf-8")


def header_only_manifest(state: State) -> None:
    path = state.venv / "pepip-manifest.txt"
    path.write_text(path.read_text(encoding="utf-8").split("\n")[0] + "\n", encoding="utf-8")


def entry_file_deleted(state: State) -> None:
    (state.entry("alpha") / "ENTRY").unlink()


def entry_dist_info_deleted(state: State) -> None:
    shutil.rmtree(state.entry("alpha") / "meta" / "alpha-1.0.dist-info")


def entry_file_without_name(state: State) -> None:
    (state.entry("alpha") / "ENTRY").write_text("dist_info=alpha-1.0.dist-info\n")


def entry_fact(key: str, value: str) -> Setup:
    """Edit one line of alpha's ``ENTRY`` (as its owner could)."""

    def setup(state: State) -> None:
        path = state.entry("alpha") / "ENTRY"
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith(key + "=")]
        path.chmod(0o644)
        path.write_text("\n".join(lines + ["%s=%s" % (key, value)]) + "\n", encoding="utf-8")

    return setup


def tiny_staging(state: State) -> None:
    """The store's tmp/ on a 64 KiB tmpfs, and a 1 MB wheel to store: disk full while writing."""
    house = state.root / "big-wheels"
    house.mkdir()
    build_wheel(house, "bigdata", "1.0", {"bigdata/__init__.py": "", "bigdata/blob.bin": os.urandom(1_000_000)})
    state.mount(state.store / "v2" / "tmp", "-t", "tmpfs", "-o", "size=64k", "none")


def tiny_venv_share(state: State) -> None:
    """The venv's share/ on a 64 KiB tmpfs, and a wheel with a 1 MB data file for it."""
    house = state.root / "big-wheels"
    house.mkdir()
    build_wheel(house, "bigshare", "1.0", {"bigshare.py": "", "{data}/data/share/big/blob.bin": os.urandom(1_000_000)})
    stored = subprocess.run(  # stored already: the failed command is to change nothing
        [sys.executable, "-m", "pepip", "install", "-q", "--no-index", "-f", str(house), "--venv", "other", "bigshare"],
        cwd=state.work, env=state.env, capture_output=True, text=True,
    )
    assert stored.returncode == 0, stored.stderr
    (state.venv / "share").mkdir()
    state.mount(state.venv / "share", "-t", "tmpfs", "-o", "size=64k", "none")


def planted(relative: str, kind: str) -> Setup:
    """A stray file, or a dangling link, at ``relative`` below the store's ``entries/``."""

    def setup(state: State) -> None:
        path = state.store / "v2" / "entries" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "file":
            path.write_text("")
        else:
            path.symlink_to(state.root / "nowhere")

    return setup


def env(**values: str) -> Setup:
    def setup(state: State) -> None:
        state.env.update(values)

    return setup


# --- the table -----------------------------------------------------------------------------

ROWS = [
    # Requirements on the command line
    Row("operator-typo", ("install", "alpha>>1"), "invalid requirement `alpha>>1`"),
    Row("empty-version", ("install", "alpha=="), "invalid requirement `alpha==`"),
    Row("name-dotdot", ("install", "../evil"), "invalid requirement `../evil`"),
    Row("name-slash", ("install", "a/b"), "invalid requirement `a/b`"),
    Row("version-path", ("install", "alpha==1.0/../../x"), "invalid requirement `alpha==1.0/../../x`"),
    Row("arbitrary-version-path", ("install", "alpha===../../x"), "alpha===../../x"),
    Row("unknown-package", ("install", "no-such-package"), "no-such-package was not found"),
    Row("unknown-version", ("install", "versioned==9.9"), "there is no version of versioned==9.9"),
    Row("conflicting-pins", ("install", "versioned==1.0", "versioned==2.0"), "versioned==1.0 and versioned==2.0"),
    Row("conflicting-dependencies", ("install", "needs-new", "needs-old"), "your requirements are unsatisfiable"),
    Row("url-to-missing-file", ("install", "alpha @ file:///nonexistent/alpha-1.0-py3-none-any.whl"),
        "/nonexistent/alpha-1.0-py3-none-any.whl"),
    Row("nothing-to-install", ("install",), "nothing to install"),
    Row("unclosed-extras", ("install", "tool[extra"), "invalid requirement `tool[extra`"),
    Row("url-without-host", ("install", "alpha @ https://"), "the command line at position 0: empty host"),
    Row("editable-missing", ("install", "-e", "/nonexistent/project"), "/nonexistent/project is not a directory"),
    Row("find-links-missing", ("install", "-f", "/nonexistent/wheels", "tool"), "/nonexistent/wheels"),
    # Requirement and constraint files
    Row("r-missing", ("install", "-r", "missing.txt"), "missing.txt does not exist"),
    Row("r-directory", ("install", "-r", "adir"), "adir is a directory", files({"adir/keep": ""})),
    Row("c-missing", ("install", "-c", "missing.txt", "alpha"), "missing.txt does not exist"),
    Row("r-bad-line", ("install", "-r", "bad.txt"), "no such comparison operator", files({"bad.txt": "alpha>>1\n"})),
    Row("r-nul-bytes", ("install", "-r", "nul.txt"), "Couldn't parse requirement in `nul.txt`", files({"nul.txt": b"alpha\0beta\n"})),
    Row("r-not-utf8", ("install", "-r", "latin.txt"), "valid UTF-8", files({"latin.txt": b"alph\xe9\n"})),
    Row("r-includes-missing", ("install", "-r", "inc.txt"), "nope.txt", files({"inc.txt": "alpha\n-r nope.txt\n"})),
    Row("r-includes-itself", ("install", "-r", "self.txt"), "no-such-package was not found", self_including),
    Row("r-100k-lines", ("install", "-r", "huge.txt"), "`huge.txt` at position 600000", hundred_thousand_lines),
    Row("r-10mb-name", ("install", "-r", "long.txt"), "was not found", ten_megabyte_name),
    # sync
    Row("sync-no-file", ("sync",), "no uv.lock, requirements.txt or pyproject.toml"),
    Row("sync-missing-file", ("sync", "missing.txt"), "missing.txt does not exist"),
    Row("sync-bad-pyproject", ("sync", "bad/pyproject.toml"), "cannot read bad/pyproject.toml: Expected ']'",
        files({"bad/pyproject.toml": "[project\nname = 'x'\n"})),
    Row("sync-bad-uv-lock", ("sync", "locked/uv.lock"), "Failed to parse `uv.lock`", unreadable_lock),
    Row("sync-lock-with-others", ("sync", "locked/uv.lock", "req.txt"), "uv.lock alone",
        files({"locked/uv.lock": "", "req.txt": "alpha\n"})),
    # uninstall
    Row("uninstall-specifier", ("uninstall", "alpha>1"), "package names, not `alpha>1`"),
    Row("uninstall-dotdot", ("uninstall", "../alpha"), "`../alpha`"),
    # The venv
    Row("venv-is-a-file", ("install", "--venv", "venvfile", "alpha"), "is a file", venv_file),
    Row("venv-not-a-venv", ("install", "--venv", "notavenv", "alpha"), "is not a venv", directory_with_a_file),
    Row("list-not-a-venv", ("list", "--venv", "notavenv"), "no venv at", directory_with_a_file),
    Row("venv-exists", ("venv", ".venv"), "already exists"),
    Row("venv-read-only", ("install", "tool"), "Read-only file system", readonly_venv),
    Row("interpreter-gone", ("install", "tool"), "has no interpreter; recreate it with `pepip venv`",
        interpreter_gone),
    Row("python-3.99", ("install", "--python", "3.99", "--venv", "new", "alpha"), "3.99"),
    Row("python-missing-path", ("install", "--python", "/nonexistent/python", "--venv", "new", "alpha"),
        "/nonexistent/python"),
    # The store and settings
    Row("home-dangling-symlink", ("install", "--venv", "new", "alpha"), "which does not exist", dangling_home),
    Row("home-is-a-file", ("install", "tool"), "homefile is a file", file_home),
    Row("home-read-only", ("install", "tool"), "Read-only file system", readonly_store),
    Row("prune-read-only", ("store", "prune"), "is on a read-only filesystem", readonly_store),
    Row("link-mode-setting", ("install", "tool"), "PEPIP_LINK_MODE", env(PEPIP_LINK_MODE="hardcopy")),
    Row("resolution-ttl-negative", ("install", "tool"), "PEPIP_RESOLUTION_TTL must be a number of seconds",
        env(PEPIP_RESOLUTION_TTL="-5")),
    Row("resolution-ttl-nan", ("install", "tool"), "PEPIP_RESOLUTION_TTL must be a number of seconds",
        env(PEPIP_RESOLUTION_TTL="nan")),
    Row("prune-grace-infinite", ("store", "prune"), "PEPIP_PRUNE_GRACE must be a number of seconds",
        env(PEPIP_PRUNE_GRACE="inf")),
    Row("uv-missing", ("install", "tool"), "/nonexistent/uv", env(PEPIP_UV="/nonexistent/uv")),
    Row("list-format", ("list", "--format", "xml"), "--format"),
    # Damaged state
    Row("manifest-garbage", ("install", "tool"), "pepip-manifest.txt is damaged", manifest(b"garbage\n")),
    Row("manifest-not-utf8", ("install", "tool"), "pepip-manifest.txt is damaged", manifest(b"\xff\xfe\0garbage")),
    Row("manifest-truncated", ("install", "tool"), "pepip-manifest.txt is damaged", truncated_manifest),
    Row("manifest-garbage-list", ("list",), "pepip-manifest.txt is damaged", manifest(b"garbage\n")),
    Row("manifest-header-only", ("install", "tool"), "pepip-manifest.txt is damaged (it names no interpreter)",
        header_only_manifest),
    Row("manifest-header-only-list", ("list",), "pepip-manifest.txt is damaged", header_only_manifest),
    Row("entry-file-deleted", ("install", "--venv", "second", "alpha"), "store verify --fix", entry_file_deleted),
    Row("entry-dist-info-deleted", ("install", "--venv", "second", "alpha"), "store verify --fix",
        entry_dist_info_deleted),
    Row("entry-file-without-name", ("install", "--venv", "second", "alpha"), "store verify --fix",
        entry_file_without_name),
    Row("entry-names-another-import", ("install", "--venv", "second", "alpha"), "store verify --fix",
        entry_fact("top_level", "alpha,requests")),
    Row("entry-native-leaves-the-store", ("install", "--venv", "second", "alpha"), "store verify --fix",
        entry_fact("native", "../../../../../../etc;libc.so.6")),
    Row("disk-full-in-the-venv", ("install", "-f", "../big-wheels", "bigshare"),
        "cannot link bigshare==1.0 into", tiny_venv_share, not_says="verify"),
    Row("file-at-entry-name", ("install", "tool"), "entries/tool is a link or a file where pepip keeps a directory",
        planted("tool", "file")),
    Row("dangling-link-at-entry-name", ("install", "tool"), "entries/tool is a link or a file", planted("tool", "link")),
    Row("file-at-entry-version", ("install", "tool"), "entries/tool/1.0 is a link or a file", planted("tool/1.0", "file")),
    Row("disk-full-while-storing", ("install", "-f", "../big-wheels", "bigdata"), "No space left on device",
        tiny_staging),
]


# --- the test ------------------------------------------------------------------------------


def _pepip_env(store: Path, uv_cache: Path) -> dict[str, str]:
    """The environment of the ``isolated`` fixture, for a process started outside a test."""
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("PEPIP_", "UV_"))}
    environ.update(
        PEPIP_HOME=str(store), UV_CACHE_DIR=str(uv_cache), PEPIP_CACHE_DIR=str(uv_cache.parent / "pepip-cache"),
        UV_NO_CONFIG="1", UV_OFFLINE="1",
        UV_PYTHON_DOWNLOADS="never",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    )
    return environ


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path, uv_cache: Path) -> tuple[Path, Path]:
    """(where every row runs, a pristine copy of its state): a venv with packages, a store."""
    base = tmp_path_factory.mktemp("bad-input")
    root = base / "state"
    (root / "work").mkdir(parents=True)
    installed = subprocess.run(
        [sys.executable, "-m", "pepip", "install", "-q", "--no-index", "--find-links", str(wheelhouse),
         "alpha", "versioned==1.0"],
        cwd=root / "work", env=_pepip_env(root / "store", uv_cache), capture_output=True, text=True,
    )
    assert installed.returncode == 0, installed.stderr
    subprocess.run(["cp", "-a", str(root), str(base / "pristine")], check=True)
    return root, base / "pristine"


@pytest.fixture
def state(prepared: tuple[Path, Path], uv_cache: Path) -> Iterator[State]:
    """The prepared state, restored at its own path (venvs are not relocatable)."""
    root, pristine = prepared
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(["cp", "-a", str(pristine), str(root)], check=True)
    state = State(root, _pepip_env(root / "store", uv_cache))
    try:
        yield state
    finally:
        for path in reversed(state.mounts):
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.mark.parametrize("row", [pytest.param(row, id=row.id) for row in ROWS])
def test_bad_input_is_one_line_and_changes_nothing(row: Row, state: State, wheelhouse: Path) -> None:
    if row.setup is not None:
        row.setup(state)
    command, *rest = row.args
    args = [command]
    if command in QUIET_COMMANDS:
        args.append("-q")
    if command in INDEX_COMMANDS:
        args += ["--no-index", "--find-links", str(wheelhouse)]
    before = snapshot(state.root)
    done = subprocess.run(
        [sys.executable, "-m", "pepip", *args, *rest],
        cwd=state.work, env=state.env, capture_output=True, text=True, errors="replace", timeout=300,
    )
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode != 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert len(lines) == 1 and lines[0].startswith("pepip: error: "), done.stderr[:3000]
    assert len(lines[0]) < 2000, lines[0][:3000]
    assert row.says in lines[0], lines[0]
    assert not row.not_says or row.not_says not in lines[0], lines[0]
    assert snapshot(state.root) == before


@pytest.mark.parametrize("damage", ["garbage", "missing"])
def test_damaged_runtime_index_is_named_by_doctor_and_fixed_by_repair(state: State, wheelhouse: Path, damage: str) -> None:
    """No command reads the runtime index, so it is not a row: the venv's interpreter meets it.
    A missing one had been silent at start-up (imports failed with no word why)."""
    if damage == "missing":
        (state.venv / "pepip-index.marshal").unlink()
    else:
        (state.venv / "pepip-index.marshal").write_bytes(b"garbage")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = state.env if args[0] == sys.executable else {k: v for k, v in state.env.items() if k != "PYTHONPATH"}
        return subprocess.run(args, cwd=state.work, env=env, capture_output=True, text=True, timeout=300)

    python = run(str(state.venv / "bin" / "python"), "-c", "import alpha")
    assert python.returncode == 1 and "pepip: venv index not loaded" in python.stderr
    assert "run `pepip doctor`" in python.stderr
    doctor = run(sys.executable, "-m", "pepip", "doctor")
    assert doctor.returncode == 1
    index = state.venv / "pepip-index.marshal"
    assert "runtime index %s is missing or damaged; run `pepip repair`" % index in doctor.stderr
    repair = run(sys.executable, "-m", "pepip", "repair", "-q", "--no-index", "--find-links", str(wheelhouse))
    assert repair.returncode == 0, repair.stderr
    assert run(str(state.venv / "bin" / "python"), "-c", "import alpha").returncode == 0
    assert run(sys.executable, "-m", "pepip", "doctor").stdout.strip() == "No problems found"


_FAILING_BACKEND = '''import sys
def get_requires_for_build_wheel(config_settings=None):
    return []
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    print("broken.c:1: error: expected ';'", file=sys.stderr)
    raise SystemExit(1)
'''


def test_a_failed_build_is_one_line_then_the_builds_own_output(state: State, wheelhouse: Path) -> None:
    """The one case where more than the line is printed: what the build backend said."""
    project = state.work / "broken"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "broken"\nversion = "1.0"\n'
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
    )
    (project / "backend.py").write_text(_FAILING_BACKEND)
    before = (snapshot(state.venv), snapshot(state.store))  # the backend may leave bytecode beside it
    done = subprocess.run(
        [sys.executable, "-m", "pepip", "install", "-q", "--no-index", "--find-links", str(wheelhouse),
         "broken @ %s" % project.as_uri()],
        cwd=state.work, env=state.env, capture_output=True, text=True, timeout=300,
    )
    first, *rest = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert first.startswith("pepip: error: downloading and building 1 distribution failed: Failed to build `broken")
    assert "`backend.build_wheel` failed (exit status: 1)" in first
    assert not any(line.startswith("pepip:") for line in rest)
    assert any(line.strip() == "broken.c:1: error: expected ';'" for line in rest)
    assert (snapshot(state.venv), snapshot(state.store)) == before
