"""Requirement files read as uv reads them, whatever their encoding and however a path is spelt.

Each case runs ``uv pip install`` on the same file as the oracle: pepip succeeds exactly when
uv does. The hash checks must hold for every encoding (a byte-order mark, CRLF, blank lines,
continuations) and every spelling of a local path (a symlinked directory, ``..``, absolute,
a ``file://`` URL).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import run_pepip, venv_run
from pepip.locations import find_uv

_WRONG = "sha256:" + "0" * 64


def _sha256(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def _encode(lines: list[str], encoding: str) -> bytes:
    """``lines`` as a file written by another editor or tool."""
    if "continuation" in encoding:
        lines = [line.replace(" --", " \\\n    --", 1) for line in lines]
    if "blank" in encoding:
        lines = ["", *(line + "\n" for line in lines)]
    end = "\r\n" if "crlf" in encoding else "\n"
    text = "".join(line.replace("\n", end) + end for line in lines)
    return (b"\xef\xbb\xbf" if "bom" in encoding else b"") + text.encode("utf-8")


def _uv_installs(isolated: Path, *args: str) -> bool:
    """Whether ``uv pip install args`` succeeds in a fresh uv venv (the oracle)."""
    uv = str(find_uv(os.environ))
    target = isolated / "uv-oracle"
    shutil.rmtree(target, ignore_errors=True)
    subprocess.run([uv, "venv", "-q", str(target)], check=True)
    done = subprocess.run([uv, "pip", "install", "-q", "--python", str(target), *args], capture_output=True, text=True)
    return done.returncode == 0


ENCODINGS = ["plain", "bom", "crlf", "bom-crlf", "blank-lines", "continuation", "bom-crlf-continuation"]


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize(("case", "installs", "message"), [
    ("right-hash", True, ""),
    ("wrong-hash", False, "hash mismatch for versioned==1.0"),
    ("require-hashes-without-hash", False, "--require-hashes"),
    ("require-hashes-right-hash", True, ""),
    ("not-a-requirement", False, "neither a requirement nor an existing path"),
])
def test_hash_checks_hold_in_every_encoding(capsys, isolated, wheelhouse, index_args, encoding, case, installs, message):
    right = _sha256(wheelhouse / "versioned-1.0-py3-none-any.whl")
    lines = {
        "right-hash": ["versioned==1.0 --hash=" + right],
        "wrong-hash": ["versioned==1.0 --hash=" + _WRONG],
        "require-hashes-without-hash": ["--require-hashes", "versioned==1.0"],
        "require-hashes-right-hash": ["--require-hashes", "versioned==1.0 --hash=" + right],
        "not-a-requirement": ["!!versioned==1.0 --hash=" + right],
    }[case]
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_bytes(_encode(lines, encoding))
    venv = isolated / "v"
    result = run_pepip(["install", "--venv", str(venv), *index_args, "-r", str(requirements)], capsys)
    assert (result.exit_code == 0) == installs, result.stderr
    assert _uv_installs(isolated, *index_args, "-r", str(requirements)) == installs
    if installs:
        assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "1.0"
    else:
        assert len(result.error_lines) == 1 and message in result.error_lines[0], result.stderr
        assert not venv.exists()


@pytest.fixture
def linked_wheel(isolated: Path, wheelhouse: Path) -> Path:
    """``work/real/beta-1.0-...whl``, also reachable as ``work/wl/...`` (a symlinked directory)."""
    real = isolated / "work" / "real"
    real.mkdir()
    wheel = real / "beta-1.0-py3-none-any.whl"
    shutil.copy(wheelhouse / wheel.name, wheel)
    (isolated / "work" / "wl").symlink_to(real, target_is_directory=True)
    (isolated / "work" / "reqs").mkdir()
    return wheel


SPELLINGS = {
    "relative": "./real/beta-1.0-py3-none-any.whl",
    "symlinked-dir": "./wl/beta-1.0-py3-none-any.whl",
    "dotdot": "./wl/../real/beta-1.0-py3-none-any.whl",
    "no-leading-dot": "wl/beta-1.0-py3-none-any.whl",
    "absolute-through-link": "{work}/wl/beta-1.0-py3-none-any.whl",
    "named-file-url-through-link": "beta @ file://{work}/wl/beta-1.0-py3-none-any.whl",
}


@pytest.mark.posix("symlinks")
@pytest.mark.parametrize("spelling", list(SPELLINGS))
@pytest.mark.parametrize("right", [True, False], ids=["right-hash", "wrong-hash"])
def test_a_hash_on_a_local_path_is_checked_however_the_path_is_spelt(capsys, isolated, linked_wheel, spelling, right):
    """The file sits in ``reqs/``: a path on a requirement line is relative to the current
    directory, as uv takes it."""
    work = isolated / "work"
    text = SPELLINGS[spelling].format(work=work)
    requirements = work / "reqs" / "requirements.txt"
    requirements.write_text("%s --hash=%s\n" % (text, _sha256(linked_wheel) if right else _WRONG))
    venv = isolated / "v"
    result = run_pepip(["install", "--venv", str(venv), "--no-index", "-r", str(requirements)], capsys)
    assert (result.exit_code == 0) == right, result.stderr
    assert _uv_installs(isolated, "--no-index", "-r", str(requirements)) == right
    if right:
        assert venv_run(venv, "import beta; print(beta.NAME)") == "beta"
    else:
        assert len(result.error_lines) == 1 and "hash mismatch for" in result.error_lines[0], result.stderr
        assert not venv.exists()
