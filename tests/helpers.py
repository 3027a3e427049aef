"""Test helpers: build real wheels with zipfile, run pepip, snapshot trees."""

from __future__ import annotations

import ast
import base64
import hashlib
import os
import signal
import stat
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from pepip.__main__ import main
from pepip.tag_sets import expand_tags


def _hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode()


def build_wheel(
    directory: Path,
    name: str,
    version: str,
    files: Mapping[str, str | bytes],
    requires: Sequence[str] = (),
    entry_points: str = "",
    tag: str = "py3-none-any",
) -> Path:
    """Write a valid wheel; ``files`` paths may use ``{data}/`` for the .data directory."""
    dist = name.replace("-", "_")
    dist_info = "%s-%s.dist-info" % (dist, version)
    data_dir = "%s-%s.data" % (dist, version)
    metadata = "Metadata-Version: 2.1\nName: %s\nVersion: %s\n" % (name, version)
    metadata += "".join("Requires-Dist: %s\n" % requirement for requirement in requires)
    tags = "".join("Tag: %s\n" % t for t in expand_tags(tag))
    contents: dict[str, bytes] = {}
    for path, data in files.items():
        contents[path.replace("{data}", data_dir)] = data.encode() if isinstance(data, str) else data
    contents[dist_info + "/METADATA"] = metadata.encode()
    contents[dist_info + "/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: pepip-tests\nRoot-Is-Purelib: %s\n%s"
        % ("true" if tag.endswith("none-any") else "false", tags)
    ).encode()
    if entry_points:
        contents[dist_info + "/entry_points.txt"] = entry_points.encode()
    path = directory / ("%s-%s-%s.whl" % (dist, version, tag))
    with zipfile.ZipFile(path, "w") as archive:
        lines = []
        for member, data in contents.items():
            info = zipfile.ZipInfo(member, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if "/scripts/" in member else 0o644) << 16
            archive.writestr(info, data)
            lines.append("%s,%s,%d" % (member, _hash(data), len(data)))
        lines.append(dist_info + "/RECORD,,")
        archive.writestr(dist_info + "/RECORD", "\n".join(lines) + "\n")
    return path


@dataclass
class Result:
    """What one pepip run did."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        """Non-empty stderr lines."""
        return [line for line in self.stderr.splitlines() if line.strip()]


def run_pepip(args: Sequence[str], capsys: object) -> Result:
    """Run ``pepip`` in-process through its real ``main`` (exit code and output captured)."""
    capture = capsys  # pytest's CaptureFixture
    capture.readouterr()  # type: ignore[attr-defined]
    code = 0
    interrupt = signal.getsignal(signal.SIGINT)  # main() ignores Ctrl-C once it is done
    try:
        main(list(args))
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    finally:
        signal.signal(signal.SIGINT, interrupt)
    out, err = capture.readouterr()  # type: ignore[attr-defined]
    return Result(code, out, err)


@dataclass
class Pepip:
    """The ``pepip`` fixture: ``pepip(*args)`` runs it in-process (``run_pepip``);
    ``pepip.ok(*args)`` also fails the test with pepip's stderr unless it succeeded, and
    ``pepip.fails(*args)`` unless it failed with one error line."""

    capsys: object

    def __call__(self, *args: str) -> Result:
        return run_pepip(args, self.capsys)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, result.stderr
        return result

    def fails(self, *args: str) -> str:
        """The one error line of a run that must fail as a user error does."""
        result = self(*args)
        assert result.exit_code != 0, result.stderr
        assert len(result.error_lines) == 1, result.stderr
        return result.error_lines[0]


def pepip_process(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m pepip ARGS`` in a process of its own, with ``env`` added to this one's."""
    return subprocess.run([sys.executable, "-m", "pepip", *args], capture_output=True, text=True,
                          env=None if env is None else {**os.environ, **env})


def imported_modules(*args: str, cwd: Path | None = None) -> set[str]:
    """The modules ``python *args`` imports (``-X importtime``), start-up's included."""
    completed = subprocess.run([sys.executable, "-X", "importtime", *args], capture_output=True, text=True, cwd=cwd)
    assert completed.returncode == 0, completed.stderr
    return {line.split("|")[-1].strip() for line in completed.stderr.splitlines() if line.startswith("import time:")}


WINDOWS = sys.platform == "win32"


def bin_dir(venv: Path) -> Path:
    """The venv's ``bin`` (``Scripts`` on Windows)."""
    return venv / ("Scripts" if WINDOWS else "bin")


def venv_python(venv: Path) -> Path:
    """The venv's interpreter."""
    return bin_dir(venv) / ("python.exe" if WINDOWS else "python")


def site_packages(venv: Path) -> Path:
    """The venv's site-packages (``Lib/site-packages`` on Windows)."""
    return venv / "Lib" / "site-packages" if WINDOWS else next(venv.glob("lib/python*/site-packages"))


def venv_run(venv: Path, code: str, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run Python code with the venv's interpreter; fail the test with its stderr."""
    completed = subprocess.run(
        [str(venv_python(venv)), *args, "-c", code],
        capture_output=True,
        text=True,
        env=None if env is None else {**os.environ, **env},
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.strip()


def snapshot(root: Path) -> dict[str, tuple[int, str]]:
    """Every path below ``root`` with its mode and content hash (or link target)."""
    found: dict[str, tuple[int, str]] = {}
    if not os.path.lexists(root):
        return found
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            path = Path(directory, name)
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content = "->" + os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = "dir"
            found[str(path.relative_to(root))] = (info.st_mode, content)
    return found


def store_entries(store_root: Path) -> list[Path]:
    """Published entry directories of a store."""
    entries = store_root / "v2" / "entries"
    if not entries.is_dir():
        return []
    return sorted(p for p in entries.glob("*/*/*") if p.is_dir())


PYTHON = Path(sys.executable)

# Python code printing pepip's path hooks and site-packages finders: "1 1" when wired.
WIRED = (
    "import sys; print(sum(type(getattr(h, '__self__', None)).__name__ == 'StoreIndex' for h in sys.path_hooks),"
    " sum(type(f).__name__ == 'SiteFinder' for f in sys.path_importer_cache.values()))"
)


_IN_TREE_BACKEND = '''"""A PEP 517/660 backend that builds editable wheels offline (tests only)."""
import base64, hashlib, os, zipfile

NAME, VERSION, REQUIRES = %r, "0.1", %r


def _record(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def get_requires_for_build_editable(config_settings=None):
    return []


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    dist_info = "%%s-%%s.dist-info" %% (NAME, VERSION)
    metadata = "Metadata-Version: 2.1\\nName: %%s\\nVersion: %%s\\n" %% (NAME, VERSION)
    metadata += "".join("Requires-Dist: %%s\\n" %% r for r in REQUIRES)
    files = {
        NAME + ".pth": (os.path.abspath("src") + "\\n").encode(),
        dist_info + "/METADATA": metadata.encode(),
        dist_info + "/WHEEL": b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    name = "%%s-%%s-py3-none-any.whl" %% (NAME, VERSION)
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as archive:
        lines = []
        for member, data in files.items():
            archive.writestr(member, data)
            lines.append("%%s,%%s,%%d" %% (member, _record(data), len(data)))
        archive.writestr(dist_info + "/RECORD", "\\n".join(lines + [dist_info + "/RECORD,,"]) + "\\n")
    return name
'''


def make_editable_project(directory: Path, name: str, requires: Sequence[str] = ()) -> Path:
    """A project whose in-tree build backend makes editable wheels without the index."""
    (directory / "src" / name).mkdir(parents=True)
    (directory / "src" / name / "__init__.py").write_text("WHERE = 'editable'\n")
    (directory / "pyproject.toml").write_text(
        '[project]\nname = "%s"\nversion = "0.1"\ndependencies = %s\n'
        '[build-system]\nrequires = []\nbuild-backend = "tree_backend"\nbackend-path = ["."]\n'
        % (name, "[%s]" % ", ".join('"%s"' % r for r in requires))
    )
    (directory / "tree_backend.py").write_text(_IN_TREE_BACKEND % (name, list(requires)))
    return directory


def uv_venv_with(venv: Path, wheels: Path, *requirements: str) -> Path:
    """A venv made and filled by real uv from ``wheels`` alone: the oracle a test compares with."""
    from pepip.locations import find_uv

    uv = str(find_uv(os.environ))
    subprocess.run([uv, "venv", "-q", str(venv)], check=True)
    uv_install(venv, "--no-index", "--find-links", str(wheels), *requirements)
    return venv


APT_OPT_IN = "PEPIP_TEST_APT"


def may_install_with_apt(environ: Mapping[str, str]) -> bool:
    """Whether a test may install system packages with apt-get: only in CI (``CI=true``, as
    ``.ci/run`` runs) or when the developer opts in with ``PEPIP_TEST_APT=1``; elsewhere a
    test that needs them skips, saying what it needs."""
    return environ.get("CI", "").lower() == "true" or environ.get(APT_OPT_IN) == "1"


def uv_freeze(venv: Path) -> list[str]:
    """What uv sees in a venv: ``name==version`` or ``name @ url`` lines."""
    from pepip.locations import find_uv

    completed = subprocess.run(
        [str(find_uv(os.environ)), "pip", "freeze", "--python", str(venv_python(venv))],
        capture_output=True, text=True, check=True,
    )
    return completed.stdout.splitlines()


def uv_install(venv: Path, *args: str) -> str:
    """``uv pip install ARGS`` into ``venv`` (a later install into the oracle); its stderr."""
    from pepip.locations import find_uv

    completed = subprocess.run([str(find_uv(os.environ)), "pip", "install", "--python", str(venv_python(venv)), *args],
                               capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    return completed.stderr


def distributions(venv: Path) -> list[tuple[str, str]]:
    """The venv's distributions as ``importlib.metadata`` sees them: sorted (name, version)."""
    code = "import importlib.metadata as m; print(sorted((d.metadata['Name'].lower(), d.version) for d in m.distributions()))"
    return [(name, version) for name, version in ast.literal_eval(venv_run(venv, code))]


# The part of an in-tree PEP 517 backend (tests only) that writes a plain wheel offline; each
# backend adds a ``build_wheel`` that hands ``_write_wheel`` the files it puts in.
OFFLINE_BACKEND = '''import base64, hashlib, os, zipfile

def _record(data):
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

def get_requires_for_build_wheel(config_settings=None):
    return []

def _write_wheel(wheel_directory, name, files, requires=()):
    dist_info = name + "-0.1.dist-info"
    metadata = "Metadata-Version: 2.1\\nName: %s\\nVersion: 0.1\\n" % name
    files[dist_info + "/METADATA"] = (metadata + "".join("Requires-Dist: %s\\n" % r for r in requires)).encode()
    files[dist_info + "/WHEEL"] = b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n"
    filename = name + "-0.1-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        lines = []
        for member, data in files.items():
            archive.writestr(member, data)
            lines.append("%s,%s,%d" % (member, _record(data), len(data)))
        archive.writestr(dist_info + "/RECORD", "\\n".join(lines + [dist_info + "/RECORD,,"]) + "\\n")
    return filename
'''


def other_python() -> Path | None:
    """An interpreter of another minor version than the one running pepip (pyenv's)."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for candidate in sorted(root.glob("3.1[0-3].*")):
        python = candidate / "bin" / "python"
        if python.exists() and not candidate.name.startswith("%d.%d." % sys.version_info[:2]):
            return python
    return None
