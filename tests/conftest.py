"""Shared fixtures: an isolated environment, a wheelhouse of small real wheels, a logging uv."""

from __future__ import annotations

import io
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Final, Iterator

import pytest

from helpers import Pepip, build_wheel
from pepip.locations import find_uv

# The ``team`` fixture (two real users sharing a store) of the reliability tests and test_docker.
pytest_plugins = ["reliability.teamstore"]


# What the developer's shell may set that changes what pepip or uv do: an activated venv or
# conda env (pepip and uv would install into it), uv's and pepip's settings, colour. Removed
# for the whole session, before any fixture runs (session and module fixtures start processes
# before the ``isolated`` fixture of a test exists). Kept: the tests' own knobs, PEPIP_TEST_*.
_SCRUBBED_NAMES = ("VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")
_SCRUBBED_PREFIXES = ("UV_", "PEPIP_")
_KEPT = ("PEPIP_TEST_", "PEPIP_CRASH_SEED")
_scrubbed: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    for name in sorted(os.environ):
        if (name in _SCRUBBED_NAMES or name.startswith(_SCRUBBED_PREFIXES)) and not name.startswith(_KEPT):
            del os.environ[name]
            _scrubbed.append(name)


def pytest_report_header(config: pytest.Config) -> str | None:
    return "left out of the environment: %s" % ", ".join(_scrubbed) if _scrubbed else None


# A test that asks for one of these runs pepip or uv end to end: marked `e2e`, so that
# `-m "not e2e"` is a tier of the tests that start neither (seconds, not minutes).
_E2E_FIXTURES: Final = frozenset({"wheelhouse", "index_args", "venv", "pepip", "uv_log", "team", "store_root"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `network` tests (real packages from the index, the differential corpus's CI subset)
    # run by default, as CI runs them; `-m "not network"` leaves them out offline.
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        in_process = "capsys" in fixtures and hasattr(getattr(item, "module", None), "run_pepip")
        if _E2E_FIXTURES & fixtures or in_process or item.get_closest_marker("network"):
            item.add_marker(pytest.mark.e2e)
        posix = item.get_closest_marker("posix")
        if posix is not None and sys.platform == "win32":
            item.add_marker(pytest.mark.skip(reason="POSIX only: %s" % (posix.args or ("",))[0]))


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One uv cache for the session, under the session's temp dir."""
    return tmp_path_factory.mktemp("uv-cache")


@pytest.fixture(autouse=True)
def isolated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, uv_cache: Path, request: pytest.FixtureRequest
) -> Path:
    """Put the store, uv's cache and the cwd under temp dirs; keep uv off the network."""
    monkeypatch.setenv("PEPIP_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("UV_CACHE_DIR", str(uv_cache))
    monkeypatch.setenv("PEPIP_CACHE_DIR", str(uv_cache.parent / "pepip-cache"))
    monkeypatch.setenv("UV_NO_CONFIG", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    # Bytecode compiled before the command returns: a background compile (a team store's) or
    # Python writing it at first import (one user's) would change the store while a test
    # compares it. tests/test_bytecode.py tests the default.
    monkeypatch.setenv("PEPIP_BYTECODE", "compile")
    if "network" not in request.keywords:
        monkeypatch.setenv("UV_OFFLINE", "1")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return tmp_path


@pytest.fixture
def store_root(isolated: Path) -> Path:
    """The test's PEPIP_HOME."""
    return isolated / "store"


@pytest.fixture
def uv_log(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make pepip run real uv through a wrapper that appends each call's arguments to a log."""
    log = isolated / "uv-calls.log"
    uv = find_uv(os.environ)
    if sys.platform == "win32":
        wrapper = isolated / "uv-logging.exe"
        wrapper.write_bytes(_windows_wrapper(log, uv))
    else:
        wrapper = isolated / "uv-logging"
        wrapper.write_text("#!/bin/sh\nprintf '%%s\\n' \"$*\" >> '%s'\nexec '%s' \"$@\"\n" % (log, uv))
        wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PEPIP_UV", str(wrapper))
    log.write_text("")
    return log


def _windows_wrapper(log: Path, uv: Path) -> bytes:
    """A uv stand-in ``.exe`` for Windows, which runs no shell script: installer's console
    launcher (the format pepip's own launchers use) running a ``__main__.py`` that logs."""
    from importlib.resources import files

    main = (
        "import subprocess, sys\n"
        "with open(%r, 'a') as log:\n"
        "    log.write(' '.join(sys.argv[1:]) + '\\n')\n"
        "sys.exit(subprocess.call([%r] + sys.argv[1:]))\n" % (str(log), str(uv))
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("__main__.py", main)
    launcher = (files("installer._scripts") / "t64.exe").read_bytes()
    return launcher + b'#!"' + sys.executable.encode() + b'"\n' + archive.getvalue()


_NATIVE_SOURCE = r"""
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "nativemod", NULL, -1, methods};
PyMODINIT_FUNC PyInit_nativemod(void) { return PyModule_Create(&module); }
"""


def _c_toolchain() -> tuple[str, str] | None:
    """A C compiler and this interpreter's headers, on Linux, or ``None``."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    include = sysconfig.get_paths()["include"]
    if compiler is None or not Path(include, "Python.h").exists() or sys.platform != "linux":
        return None
    return compiler, include


def _binary_tag(abi: bool = True) -> str:
    """This interpreter's wheel tag (``cp311-cp311-linux_x86_64``), or ``py3-none-...``."""
    version = "cp%d%d" % sys.version_info[:2]
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return "%s-%s-%s" % (version, version, platform) if abi else "py3-none-%s" % platform


def _native_wheel(directory: Path, build_dir: Path) -> None:
    """A wheel with a C extension for this interpreter, when a C compiler is present."""
    toolchain = _c_toolchain()
    if toolchain is None:
        return
    compiler, include = toolchain
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    source = build_dir / "nativemod.c"
    source.write_text(_NATIVE_SOURCE)
    output = build_dir / ("nativemod" + suffix)
    subprocess.run(
        [compiler, "-shared", "-fPIC", "-I", include, str(source), "-o", str(output)], check=True
    )
    build_wheel(directory, "nativemod", "1.0", {"nativemod" + suffix: output.read_bytes()}, tag=_binary_tag())


_SIBLING_LIBRARY = "int fake_value(void) { return 7; }\n"
_SIBLING_USER = r"""
#include <Python.h>
int fake_value(void);
static PyObject *value(PyObject *self, PyObject *args) { return PyLong_FromLong(fake_value()); }
static PyMethodDef methods[] = {{"value", value, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ext", NULL, -1, methods};
PyMODINIT_FUNC PyInit__ext(void) { return PyModule_Create(&module); }
"""


def _sibling_native_wheels(directory: Path, build_dir: Path) -> None:
    """Like torch and nvidia-*: an extension whose RPATH reaches a library in another wheel."""
    toolchain = _c_toolchain()
    if toolchain is None:
        return
    compiler, include = toolchain
    (build_dir / "fake.c").write_text(_SIBLING_LIBRARY)
    library = build_dir / "libfake.so"
    subprocess.run([compiler, "-shared", "-fPIC", "-Wl,-soname,libfake.so", str(build_dir / "fake.c"),
                    "-o", str(library)], check=True)
    (build_dir / "ext.c").write_text(_SIBLING_USER)
    extension = build_dir / ("_ext" + sysconfig.get_config_var("EXT_SUFFIX"))
    subprocess.run([compiler, "-shared", "-fPIC", "-I", include, str(build_dir / "ext.c"), "-L", str(build_dir),
                    "-lfake", "-Wl,-rpath,$ORIGIN/../fakenv/fake/lib", "-o", str(extension)], check=True)
    build_wheel(directory, "fakenv-lib", "1.0", {"fakenv/fake/lib/libfake.so": library.read_bytes()},
                tag=_binary_tag(abi=False))
    build_wheel(
        directory, "usesfake", "1.0",
        {"usesfake/__init__.py": "from usesfake._ext import value\n", "usesfake/" + extension.name: extension.read_bytes()},
        requires=["fakenv-lib"], tag=_binary_tag(),
    )


# OpenCV's cv2/__init__.py in short: it puts its own directory on sys.path and imports its
# own name again, expecting the binary module in that directory, not itself, to answer.
_CV_LOADER = """import importlib, os, sys
if hasattr(sys, "CVLIKE_LOADER"):
    raise ImportError("recursion is detected during loading of cvlike binary extensions")
sys.CVLIKE_LOADER = True
saved = list(sys.path)
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))
loader = sys.modules.pop("cvlike")
native = importlib.import_module("cvlike")
sys.path[:] = saved
sys.modules["cvlike"] = loader
VALUE = native.VALUE
del sys.CVLIKE_LOADER
"""


# The line setuptools writes into <dist>-nspkg.pth for namespace_packages=["nspkgroot"].
_NSPKG_PTH = (
    "import sys, types, os;p = os.path.join(sys._getframe(1).f_locals['sitedir'], *('nspkgroot',));"
    "importlib = __import__('importlib.util');__import__('importlib.machinery');"
    "m = sys.modules.setdefault('nspkgroot', importlib.util.module_from_spec("
    "importlib.machinery.PathFinder.find_spec('nspkgroot', [os.path.dirname(p)])));"
    "m = m or sys.modules.setdefault('nspkgroot', types.ModuleType('nspkgroot'));"
    "mp = (m or []) and m.__dict__.setdefault('__path__',[]);(p not in mp) and mp.append(p)\n"
)


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small real wheels covering the layouts pepip must handle."""
    house = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(house, "beta", "1.0", {"beta.py": "NAME = 'beta'\n"})
    build_wheel(
        house, "alpha", "1.0",
        {"alpha/__init__.py": "import beta\nNAME = 'alpha'\n", "alpha/sub.py": "X = 1\n"},
        requires=["beta"],
    )
    build_wheel(house, "nsa", "1.0", {"nsroot/a/__init__.py": "A = 1\n"})
    build_wheel(house, "nsb", "1.0", {"nsroot/b/__init__.py": "B = 2\n"})
    pkgutil_init = "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n"
    build_wheel(house, "pkgns-a", "1.0", {"pkgns/__init__.py": pkgutil_init, "pkgns/a.py": "A = 1\n"})
    build_wheel(house, "pkgns-b", "1.0", {"pkgns/__init__.py": pkgutil_init, "pkgns/b.py": "B = 2\n"})
    build_wheel(
        house, "tool", "1.0",
        {
            "tool/__init__.py": "def main():\n    print('tool main')\n    return 0\n",
            "{data}/scripts/tool-raw": "#!python\nimport sys\nprint('raw', sys.prefix)\n",
            "{data}/scripts/tool-sh": "#!/bin/sh\necho shell-script\n",
            "{data}/data/share/tool/config.txt": "config\n",
        },
        entry_points="[console_scripts]\ntool-cli = tool:main\n",
    )
    build_wheel(
        house, "pthship", "1.0",
        {
            "pthship.pth": "import pthship_hook\npthship_extra\n",
            "pthship_hook.py": "import sys\nsys.pthship_loaded = True\n",
            "pthship_extra/extramod.py": "EXTRA = True\n",
        },
    )
    for version in ("1.0", "2.0"):
        build_wheel(house, "versioned", version, {"versioned.py": "VERSION = %r\n" % version})
    build_wheel(house, "dependent", "1.0", {"dependent.py": "import alpha\n"}, requires=["alpha"])
    build_wheel(house, "needs-new", "1.0", {"needs_new.py": ""}, requires=["versioned>=2"])
    build_wheel(house, "needs-old", "1.0", {"needs_old.py": ""}, requires=["versioned<2"])
    build_wheel(
        house, "typedpkg", "1.0",
        {"typedpkg/__init__.py": "def answer() -> int:\n    return 42\n", "typedpkg/py.typed": ""},
    )
    build_wheel(house, "shadow", "1.0", {"string.py": "HIJACKED = True\n", "shadow.py": ""})
    for part in ("a", "b"):  # setuptools namespace_packages, as zope.interface and zope.event ship
        build_wheel(
            house, "nspkg-" + part, "1.0",
            {"nspkgroot/%s/__init__.py" % part: "VALUE = %r\n" % part, "nspkg_%s-1.0-py3-nspkg.pth" % part: _NSPKG_PTH},
        )
    build_wheel(house, "cvlike", "1.0", {"cvlike/__init__.py": _CV_LOADER, "cvlike/cvlike.py": "VALUE = 'native'\n"})
    _native_wheel(house, tmp_path_factory.mktemp("native-build"))
    _sibling_native_wheels(house, tmp_path_factory.mktemp("sibling-build"))
    return house


@pytest.fixture
def index_args(wheelhouse: Path) -> list[str]:
    """Arguments that make uv use only the wheelhouse."""
    return ["--no-index", "--find-links", str(wheelhouse)]


@pytest.fixture
def pepip(capsys: pytest.CaptureFixture[str]) -> Pepip:
    """pepip run in-process, its output captured (``helpers.Pepip``)."""
    return Pepip(capsys)


@pytest.fixture
def venv(isolated: Path) -> Iterator[Path]:
    """Where the test's project venv goes."""
    yield isolated / "work" / ".venv"
