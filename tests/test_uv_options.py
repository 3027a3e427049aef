"""uv's options and unnamed URL requests on ``pepip install`` (issue 22), each compared with
``uv pip install`` on the same inputs in a venv uv made (``uv_venv_with``).

What a venv holds is compared through ``uv pip freeze``, which reads the dist-info
directories of both: the same distributions, versions and direct URLs (the artifacts).
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import subprocess
import threading
from pathlib import Path
from typing import Iterator

import pytest

from helpers import (
    OFFLINE_BACKEND, build_wheel, run_pepip, site_packages, snapshot, store_entries, uv_freeze, uv_venv_with, venv_python,
    venv_run,
)
from pepip.artifacts import identity_key
from pepip.locations import find_uv

_UV = str(find_uv(os.environ))


def _ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    result = run_pepip(list(args), capsys)
    assert result.exit_code == 0, result.stderr
    return result.stderr


def _changes(output: str) -> list[str]:
    """The `` + name==version`` lines of pepip's or uv's report."""
    return [line for line in output.splitlines() if line[:3] in (" + ", " - ", " ~ ")]


def _uv_install(venv: Path, *args: str) -> str:
    completed = subprocess.run(
        [_UV, "pip", "install", "--python", str(venv_python(venv)), *args], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stderr


def _uv_venv(path: Path) -> Path:
    subprocess.run([_UV, "venv", "-q", str(path)], check=True)
    return path


# --- options --------------------------------------------------------------------------------

def test_no_deps_installs_the_named_packages_only(capsys, isolated, index_args, wheelhouse):
    venv = isolated / "v"
    _ok(capsys, "install", "--venv", str(venv), *index_args, "--no-deps", "dependent")
    oracle = uv_venv_with(isolated / "uv", wheelhouse, "--no-deps", "dependent")
    assert uv_freeze(venv) == uv_freeze(oracle) == ["dependent==1.0"]


def test_reinstall_links_the_resolution_again_from_the_store(capsys, isolated, index_args, wheelhouse, store_root, uv_log):
    venv, oracle = isolated / "v", uv_venv_with(isolated / "uv", wheelhouse, "alpha", "versioned")
    _ok(capsys, "install", "--venv", str(venv), *index_args, "alpha", "versioned")
    stored = snapshot(store_root / "v2" / "entries")
    fetches = uv_log.read_text().count("pip install")
    # A file of the venv's copy of alpha's dist-info, gone: a reinstall puts it back.
    dist_info = site_packages(venv) / "alpha-1.0.dist-info"
    (dist_info / "INSTALLER").unlink()

    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--reinstall", "alpha")
    expected = _uv_install(oracle, *index_args, "--reinstall", "alpha")
    assert _changes(output) == _changes(expected) == [" ~ alpha==1.0", " ~ beta==1.0"]
    assert (dist_info / "INSTALLER").is_file()

    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--reinstall-package", "beta", "alpha")
    expected = _uv_install(oracle, *index_args, "--reinstall-package", "beta", "alpha")
    assert _changes(output) == _changes(expected) == [" ~ beta==1.0"]
    # Not in the resolution of the request: left alone, as uv leaves it.
    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--reinstall-package", "versioned", "alpha")
    expected = _uv_install(oracle, *index_args, "--reinstall-package", "versioned", "alpha")
    assert _changes(output) == _changes(expected) == []

    assert snapshot(store_root / "v2" / "entries") == stored  # re-linked, not stored again
    assert uv_log.read_text().count("pip install") == fetches
    assert uv_freeze(venv) == uv_freeze(oracle)


def test_upgrade_package_moves_that_package_only(capsys, isolated, index_args, wheelhouse):
    venv, oracle = isolated / "v", uv_venv_with(isolated / "uv", wheelhouse, "versioned==1.0", "alpha")
    _ok(capsys, "install", "--venv", str(venv), *index_args, "versioned==1.0", "alpha")
    _ok(capsys, "install", "--venv", str(venv), *index_args, "versioned")
    assert "versioned==1.0" in uv_freeze(venv)  # what the venv has is preferred
    for option in ("-P", "--upgrade-package"):
        output = _ok(capsys, "install", "--venv", str(venv), *index_args, option, "versioned", "versioned", "alpha")
        expected = _uv_install(oracle, *index_args, option, "versioned", "versioned", "alpha")
        assert uv_freeze(venv) == uv_freeze(oracle)
        assert "versioned==2.0" in uv_freeze(venv)
    assert _changes(output) == _changes(expected) == []


def test_dry_run_says_what_would_change_and_changes_nothing(capsys, isolated, index_args, wheelhouse, store_root):
    venv, oracle = isolated / "v", uv_venv_with(isolated / "uv", wheelhouse, "versioned==1.0")
    _ok(capsys, "install", "--venv", str(venv), *index_args, "versioned==1.0")
    before = snapshot(venv), snapshot(store_root)

    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--dry-run", "-U", "versioned", "alpha")
    expected = _uv_install(oracle, *index_args, "--dry-run", "-U", "versioned", "alpha")
    assert _changes(output) == _changes(expected) == [
        " + alpha==1.0", " + beta==1.0", " - versioned==1.0", " + versioned==2.0",
    ]
    assert "Would store 3 packages" in output and "Would uninstall 1 package" in output
    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--dry-run", "versioned")
    assert "Would make no changes" in output
    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--dry-run", "--reinstall", "versioned")
    assert _changes(output) == [" ~ versioned==1.0"]
    assert (snapshot(venv), snapshot(store_root)) == before
    assert uv_freeze(oracle) == ["versioned==1.0"]  # uv's dry run too

    result = run_pepip(["install", "--venv", str(isolated / "new"), *index_args, "--dry-run", "alpha"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and "no venv at" in result.stderr
    assert not (isolated / "new").exists()


def test_offline_uses_local_locations_only(capsys, isolated, wheelhouse, monkeypatch):
    """An index that cannot be reached stops an install, unless --offline (or UV_OFFLINE) says
    not to ask it, as with uv."""
    monkeypatch.delenv("UV_OFFLINE")
    args = ["--index-url", "http://127.0.0.1:9/simple", "--find-links", str(wheelhouse), "alpha"]
    result = run_pepip(["install", "--venv", str(isolated / "a"), *args], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1
    _ok(capsys, "install", "--venv", str(isolated / "a"), "--offline", *args)
    monkeypatch.setenv("UV_OFFLINE", "1")
    _ok(capsys, "install", "--venv", str(isolated / "b"), "--refresh", *args)
    oracle = _uv_venv(isolated / "uv")
    _uv_install(oracle, "--offline", *args)
    assert uv_freeze(isolated / "a") == uv_freeze(isolated / "b") == uv_freeze(oracle) == ["alpha==1.0", "beta==1.0"]


_IMPORTING_BACKEND = '''"""A backend that needs `beta` at build time, and declares no build requirement."""
import beta
''' + OFFLINE_BACKEND + '''
def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = os.path.join(metadata_directory, "needsbeta-0.1.dist-info")
    os.makedirs(dist_info)
    with open(os.path.join(dist_info, "METADATA"), "w") as handle:
        handle.write("Metadata-Version: 2.1\\nName: needsbeta\\nVersion: 0.1\\n")
    return "needsbeta-0.1.dist-info"

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, "needsbeta", {"needsbeta.py": ("BUILT_WITH = %r\\n" % beta.NAME).encode()})
'''


def test_no_build_isolation_builds_with_the_venvs_packages(capsys, isolated, index_args, wheelhouse):
    project = isolated / "work" / "needsbeta"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "needsbeta"\nversion = "0.1"\n'
        '[build-system]\nrequires = []\nbuild-backend = "importing_backend"\nbackend-path = ["."]\n'
    )
    (project / "importing_backend.py").write_text(_IMPORTING_BACKEND)
    venv = isolated / "v"
    _ok(capsys, "install", "--venv", str(venv), *index_args, "beta")
    result = run_pepip(["install", "--venv", str(venv), *index_args, "./needsbeta"], capsys)
    assert result.exit_code == 1 and "No module named 'beta'" in result.stderr  # isolated: beta is not there
    _ok(capsys, "install", "--venv", str(venv), *index_args, "--no-build-isolation", "./needsbeta")
    assert venv_run(venv, "import needsbeta; print(needsbeta.BUILT_WITH)") == "beta"
    oracle = uv_venv_with(isolated / "uv", wheelhouse, "beta")
    _uv_install(oracle, *index_args, "--no-build-isolation", "./needsbeta")
    assert uv_freeze(venv) == uv_freeze(oracle)


def _simple_index(root: Path, wheels: list[Path]) -> str:
    """A PEP 503 index in ``root`` serving ``wheels``, as a ``file:`` URL."""
    for wheel in wheels:
        name = wheel.name.split("-")[0].replace("_", "-")
        page = root / "simple" / name
        page.mkdir(parents=True, exist_ok=True)
        (root / "files").mkdir(exist_ok=True)
        (root / "files" / wheel.name).write_bytes(wheel.read_bytes())
        links = "".join('<a href="../../files/%s">%s</a>\n' % (w.name, w.name) for w in (root / "files").iterdir())
        (page / "index.html").write_text("<html><body>\n%s</body></html>\n" % links)
    return (root / "simple").as_uri()


def test_index_strategy_as_uv_applies_it(capsys, isolated, wheelhouse, uv_log):
    first = _simple_index(isolated / "first", [wheelhouse / "versioned-1.0-py3-none-any.whl"])
    second = _simple_index(isolated / "second", [wheelhouse / "versioned-2.0-py3-none-any.whl"])
    indexes = ["--extra-index-url", first, "--index-url", second]
    _ok(capsys, "install", "--venv", str(isolated / "a"), *indexes, "versioned")
    strategy = ["--index-strategy", "unsafe-best-match"]
    _ok(capsys, "install", "--venv", str(isolated / "b"), *indexes, *strategy, "versioned")
    assert any("--index-strategy unsafe-best-match" in line for line in uv_log.read_text().splitlines())
    for venv, extra in ((isolated / "a", []), (isolated / "b", strategy)):
        oracle = _uv_venv(isolated / ("uv-" + venv.name))
        _uv_install(oracle, *indexes, *extra, "versioned")
        assert uv_freeze(venv) == uv_freeze(oracle)
    assert uv_freeze(isolated / "a") == ["versioned==1.0"] and uv_freeze(isolated / "b") == ["versioned==2.0"]


def test_torch_backend_reaches_uv(capsys, isolated, index_args, uv_log):
    _ok(capsys, "install", "--venv", str(isolated / "v"), *index_args, "--torch-backend", "cpu", "alpha")
    assert any(
        line.startswith("pip compile") and "--torch-backend cpu" in line for line in uv_log.read_text().splitlines()
    )


@pytest.mark.parametrize(("args", "fragment"), [
    (["--index-strategy", "best"], "--index-strategy must be one of first-index, unsafe-first-match"),
    (["--torch-backend", "cuda"], "--torch-backend must be auto, cpu"),
    (["-P", "x>1", "alpha"], "`x>1` is not a package name"),
])
def test_bad_option_values_are_one_line(capsys, isolated, index_args, args, fragment):
    result = run_pepip(["install", "--venv", str(isolated / "v"), *index_args, *args, "alpha"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and fragment in result.stderr
    assert not (isolated / "v").exists()


def test_group_installs_a_dependency_group_of_the_project(capsys, isolated, index_args, wheelhouse):
    (isolated / "work" / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1"\ndependencies = ["versioned"]\n'
        '[dependency-groups]\ndev = ["alpha"]\npinned = ["versioned==1.0", {include-group = "dev"}]\n'
    )
    venv = isolated / "v"
    _ok(capsys, "install", "--venv", str(venv), *index_args, "--group", "pinned")
    oracle = _uv_venv(isolated / "uv")
    _uv_install(oracle, *index_args, "--group", "pinned")
    assert uv_freeze(venv) == uv_freeze(oracle) == ["alpha==1.0", "beta==1.0", "versioned==1.0"]
    # A group edited within a remembered resolution's lifetime is read again.
    (isolated / "work" / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0.1"\n[dependency-groups]\npinned = ["versioned==2.0", "typedpkg"]\n'
    )
    _ok(capsys, "install", "--venv", str(isolated / "v2"), *index_args, "--group", "pinned")
    assert uv_freeze(isolated / "v2") == ["typedpkg==1.0", "versioned==2.0"]
    # PATH:NAME, with a request beside it.
    _ok(capsys, "install", "--venv", str(venv), *index_args, "--group", "pyproject.toml:pinned", "beta")
    _uv_install(oracle, *index_args, "--group", "pyproject.toml:pinned", "beta")
    assert uv_freeze(venv) == uv_freeze(oracle)
    assert "versioned==2.0" in uv_freeze(venv) and "typedpkg==1.0" in uv_freeze(venv)

    result = run_pepip(["install", "--venv", str(venv), *index_args, "--group", "nope"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and "nope" in result.stderr


@pytest.mark.parametrize("option", ["--target=t", "--prefix=p", "--system", "--link-mode=copy", "--exact", "--user"])
def test_uv_options_that_mean_nothing_with_a_store_are_refused_with_why(capsys, isolated, index_args, option):
    result = run_pepip(["install", "--venv", str(isolated / "v"), *index_args, option, "alpha"], capsys)
    name = option.partition("=")[0]
    assert result.exit_code == 2 and len(result.error_lines) == 1
    assert result.error_lines[0].startswith("pepip: error: %s is uv's, and pepip does not take it: " % name)
    assert not (isolated / "v").exists()


# --- URL requests ---------------------------------------------------------------------------

def test_a_wheel_url_alone_or_named_is_stored_under_the_artifacts_identity(capsys, isolated, index_args, store_root):
    wheel = build_wheel(isolated, "six", "1.17.0", {"six.py": "WHERE = 'url'\n"}, tag="py2.py3-none-any")
    url = wheel.as_uri()
    _ok(capsys, "install", "--venv", str(isolated / "bare"), "--no-index", url)
    _ok(capsys, "install", "--venv", str(isolated / "named"), "--no-index", "six @ " + url)
    oracle = _uv_venv(isolated / "uv")
    _uv_install(oracle, "--no-index", url)
    assert uv_freeze(isolated / "bare") == uv_freeze(isolated / "named") == uv_freeze(oracle) == ["six @ " + url]
    assert venv_run(isolated / "bare", "import six; print(six.WHERE)") == "url"
    (entry,) = store_entries(store_root)
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    identity = "%s#sha256:%s" % (url, digest)  # an archive: its URL and its hash
    assert "artifact=%s\n" % identity in (entry / "ENTRY").read_text()
    assert entry.name.endswith(identity_key(identity))
    # The same bytes from a --find-links folder are another installation (no direct_url.json).
    (isolated / "links").mkdir()
    (isolated / "links" / wheel.name).write_bytes(wheel.read_bytes())
    _ok(capsys, "install", "--venv", str(isolated / "index"), "--no-index", "-f", str(isolated / "links"), "six")
    assert uv_freeze(isolated / "index") == ["six==1.17.0"]
    assert len(store_entries(store_root)) == 2
    freeze = run_pepip(["freeze", "--venv", str(isolated / "bare")], capsys).stdout
    assert freeze.splitlines() == ["six @ " + url]
    # The request is kept under its name: asking for six again changes nothing.
    output = _ok(capsys, "install", "--venv", str(isolated / "bare"), "--no-index", url)
    assert "nothing to change" in output


def _git(repo: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main", *args],
        cwd=repo, capture_output=True, text=True, check=True,
    )
    return completed.stdout.strip()


_GIT_BACKEND = '''"""A PEP 517 backend that builds plain wheels offline (tests only)."""
''' + OFFLINE_BACKEND + '''
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, "gitproj", {"gitproj.py": open("gitproj.py", "rb").read()}, ["beta"])
'''


@pytest.fixture
def git_repo(isolated: Path) -> Path:
    """A git repository of a project that builds offline (an in-tree backend), one commit."""
    repo = isolated / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "gitproj"\nversion = "0.1"\ndependencies = ["beta"]\n'
        '[build-system]\nrequires = []\nbuild-backend = "git_backend"\nbackend-path = ["."]\n'
    )
    (repo / "git_backend.py").write_text(_GIT_BACKEND)
    (repo / "gitproj.py").write_text("WHERE = 'first'\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "first")
    return repo


def test_a_git_url_alone_is_built_and_stored_by_commit(capsys, isolated, index_args, git_repo, store_root):
    url = "git+" + git_repo.as_uri()
    commit = _git(git_repo, "rev-parse", "HEAD")
    venv = isolated / "v"
    _ok(capsys, "install", "--venv", str(venv), *index_args, url)
    oracle = _uv_venv(isolated / "uv")
    _uv_install(oracle, *index_args, url)
    assert uv_freeze(venv) == uv_freeze(oracle) == ["beta==1.0", "gitproj @ %s@%s" % (url, commit)]
    freeze = run_pepip(["freeze", "--venv", str(venv)], capsys).stdout
    assert "gitproj @ %s@%s" % (url, commit) in freeze.splitlines()
    (entry,) = [path for path in store_entries(store_root) if path.parent.parent.name == "gitproj"]
    identity = "%s@%s" % (git_repo.as_uri(), commit)  # a VCS artifact: its URL and commit
    assert "artifact=%s\n" % identity in (entry / "ENTRY").read_text()
    assert entry.name.endswith(identity_key(identity))

    # A new commit on the branch, a new venv (the same inputs as the first install): resolved
    # anew, as uv does (no remembered resolution stands for a branch).
    (git_repo / "gitproj.py").write_text("WHERE = 'second'\n")
    _git(git_repo, "commit", "-q", "-am", "second")
    second = _git(git_repo, "rev-parse", "HEAD")
    venv = isolated / "v2"
    _ok(capsys, "install", "--venv", str(venv), *index_args, url)
    oracle = _uv_venv(isolated / "uv2")
    _uv_install(oracle, *index_args, url)
    assert uv_freeze(venv) == uv_freeze(oracle) == ["beta==1.0", "gitproj @ %s@%s" % (url, second)]
    assert venv_run(venv, "import gitproj; print(gitproj.WHERE)") == "second"
    assert len([path for path in store_entries(store_root) if path.parent.parent.name == "gitproj"]) == 2

    # The first commit, by its id: linked from the store.
    _ok(capsys, "install", "--venv", str(isolated / "w"), *index_args, "gitproj @ %s@%s" % (url, commit))
    assert venv_run(isolated / "w", "import gitproj; print(gitproj.WHERE)") == "first"
    freeze = run_pepip(["freeze", "--venv", str(isolated / "w")], capsys).stdout
    assert "gitproj @ %s@%s" % (url, commit) in freeze.splitlines()  # as uv prints it, not file://
    assert len([path for path in store_entries(store_root) if path.parent.parent.name == "gitproj"]) == 2


@pytest.fixture
def wheel_server(isolated: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on this machine, and its URL: a remote wheel URL without the
    network."""
    served = isolated / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, "http://127.0.0.1:%d" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_remote_wheel_url_is_stored_under_its_url_and_hash(capsys, isolated, wheel_server, store_root, monkeypatch):
    monkeypatch.delenv("UV_OFFLINE")  # the server is on this machine
    served, base = wheel_server
    wheel = build_wheel(served, "six", "1.17.0", {"six.py": "WHERE = 'http'\n"}, tag="py2.py3-none-any")
    url = "%s/%s" % (base, wheel.name)
    _ok(capsys, "install", "--venv", str(isolated / "v"), "--no-index", url)
    oracle = _uv_venv(isolated / "uv")
    _uv_install(oracle, "--no-index", url)
    assert uv_freeze(isolated / "v") == uv_freeze(oracle) == ["six @ " + url]
    assert venv_run(isolated / "v", "import six; print(six.WHERE)") == "http"
    (entry,) = store_entries(store_root)
    identity = "%s#sha256:%s" % (url, hashlib.sha256(wheel.read_bytes()).hexdigest())
    assert "artifact=%s\n" % identity in (entry / "ENTRY").read_text()
    # A second venv asking by name: linked from the store.
    output = _ok(capsys, "install", "--venv", str(isolated / "w"), "--no-index", "six @ " + url)
    assert "Stored" not in output and uv_freeze(isolated / "w") == ["six @ " + url]


def test_reinstall_replaces_what_uv_installed_with_the_stores(capsys, isolated, index_args):
    venv = isolated / "v"
    _ok(capsys, "install", "--venv", str(venv), *index_args, "alpha")
    _uv_install(venv, *index_args, "versioned")  # beside pepip's packages, into site-packages
    dist_info = site_packages(venv) / "versioned-2.0.dist-info"
    assert (dist_info / "INSTALLER").read_text().strip() == "uv"
    output = _ok(capsys, "install", "--venv", str(venv), *index_args, "--reinstall", "versioned")
    assert _changes(output) == [" ~ versioned==2.0"]
    assert (dist_info / "INSTALLER").read_text().strip() == "pepip"
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "2.0"
