"""``pepip adopt``: a venv uv or pip filled, its distributions moved into the store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import distributions, run_pepip, site_packages, store_entries, uv_venv_with, venv_python, venv_run
from pepip.locations import find_uv


def _uv_list(venv: Path) -> str:
    uv = str(find_uv(os.environ))
    return subprocess.run([uv, "pip", "list", "--python", str(venv_python(venv))], capture_output=True, text=True,
                          check=True).stdout


def test_adopting_a_uv_venv_moves_its_files_into_the_store_and_it_keeps_working(capsys, isolated, wheelhouse):
    packages = ("alpha", "tool", "nsa", "nsb", "pkgns-a", "pkgns-b")
    venv = uv_venv_with(isolated / "made-by-uv", wheelhouse, *packages)
    oracle = uv_venv_with(isolated / "oracle", wheelhouse, *packages)
    listed = _uv_list(venv)
    result = run_pepip(["adopt", "--venv", str(venv), "--no-index", "--find-links", str(wheelhouse)], capsys)
    assert result.exit_code == 0, result.stderr
    assert "Adopted 7 packages" in result.stderr, result.stderr
    site = site_packages(venv)
    assert not (site / "alpha").exists() and not (site / "tool").exists()  # the files left the venv
    assert sorted(path.parent.parent.name for path in store_entries(isolated / "store")) == sorted(
        ["alpha", "beta", "tool", "nsa", "nsb", "pkgns-a", "pkgns-b"])
    assert distributions(venv) == distributions(oracle)
    assert _uv_list(venv) == listed
    code = "import alpha, beta, tool, nsroot.a, nsroot.b, pkgns.a, pkgns.b; print('ok')"
    assert venv_run(venv, code) == "ok"
    script = venv / "bin" / "tool-cli"
    assert subprocess.run([str(script)], capture_output=True, text=True).stdout.strip() == "tool main"
    again = run_pepip(["adopt", "--venv", str(venv), "--no-index", "--find-links", str(wheelhouse)], capsys)
    assert again.exit_code == 0 and "Nothing to adopt" in again.stderr, again.stderr


def test_a_distribution_changed_by_hand_stays_in_the_venv(capsys, isolated, wheelhouse):
    venv = uv_venv_with(isolated / "made-by-uv", wheelhouse, "alpha", "versioned==1.0")
    edited = site_packages(venv) / "versioned.py"
    edited.unlink()  # a new file: the old one is a hardlink of uv's cache
    edited.write_text("VERSION = 'patched'\n")
    result = run_pepip(["adopt", "--venv", str(venv), "--no-index", "--find-links", str(wheelhouse)], capsys)
    assert result.exit_code == 0, result.stderr
    assert "pepip: kept versioned in the venv: its files differ from versioned==1.0" in result.stderr
    assert edited.read_text() == "VERSION = 'patched'\n"
    assert venv_run(venv, "import alpha, versioned; print(versioned.VERSION)") == "patched"
    assert not (site_packages(venv) / "alpha").exists()


def test_adopting_needs_a_venv(capsys, isolated):
    result = run_pepip(["adopt", "--venv", str(isolated / "nowhere")], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1, result.stderr


@pytest.mark.network
def test_adopting_a_pip_venv_with_a_package_built_from_its_sdist(capsys, isolated):
    """pip's venv, six built from its sdist (``--no-binary``): its files are the wheel's, so
    it is adopted as the wheel uv would install; a venv of pip's own stays pip's."""
    venv = isolated / "made-by-pip"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv_python(venv)), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-binary", "six", "six==1.17.0", "idna==3.10"], check=True)
    result = run_pepip(["adopt", "--venv", str(venv)], capsys)
    assert result.exit_code == 0, result.stderr
    adopted = {path.parent.parent.name for path in store_entries(isolated / "store")}
    assert {"six", "idna"} <= adopted
    assert not (site_packages(venv) / "six.py").exists()
    assert venv_run(venv, "import six, idna; print(six.__version__, idna.__version__)") == "1.17.0 3.10"
    listed = subprocess.run([str(venv_python(venv)), "-m", "pip", "list", "--disable-pip-version-check"],
                            capture_output=True, text=True, check=True).stdout
    assert "six" in listed and "idna" in listed and "pip" in listed


def test_a_distribution_the_indexes_do_not_have_stays_and_the_rest_is_adopted(capsys, isolated, wheelhouse):
    venv = uv_venv_with(isolated / "made-by-uv", wheelhouse, "alpha", "versioned==1.0")
    other = isolated / "other-folder"
    other.mkdir()
    (other / "versioned-1.0-py3-none-any.whl").write_bytes((wheelhouse / "versioned-1.0-py3-none-any.whl").read_bytes())
    result = run_pepip(["adopt", "--venv", str(venv), "--no-index", "--find-links", str(other)], capsys)
    assert result.exit_code == 0, result.stderr
    assert "Adopted 1 package" in result.stderr
    for name in ("alpha", "beta"):
        assert "pepip: kept %s in the venv: uv found no artifact of %s 1.0" % (name, name) in result.stderr
    assert not (site_packages(venv) / "versioned.py").exists() and (site_packages(venv) / "alpha").is_dir()
    assert venv_run(venv, "import alpha, versioned; print(versioned.VERSION)") == "1.0"
