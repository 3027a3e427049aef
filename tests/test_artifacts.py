"""A venv gets exactly the artifact it asked for, as uv would install it (issue: store identity).

Entries are keyed by the artifact they were built from; ``--hash`` and ``--require-hashes``
work as in ``uv pip install``; uv's settings reach what uv decides and change remembered
resolutions; files of uv's cache and of other tools' venvs keep their contents and modes;
``store verify`` covers bytecode and ``ENTRY``.
"""

from __future__ import annotations

import hashlib
import os
import py_compile
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, run_pepip, snapshot, store_entries, venv_run
from pepip.locations import find_uv


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def two_builds(tmp_path: Path) -> tuple[Path, Path]:
    """Two find-links folders, each with its own build of ``dup`` 1.0 (same file name)."""
    first, second = tmp_path / "builds-a", tmp_path / "builds-b"
    for folder, origin in ((first, "a"), (second, "b")):
        folder.mkdir()
        build_wheel(folder, "dup", "1.0", {"dup.py": "ORIGIN = %r\n" % origin})
    return first, second


def _uv_installs(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if line.startswith("pip install")]


def test_a_patched_local_build_is_not_served_for_the_index_pin(pepip, isolated, wheelhouse, index_args, store_root):
    patched_dir = isolated / "patched"
    patched_dir.mkdir()
    patched = build_wheel(patched_dir, "versioned", "1.0", {"versioned.py": "VERSION = 'patched'\n"})
    x, y = isolated / "x", isolated / "y"
    pepip.ok("install", "--venv", str(x), "--no-index", "versioned @ %s" % patched.as_uri())
    pepip.ok("install", "--venv", str(y), *index_args, "versioned==1.0")
    assert venv_run(x, "import versioned; print(versioned.VERSION)") == "patched"
    assert venv_run(y, "import versioned; print(versioned.VERSION)") == "1.0"
    builds = [path for path in store_entries(store_root) if path.parent.parent.name == "versioned"]
    assert len(builds) == 2  # the two builds of one version live side by side
    assert venv_run(x, "import importlib.metadata as m; print(m.distribution('versioned').read_text('direct_url.json'))").startswith("{")


def test_two_find_links_builds_of_one_version_stay_apart(pepip, isolated, two_builds, uv_log):
    first, second = two_builds
    x, y, z = isolated / "x", isolated / "y", isolated / "z"
    pepip.ok("install", "--venv", str(x), "--no-index", "-f", str(first), "dup")
    pepip.ok("install", "--venv", str(y), "--no-index", "-f", str(second), "dup")
    assert venv_run(x, "import dup; print(dup.ORIGIN)") == "a"
    assert venv_run(y, "import dup; print(dup.ORIGIN)") == "b"
    installs = len(_uv_installs(uv_log))
    pepip.ok("install", "--venv", str(z), "--no-index", "-f", str(first), "dup")
    assert venv_run(z, "import dup; print(dup.ORIGIN)") == "a"
    assert len(_uv_installs(uv_log)) == installs  # the same artifact again: no uv install call


def test_a_wrong_hash_fails_in_one_line_and_changes_nothing(pepip, isolated, venv, wheelhouse, index_args, store_root):
    pepip.ok("install", *index_args, "beta")
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("versioned==1.0 --hash=sha256:%s\n" % ("0" * 64))
    before = (snapshot(venv), snapshot(store_root))
    line = pepip.fails("install", *index_args, "-r", str(requirements))
    assert "hash mismatch for versioned==1.0" in line and "0" * 64 in line
    assert (snapshot(venv), snapshot(store_root)) == before


def test_require_hashes_from_a_file_the_option_and_uv_environment(pepip, monkeypatch, isolated, venv, index_args):
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("--require-hashes\nbeta==1.0\n")
    assert "--require-hashes" in pepip.fails("install", *index_args, "-r", str(requirements))
    requirements.write_text("beta==1.0\n")
    assert "beta==1.0" in pepip.fails("install", *index_args, "--require-hashes", "-r", str(requirements))
    monkeypatch.setenv("UV_REQUIRE_HASHES", "1")
    assert "--require-hashes" in pepip.fails("install", *index_args, "beta")
    assert not venv.exists()


def test_a_right_hash_installs_and_a_store_hit_is_checked_against_it(pepip, isolated, two_builds, uv_log):
    first, second = two_builds
    pepip.ok("install", "--venv", str(isolated / "x"), "--no-index", "-f", str(first), "dup")
    requirements = isolated / "work" / "requirements.txt"
    calls = len(_uv_installs(uv_log))
    requirements.write_text("dup==1.0 --hash=sha256:%s\n" % _sha256(next(first.iterdir())))
    y = isolated / "y"
    pepip.ok("install", "--venv", str(y), "--no-index", "-f", str(first), "-r", str(requirements))
    assert venv_run(y, "import dup; print(dup.ORIGIN)") == "a"
    assert len(_uv_installs(uv_log)) == calls  # served from the store, after the hash check
    requirements.write_text("dup==1.0 --hash=sha256:%s\n" % _sha256(next(second.iterdir())))
    line = pepip.fails("install", "--venv", str(isolated / "z"), "--no-index", "-f", str(first), "-r", str(requirements))
    assert "hash mismatch for dup==1.0" in line


def _files_by_inode(root: Path) -> dict[tuple[int, int], str]:
    found = {}
    for directory, _subdirs, files in os.walk(root):
        for name in files:
            info = os.lstat(os.path.join(directory, name))
            found[(info.st_dev, info.st_ino)] = os.path.join(directory, name)
    return found


def test_uv_link_mode_setting_does_not_reach_the_store(pepip, monkeypatch, isolated, index_args, store_root):
    monkeypatch.setenv("UV_LINK_MODE", "symlink")
    monkeypatch.delenv("UV_NO_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated / "config"))
    (isolated / "work" / "uv.toml").write_text('link-mode = "symlink"\n')
    pepip.ok("install", *index_args, "alpha", "tool")
    cache = _files_by_inode(Path(os.environ["UV_CACHE_DIR"]))
    for entry in store_entries(store_root):
        for directory, _subdirs, files in os.walk(entry):
            for name in files:
                info = os.lstat(os.path.join(directory, name))
                assert stat.S_ISREG(info.st_mode), os.path.join(directory, name)
                assert (info.st_dev, info.st_ino) not in cache  # owned by the store, not uv's cache
    assert venv_run(isolated / "work" / ".venv", "import alpha, tool; print('ok')") == "ok"


def test_installing_changes_no_file_of_uv_cache_or_of_a_uv_venv(pepip, isolated, index_args):
    uv = str(find_uv(os.environ))
    plain = isolated / "plain-uv-venv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(plain)], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(plain / "bin" / "python"), *index_args, "alpha"], check=True)
    cache = Path(os.environ["UV_CACHE_DIR"])
    before_venv, before_cache = snapshot(plain), snapshot(cache)
    pepip.ok("install", *index_args, "alpha")
    assert snapshot(plain) == before_venv
    after_cache = snapshot(cache)  # uv's own resolution may add to its cache, but changes nothing
    assert {path: after_cache.get(path) for path in before_cache} == before_cache
    site = next(plain.glob("lib/python*/site-packages"))
    assert os.access(site / "alpha" / "__init__.py", os.W_OK)


@pytest.mark.parametrize("how", ["environment", "uv.toml"])
def test_uv_settings_are_part_of_a_remembered_resolution(pepip, monkeypatch, isolated, index_args, how):
    pepip.ok("install", "--venv", str(isolated / "x"), *index_args, "versioned")
    assert venv_run(isolated / "x", "import versioned; print(versioned.VERSION)") == "2.0"
    if how == "environment":
        monkeypatch.setenv("UV_RESOLUTION", "lowest")
    else:
        monkeypatch.delenv("UV_NO_CONFIG")
        monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated / "config"))
        (isolated / "work" / "uv.toml").write_text('[pip]\nresolution = "lowest"\n')
    stderr = pepip.ok("install", "--venv", str(isolated / "y"), *index_args, "versioned").stderr
    assert "(remembered)" not in stderr
    assert venv_run(isolated / "y", "import versioned; print(versioned.VERSION)") == "1.0"  # as uv resolves


def _entry_of(store_root: Path, name: str) -> Path:
    (found,) = [path for path in store_entries(store_root) if path.parent.parent.name == name]
    return found


def _forge_bytecode(pyc: Path, source: Path, forged_source: str) -> None:
    """Replace ``pyc`` by the bytecode of other code under the same 16-byte header."""
    header = pyc.read_bytes()[:16]
    other = source.parent / "forged_tmp.py"
    os.chmod(source.parent, 0o755)
    os.chmod(pyc.parent, 0o755)
    other.write_text(forged_source)
    compiled = Path(py_compile.compile(str(other), cfile=str(source.parent / "forged.pyc")))
    body = compiled.read_bytes()[16:]
    compiled.unlink()
    other.unlink()
    pyc.unlink()
    pyc.write_bytes(header + body)


def test_verify_doctor_and_repair_catch_forged_bytecode(pepip, capsys, isolated, venv, index_args, store_root):
    pepip.ok("install", *index_args, "versioned==1.0")
    entry = _entry_of(store_root, "versioned")
    source = entry / "site" / "versioned.py"
    (pyc,) = (entry / "site" / "__pycache__").glob("versioned.*.pyc")
    _forge_bytecode(pyc, source, "VERSION = 'forged'\n")
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "forged"  # it runs

    verified = run_pepip(["store", "verify"], capsys)
    assert verified.exit_code == 1
    assert "%s: modified file site/__pycache__/%s" % (entry, pyc.name) in verified.stdout
    doctor = run_pepip(["doctor"], capsys)
    assert doctor.exit_code == 1 and "versioned 1.0: store entry %s is damaged" % entry in doctor.stderr
    pepip.ok("repair", *index_args)
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "1.0"
    assert run_pepip(["store", "verify"], capsys).exit_code == 0


def test_verify_catches_forged_lazily_written_bytecode(pepip, capsys, monkeypatch, isolated, venv, index_args, store_root):
    monkeypatch.setenv("PEPIP_BYTECODE", "lazy")
    pepip.ok("install", *index_args, "versioned==1.0")
    venv_run(venv, "import versioned", env={"PYTHONDONTWRITEBYTECODE": ""})
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    entry = _entry_of(store_root, "versioned")
    (pyc,) = (entry / "site" / "__pycache__").glob("versioned.*.pyc")
    assert run_pepip(["store", "verify"], capsys).exit_code == 0  # Python's own bytecode is fine
    _forge_bytecode(pyc, entry / "site" / "versioned.py", "VERSION = 'forged'\n")
    verified = run_pepip(["store", "verify"], capsys)
    assert verified.exit_code == 1 and "modified file site/__pycache__/%s" % pyc.name in verified.stdout


def test_verify_names_a_changed_entry_file(pepip, capsys, venv, index_args, store_root):
    pepip.ok("install", *index_args, "alpha")
    entry = _entry_of(store_root, "alpha")
    os.chmod(entry, 0o755)
    facts = (entry / "ENTRY").read_text()
    (entry / "ENTRY").unlink()
    (entry / "ENTRY").write_text(facts.replace("top_level=alpha", "top_level=alpha,six"))
    verified = run_pepip(["store", "verify"], capsys)
    assert verified.exit_code == 1
    assert "%s: mismatched file ENTRY (top_level)" % entry in verified.stdout


def test_an_older_store_layout_is_reported_and_its_venvs_relinked_by_repair(pepip, capsys, venv, index_args, store_root):
    pepip.ok("install", *index_args, "alpha")
    # A venv wired by an older pepip, from a copy of the entry in that pepip's layout.
    entry = _entry_of(store_root, "alpha")
    old = store_root / "v1" / entry.relative_to(store_root / "v2")
    shutil.copytree(entry, old, symlinks=True)
    manifest = venv / "pepip-manifest.txt"
    manifest.write_text(manifest.read_text().replace(str(entry), str(old)))
    doctor = run_pepip(["doctor"], capsys)
    assert "an entry of an older pepip's store layout; run `pepip repair`" in doctor.stderr
    warning = [line for line in run_pepip(["repair", *index_args], capsys).error_lines if "v1" in line]
    assert len(warning) == 1 and "run `pepip repair` in each venv made with it" in warning[0]
    assert str(old) not in manifest.read_text() and str(entry) in manifest.read_text()
    assert venv_run(venv, "import alpha; print(alpha.NAME)") == "alpha"


def test_the_artifact_uv_would_install_is_chosen():
    """The best-ranked compatible wheel, else the sdist; only artifacts of allowed hashes."""
    from pepip.artifacts import Artifact, LockedPackage, NormalizedName
    from pepip.selection import HashPolicy, choose_pins

    base = "https://files.example/"
    pure = Artifact("wheel", base + "pkg-1.0-py3-none-any.whl", sha256="a" * 64)
    native = Artifact("wheel", base + "pkg-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", sha256="b" * 64)
    sdist = Artifact("sdist", base + "pkg-1.0.tar.gz", sha256="c" * 64)
    package = LockedPackage(NormalizedName("pkg"), "1.0", (pure, native, sdist))
    priority = {"cp311-cp311-manylinux_2_17_x86_64": 0, "py3-none-any": 5}
    assert choose_pins([package], priority, HashPolicy())[0].artifact == native
    assert choose_pins([package], {"py3-none-any": 0}, HashPolicy())[0].artifact == pure
    assert choose_pins([package], {}, HashPolicy())[0].artifact == sdist
    only_sdist = HashPolicy(by_name={"pkg": frozenset({"sha256:" + "c" * 64})})
    [pin] = choose_pins([package], priority, only_sdist)
    assert pin.artifact == sdist and pin.spec == "pkg==1.0" and pin.url is None
    for artifact in (pure, sdist, Artifact("directory", "/src/p", True, tree="d" * 32, extra=(("editable", "false"),))):
        assert Artifact.from_text(artifact.to_text()) == artifact


@pytest.mark.parametrize("filename", [
    "six-1.16.0-py2.py3-none-any.whl",
    "numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    "pkg-1.0-1build-cp38.cp39-abi3-macosx_11_0_ARM64.whl",
    "not-a-wheel.tar.gz",
    "too-few.whl",
])
def test_wheel_tags_are_packagings(filename):
    """The tags read without importing packaging.tags are the ones packaging reads."""
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    from pepip.artifacts import Artifact

    try:
        expected = sorted(str(tag) for tag in parse_wheel_filename(filename)[3])
    except InvalidWheelFilename:
        expected = []
    kind = "wheel" if filename.endswith(".whl") else "sdist"
    assert sorted(Artifact(kind, "https://example.invalid/" + filename, "0" * 64).wheel_tags() or []) == expected


@pytest.mark.parametrize("text", ["numpy", "Foo.Bar_baz", "a", "A-1", "x__y", "numpy>=2", "pkg[extra]", "n ; python_version>'3'", "-r", ".x", "x-"])
def test_bare_names_and_normalized_names_are_packagings(text):
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    from pepip.artifacts import normalized
    from pepip.uv.requests import is_bare_name

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        assert not is_bare_name(text)
        return
    bare = not (requirement.specifier or requirement.extras or requirement.marker or requirement.url)
    assert is_bare_name(text) == (bare and requirement.name == text)
    assert normalized(requirement.name) == canonicalize_name(requirement.name)


@pytest.mark.parametrize(("relative", "counts"), [
    ("src/pkg/build/x.py", True),  # a subpackage named like build output is code
    ("src/pkg/dist/x.py", True),
    ("pkg/venv/x.py", True),
    ("build/lib/pkg/x.py", False),  # the project root's build output is not
    ("dist/pkg-1.0.tar.gz", False),
    (".venv/bin/python", False),
    ("src/pkg/__pycache__/x.cpython-311.pyc", False),  # bytecode and VCS data: at any depth
    ("src/.git/HEAD", False),
    ("src/pkg.egg-info/PKG-INFO", False),
    ("src/pkg/x.py", True),
])
def test_tree_digest_counts_code_at_any_depth_and_skips_root_build_output(tmp_path, relative, counts):
    from pepip.artifacts import tree_digest

    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'pkg'\n")
    before = tree_digest(tmp_path)
    (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / relative).write_text("x\n")
    assert (tree_digest(tmp_path) != before) == counts


def _inodes(root: Path) -> set[tuple[int, int]]:
    return set(_files_by_inode(root)) if root.is_dir() else set()


def test_entries_share_their_files_with_pepips_uv_cache_and_the_users_gets_nothing(pepip, isolated, tmp_path, monkeypatch):
    """A wheel is unpacked once: the resolution and the fetch use pepip's own uv cache, and
    the entry keeps the cache's files (one inode each). The user's uv cache is not written."""
    house = tmp_path / "house"
    house.mkdir()
    build_wheel(house, "bulky", "1.0", {"bulky/__init__.py": "", "bulky/data.py": "DATA = %r\n" % ("x" * 50000)})
    users = isolated / "users-uv-cache"
    monkeypatch.setenv("UV_CACHE_DIR", str(users))
    pepips = Path(os.environ["PEPIP_CACHE_DIR"])
    pepip.ok("install", "--no-index", "--find-links", str(house), "bulky")
    [entry] = [path for path in store_entries(isolated / "store") if path.parent.parent.name == "bulky"]
    stored = entry / "site" / "bulky" / "data.py"
    assert os.stat(stored).st_nlink == 2
    assert (os.stat(stored).st_dev, os.stat(stored).st_ino) in _inodes(pepips)
    assert not any(name.endswith("data.py") for name in _files_by_inode(users).values()) if users.is_dir() else True
    # Pruned, the entry's files leave the cache too: its disk space comes back.
    (isolated / "work" / ".venv").rename(isolated / "gone")
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    pepip.ok("store", "prune")
    assert not any(name.endswith("bulky/data.py") for name in _files_by_inode(pepips).values())


def test_a_team_stores_entries_own_their_files(pepip, isolated, tmp_path, monkeypatch):
    """In a store others may write, no entry file is another name of a cache file: the
    cache stays the user's alone."""
    house = tmp_path / "house"
    house.mkdir()
    build_wheel(house, "bulky", "1.0", {"bulky/__init__.py": "X = 1\n"})
    store = isolated / "store"
    store.mkdir(mode=0o775)
    os.chmod(store, 0o2775)
    pepip.ok("install", "--no-index", "--find-links", str(house), "bulky")
    [entry] = [path for path in store_entries(store) if path.parent.parent.name == "bulky"]
    assert os.stat(entry / "site" / "bulky" / "__init__.py").st_nlink == 1
