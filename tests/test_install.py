"""`pepip install` end to end: real uv, real wheels, a real venv, imports in a subprocess."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import WINDOWS, bin_dir, run_pepip, site_packages, store_entries, venv_python, venv_run


@pytest.mark.windows
def test_regular_package_and_dependency_import_from_store(pepip, venv, index_args, store_root):
    pepip.ok("install", *index_args, "alpha")
    out = venv_run(venv, "import alpha, alpha.sub, beta; print(alpha.__file__); print(beta.__file__)")
    alpha_file, beta_file = out.splitlines()
    assert alpha_file.startswith(str(store_root)) and beta_file.startswith(str(store_root))
    # No code in the venv: only metadata, the runtime and its loader files.
    site = site_packages(venv)
    assert sorted(p.name for p in site.iterdir()) == [
        "_pepip.pth", "_pepip.start", "alpha-1.0.dist-info", "beta-1.0.dist-info", "pepip_runtime",
    ]


@pytest.mark.parametrize("bytecode", ["compile", "auto"])
def test_a_wheel_that_ships_its_own_pycache_installs_like_uv(capsys, venv, isolated, monkeypatch, bytecode):
    """numpy 2.0-2.3 ship a ``__pycache__`` directory: every install of them had crashed."""
    import py_compile

    from helpers import build_wheel, uv_venv_with

    source = isolated / "pycship-src" / "pycship" / "__init__.py"
    source.parent.mkdir(parents=True)
    source.write_text("N = 'shipped'\n")
    compiled = Path(py_compile.compile(str(source), cfile=str(source.parent / "__pycache__" / ("__init__.%s.pyc" % sys.implementation.cache_tag))))
    house = isolated / "house"
    house.mkdir()
    build_wheel(house, "pycship", "1.0", {
        "pycship/__init__.py": source.read_text(),
        "pycship/__pycache__/" + compiled.name: compiled.read_bytes(),
        "pycship/sub/__init__.py": "",
        "pycship/sub/__pycache__/stale.pyc": b"not bytecode",
    })
    monkeypatch.setenv("PEPIP_BYTECODE", bytecode)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)  # Python may rewrite a stale one
    result = run_pepip(["install", "--no-index", "--find-links", str(house), "pycship"], capsys)
    assert result.exit_code == 0, result.stderr
    uv_venv = uv_venv_with(isolated / "uv-venv", house, "pycship")
    code = "import pycship, pycship.sub; print(pycship.N)"
    assert venv_run(venv, code) == venv_run(uv_venv, code) == "shipped"
    verify = run_pepip(["store", "verify"], capsys)
    assert verify.exit_code == 0, verify.stdout + verify.stderr


@pytest.mark.windows
def test_importlib_metadata_sees_exactly_the_installed_distributions(pepip, venv, index_args):
    pepip.ok("install", *index_args, "alpha", "tool")
    code = (
        "import importlib.metadata as m, json\n"
        "names = sorted(d.metadata['Name'] for d in m.distributions())\n"
        "print(json.dumps({'names': names, 'alpha': m.version('alpha'),"
        " 'requires': m.requires('alpha'),"
        " 'eps': [e.name for e in m.entry_points(group='console_scripts')],"
        " 'files': sorted(str(f) for f in m.files('beta')), 'python': list(__import__('sys').version_info[:2]),"
        " 'pkgs': {k: v for k, v in m.packages_distributions().items() if k in ('alpha', 'beta', 'tool')}}))"
    )
    seen = json.loads(venv_run(venv, code))
    assert seen["names"] == ["alpha", "beta", "tool"]
    assert seen["alpha"] == "1.0"
    assert seen["requires"] == ["beta"]
    assert seen["eps"] == ["tool-cli"]
    assert "beta-1.0.dist-info/METADATA" in seen["files"]
    # Python 3.13's importlib.metadata drops RECORD paths that do not exist where
    # locate_file() points (site-packages); the module lives in the store (how-it-works.md).
    assert "beta.py" in seen["files"] or seen["python"] >= [3, 13]
    # packages_distributions() reads those same paths.
    assert seen["pkgs"] == {"alpha": ["alpha"], "beta": ["beta"], "tool": ["tool"]} or seen["python"] >= [3, 13]


@pytest.mark.windows
def test_pep420_namespace_split_over_two_wheels(pepip, venv, index_args):
    pepip.ok("install", *index_args, "nsa", "nsb")
    assert venv_run(venv, "import nsroot.a, nsroot.b; print(nsroot.a.A + nsroot.b.B)") == "3"


@pytest.mark.windows
def test_pkgutil_namespace_split_over_two_wheels(pepip, venv, index_args):
    pepip.ok("install", *index_args, "pkgns-a", "pkgns-b")
    assert venv_run(venv, "import pkgns.a, pkgns.b; print(pkgns.a.A + pkgns.b.B)") == "3"


@pytest.mark.windows
def test_console_script_data_script_and_data_file(pepip, venv, index_args):
    pepip.ok("install", *index_args, "tool")
    scripts = bin_dir(venv)
    launcher_name = "tool-cli.exe" if WINDOWS else "tool-cli"
    launcher = subprocess.run([str(scripts / launcher_name)], capture_output=True, text=True)
    assert launcher.returncode == 0 and launcher.stdout.strip() == "tool main"
    if WINDOWS:  # an .exe launcher whose #! line names this venv's interpreter
        data = (scripts / launcher_name).read_bytes()
        assert data.startswith(b"MZ") and b"#!%s\n" % str(venv_python(venv)).encode() in data
        raw = subprocess.run([str(venv_python(venv)), str(scripts / "tool-raw")], capture_output=True, text=True)
    else:
        assert (scripts / "tool-cli").read_text().startswith("#!%s" % venv_python(venv))
        raw = subprocess.run([str(scripts / "tool-raw")], capture_output=True, text=True)
        shell = subprocess.run([str(scripts / "tool-sh")], capture_output=True, text=True)
        assert shell.stdout.strip() == "shell-script"
    assert raw.stdout.split() == ["raw", str(venv)]
    assert (scripts / "tool-raw").read_text().startswith("#!%s" % venv_python(venv))
    assert (venv / "share" / "tool" / "config.txt").read_text() == "config\n"


@pytest.mark.windows
def test_console_script_of_second_venv_names_its_own_interpreter(pepip, isolated, index_args):
    pepip.ok("install", *index_args, "--venv", "one", "tool")
    pepip.ok("install", *index_args, "--venv", "two", "tool")
    for name in ("one", "two"):
        text = (bin_dir(isolated / "work" / name) / "tool-raw").read_text()
        assert text.startswith("#!%s" % venv_python(isolated / "work" / name))


@pytest.mark.windows
def test_pth_shipped_inside_a_distribution_takes_effect(pepip, venv, index_args):
    pepip.ok("install", *index_args, "pthship")
    out = venv_run(venv, "import sys, extramod; print(sys.pthship_loaded, extramod.EXTRA)")
    assert out == "True True"


def test_setuptools_nspkg_pth_is_silent_and_its_namespace_imports(pepip, venv, index_args):
    """zope.interface, zope.event and ruamel.yaml ship ``*-nspkg.pth``: no start-up noise."""
    pepip.ok("install", *index_args, "nspkg-a", "nspkg-b")
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import nspkgroot.a, nspkgroot.b; print(nspkgroot.a.VALUE + nspkgroot.b.VALUE)"],
        capture_output=True, text=True,
    )
    assert (completed.returncode, completed.stdout.strip(), completed.stderr) == (0, "ab", "")


def test_native_extension_imports(pepip, venv, index_args, wheelhouse):
    if not list(wheelhouse.glob("nativemod-*.whl")):
        pytest.skip("no C compiler to build the extension wheel")
    pepip.ok("install", *index_args, "nativemod")
    assert venv_run(venv, "import nativemod; print(nativemod.answer())") == "42"


def test_standard_library_names_are_never_shadowed(pepip, venv, index_args):
    pepip.ok("install", *index_args, "shadow")
    assert venv_run(venv, "import string, shadow; print(hasattr(string, 'HIJACKED'))") == "False"


@pytest.mark.windows
def test_two_versions_in_two_venvs_share_one_store(pepip, isolated, index_args, store_root):
    pepip.ok("install", *index_args, "--venv", "old", "versioned==1.0")
    pepip.ok("install", *index_args, "--venv", "new", "versioned==2.0")
    work = isolated / "work"
    assert venv_run(work / "old", "import versioned; print(versioned.VERSION)") == "1.0"
    assert venv_run(work / "new", "import versioned; print(versioned.VERSION)") == "2.0"
    assert [p.parent.name for p in store_entries(store_root)] == ["1.0", "2.0"]


@pytest.mark.windows
def test_second_venv_reuses_store_without_new_entries_or_uv_install(pepip, 
    isolated, index_args, store_root, uv_log):
    pepip.ok("install", *index_args, "--venv", "first", "alpha", "tool")
    entries = store_entries(store_root)
    before = {p: os.stat(p).st_ino for p in entries}
    uv_log.write_text("")
    pepip.ok("install", *index_args, "--venv", "second", "alpha", "tool")
    calls = uv_log.read_text().splitlines()
    assert not any(call.startswith("pip install") for call in calls), calls
    assert {p: os.stat(p).st_ino for p in store_entries(store_root)} == before
    assert venv_run(isolated / "work" / "second", "import alpha, tool; print('ok')") == "ok"


@pytest.mark.windows
def test_store_entries_are_read_only_with_bytecode(pepip, venv, index_args, store_root):
    pepip.ok("install", *index_args, "alpha")
    for entry in store_entries(store_root):
        files = [p for p in entry.rglob("*") if p.is_file()]
        root = getattr(os, "geteuid", lambda: 1)() == 0  # root may write anyway (POSIX)
        assert files and all(not os.access(p, os.W_OK) or root for p in files)
        # On Windows this also shows that deleting the staged copies (and the venv's
        # dist-info files) did not clear the read-only attribute they would share as links.
        assert all(p.stat().st_mode & 0o222 == 0 for p in files)
        if entry.parent.parent.name == "alpha":
            assert list(entry.glob("site/alpha/__pycache__/__init__.*.pyc"))


def test_the_runtime_is_compiled_for_the_venvs_interpreter(pepip, venv, index_args):
    pepip.ok("install", *index_args, "alpha")
    tag = venv_run(venv, "import sys; print(sys.implementation.cache_tag)")
    cache = next(venv.glob("lib/python*/site-packages")) / "pepip_runtime" / "__pycache__"
    assert sorted(path.name for path in cache.iterdir()) == ["%s.%s.pyc" % (name, tag) for name in ("__init__", "lookup")]


def test_lazy_bytecode_lets_python_fill_pycache_on_first_import(pepip, capsys, venv, index_args, store_root, monkeypatch):
    monkeypatch.setenv("PEPIP_BYTECODE", "lazy")
    pepip.ok("install", *index_args, "alpha")
    [entry] = [p for p in store_entries(store_root) if p.parent.parent.name == "alpha"]
    cache = entry / "site" / "alpha" / "__pycache__"
    assert cache.is_dir() and list(cache.iterdir()) == []
    assert not os.access(entry / "site" / "alpha", os.W_OK) or os.geteuid() == 0
    assert (entry / "site" / "alpha").stat().st_mode & 0o222 == 0
    venv_run(venv, "import alpha.sub", env={"PYTHONDONTWRITEBYTECODE": ""})
    assert sorted(p.name.split(".")[0] for p in cache.iterdir()) == ["__init__", "sub"]
    assert run_pepip(["store", "verify"], capsys).exit_code == 0


def test_installing_more_keeps_what_the_venv_has(pepip, venv, index_args):
    pepip.ok("install", *index_args, "alpha")
    pepip.ok("install", *index_args, "versioned")
    out = venv_run(venv, "import alpha, beta, versioned; print(versioned.VERSION)")
    assert out == "2.0"


def test_request_conflicting_with_installed_pin_is_resolved_like_uv(pepip, venv, index_args):
    pepip.ok("install", *index_args, "versioned==1.0")
    pepip.ok("install", *index_args, "needs-new")
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "2.0"
    site = next(venv.glob("lib/python*/site-packages"))
    assert not (site / "versioned-1.0.dist-info").exists()
    assert (site / "versioned-2.0.dist-info").is_dir()


def test_reinstalling_the_same_request_changes_nothing(pepip, capsys, venv, index_args):
    pepip.ok("install", *index_args, "alpha")
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0
    assert "nothing to change" in result.stderr


def test_quiet_prints_nothing(capsys, venv, index_args):
    result = run_pepip(["install", "-q", *index_args, "alpha"], capsys)
    assert result.exit_code == 0 and result.stderr == "" and result.stdout == ""


@pytest.mark.windows
def test_requirements_file(pepip, venv, index_args, isolated):
    requirements = isolated / "requirements.txt"
    requirements.write_text("alpha\nversioned==1.0\n")
    pepip.ok("install", *index_args, "-r", str(requirements))
    assert venv_run(venv, "import alpha, versioned; print(versioned.VERSION)") == "1.0"


def test_copy_mode_when_symlinks_are_refused(pepip, venv, index_args, monkeypatch):
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(1, "symlinks not permitted")  # as on Windows without the privilege

    monkeypatch.setattr(os, "symlink", refuse)
    pepip.ok("install", *index_args, "tool", "alpha")
    placed = [venv / "share", venv / "bin" / "tool-sh", next(venv.glob("lib/python*/site-packages"))]
    links = [p for root in placed for p in [root, *root.rglob("*")] if p.is_symlink()]
    assert links == []
    assert (venv / "share" / "tool" / "config.txt").read_text() == "config\n"
    assert subprocess.run([str(venv / "bin" / "tool-sh")], capture_output=True).returncode == 0
    assert venv_run(venv, "import alpha; print('ok')") == "ok"


def _placed_files(venv: Path) -> list[Path]:
    """The data file and the plain .data script ``tool`` puts into the venv."""
    return [venv / "share" / "tool" / "config.txt", venv / "bin" / "tool-sh"]


def test_data_files_and_scripts_are_files_inside_the_venv(pepip, venv, index_args, store_root):
    """tornado (JupyterLab) answers 403 for a static file whose real path leaves its root."""
    pepip.ok("install", *index_args, "tool")
    for path in _placed_files(venv):
        assert not path.is_symlink() and os.path.realpath(path).startswith(str(venv)), path
        (entry,) = [e for e in store_entries(store_root) if e.parent.parent.name == "tool"]
        stored = entry / "prefix" / path.relative_to(venv)
        assert os.path.samefile(path, stored)  # a hardlink: no second copy of the bytes
    assert subprocess.run([str(venv / "bin" / "tool-sh")], capture_output=True).stdout == b"shell-script\n"


def test_data_files_are_copied_where_hardlinks_fail(pepip, venv, index_args, monkeypatch):
    real_link = os.link

    def cross_device(source: object, target: object, **kwargs: object) -> None:
        if str(target).startswith((str(venv / "share"), str(venv / "bin"))):
            raise OSError(errno.EXDEV, "Invalid cross-device link")  # the venv on another filesystem
        real_link(source, target, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "link", cross_device)
    pepip.ok("install", *index_args, "tool")
    for path in _placed_files(venv):
        assert not path.is_symlink() and path.stat().st_nlink == 1, path
    assert (venv / "share" / "tool" / "config.txt").read_text() == "config\n"
    assert subprocess.run([str(venv / "bin" / "tool-sh")], capture_output=True).returncode == 0


def test_link_mode_copy_setting(pepip, venv, index_args, monkeypatch):
    monkeypatch.setenv("PEPIP_LINK_MODE", "copy")
    pepip.ok("install", *index_args, "tool")
    for path in _placed_files(venv):
        assert not path.is_symlink() and path.stat().st_nlink == 1, path
    assert os.access(venv / "share" / "tool" / "config.txt", os.W_OK)


def test_python_subprocess_isolated_mode_and_dash_m(pepip, venv, index_args):
    pepip.ok("install", *index_args, "alpha")
    assert venv_run(venv, "import alpha; print('ok')", "-I") == "ok"
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "alpha.sub"], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.network
def test_real_requests_numpy_pandas(pepip, venv):
    pepip.ok("install", "requests", "numpy", "pandas")
    code = (
        "import requests, numpy, pandas\n"
        "frame = pandas.DataFrame({'a': numpy.arange(3)})\n"
        "print(int(frame['a'].sum()), requests.__version__ != '')"
    )
    assert venv_run(venv, code) == "3 True"


def _uv_pip(uv_venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from pepip.locations import find_uv

    return subprocess.run([str(find_uv(os.environ)), "pip", *args, "--python", str(uv_venv)], capture_output=True, text=True)


def _installed(venv: Path) -> list[str]:
    code = "import importlib.metadata as m; print(' '.join(sorted('%s==%s' % (d.metadata['Name'], d.version) for d in m.distributions())))"
    return venv_run(venv, code).split()


@pytest.fixture
def private_folder(isolated: Path) -> Path:
    """A ``--find-links`` folder with a package (and its dependency) found nowhere else."""
    from helpers import build_wheel

    folder = isolated / "private"
    folder.mkdir()
    build_wheel(folder, "privpkg", "1.0", {"privpkg.py": "import privdep\n"}, requires=["privdep"])
    build_wheel(folder, "privdep", "1.0", {"privdep.py": ""})
    return folder


@pytest.mark.parametrize("later", [
    ["beta"],  # an unrelated request
    ["-U", "beta"],  # --upgrade moves the request's packages only
    ["needs-new"],  # a request that moves an installed version
    ["--require-hashes", "-r", "hashed.txt"],  # hashes for the request, not for what is installed (R16)
])
def test_a_later_install_needs_only_its_own_options_like_uv(pepip, capsys, isolated, venv, wheelhouse, index_args, private_folder, later):
    """What the venv has is kept without asking the index for it again (R15): a package from
    a ``--find-links`` folder does not stop a later install without that folder."""
    import hashlib

    wheel = wheelhouse / "versioned-2.0-py3-none-any.whl"
    (isolated / "work" / "hashed.txt").write_text("versioned==2.0 --hash=sha256:%s\n" % hashlib.sha256(wheel.read_bytes()).hexdigest())
    first = ["--no-index", "-f", str(private_folder), "-f", str(wheelhouse), "privpkg", "versioned==1.0"]
    uv_venv = isolated / "uv-venv"
    from pepip.locations import find_uv

    subprocess.run([str(find_uv(os.environ)), "venv", "-q", str(uv_venv)], check=True)
    assert _uv_pip(uv_venv, "install", *first).returncode == 0
    pepip.ok("install", *first)
    done = _uv_pip(uv_venv, "install", *index_args, *later)
    assert done.returncode == 0, done.stderr
    result = run_pepip(["install", *index_args, *later], capsys)
    assert result.exit_code == 0, result.stderr
    assert _installed(venv) == _installed(uv_venv)
    assert venv_run(venv, "import privpkg, versioned; print('ok')") == "ok"


def test_require_hashes_asks_hashes_of_the_request_only_like_uv(capsys, isolated, venv, wheelhouse, index_args):
    """R16: alpha and beta, installed before, need no hash when a hashed request comes later."""
    import hashlib

    wheel = wheelhouse / "versioned-1.0-py3-none-any.whl"
    hashed = isolated / "work" / "hashed.txt"
    hashed.write_text("versioned==1.0 --hash=sha256:%s\n" % hashlib.sha256(wheel.read_bytes()).hexdigest())
    from pepip.locations import find_uv

    uv_venv = isolated / "uv-venv"
    subprocess.run([str(find_uv(os.environ)), "venv", "-q", str(uv_venv)], check=True)
    for args in ([*index_args, "alpha"], [*index_args, "--require-hashes", "-r", str(hashed)]):
        done = _uv_pip(uv_venv, "install", *args)
        assert done.returncode == 0, done.stderr
        result = run_pepip(["install", *args], capsys)
        assert result.exit_code == 0, result.stderr
    assert _installed(venv) == _installed(uv_venv) == ["alpha==1.0", "beta==1.0", "versioned==1.0"]
