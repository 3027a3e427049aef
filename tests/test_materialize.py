"""``pepip materialize``: a venv that works without the store holds what a uv venv of the same
wheels holds (``uv pip install --link-mode copy``), RECORD and all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from helpers import bin_dir, run_pepip, site_packages, snapshot, uv_venv_with, venv_python
from pepip import fsops
from pepip.store.entries import file_record_hash, read_record

PACKAGES = ("alpha", "tool", "pthship", "nsa", "nsb", "pkgns-a", "typedpkg")
_PEPIP_ONLY = {"INSTALLER", "RECORD"}  # INSTALLER says pepip, so RECORD's row for it differs
_UV_ONLY = "uv_cache.json"  # uv's note in a dist-info of where its cache had the wheel
# uv 0.13.9 writes REQUESTED into dependencies' dist-info too; pepip (as pip) only into those
# asked for. A difference of install, not of materialize: beta is the one dependency here.
_DEPENDENCY_REQUESTED = "beta-1.0.dist-info/REQUESTED"


def _files(root: Path) -> dict[str, bytes]:
    """Every file below ``root`` (no bytecode) -> its content."""
    found = {}
    for directory, subdirs, files in os.walk(root):
        subdirs[:] = [name for name in subdirs if name != "__pycache__"]
        for name in files:
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            if name != _UV_ONLY and relative != _DEPENDENCY_REQUESTED:
                found[relative] = path.read_bytes()
    return found


def _record_rows(site: Path) -> dict[str, set[tuple[str, ...]]]:
    """Each dist-info's RECORD rows, but the INSTALLER's and RECORD's own; of launchers in
    bin/ the path alone (their first line names their own venv's interpreter)."""
    return {
        dist_info.name: {
            (row[0],) if row[0].startswith("../../../bin/") else row
            for row in read_record(dist_info / "RECORD")
            if row[0].rpartition("/")[2] not in (*_PEPIP_ONLY, _UV_ONLY) and row[0] != _DEPENDENCY_REQUESTED
        }
        for dist_info in site.glob("*.dist-info")
    }


def test_a_materialized_venv_holds_what_a_uv_venv_holds_and_needs_no_store(capsys, venv, isolated, wheelhouse):
    installed = run_pepip(["install", "-q", "--no-index", "--find-links", str(wheelhouse), *PACKAGES], capsys)
    assert installed.exit_code == 0, installed.stderr
    done = run_pepip(["materialize", "--venv", str(venv)], capsys)
    assert done.exit_code == 0, done.stderr
    assert "Materialized 8 packages" in done.stderr
    fsops.remove_tree(isolated / "store")  # an image without the store
    uv_venv = uv_venv_with(isolated / "uv-venv", wheelhouse, *PACKAGES)

    ours, theirs = _files(site_packages(venv)), _files(site_packages(uv_venv))
    assert sorted(ours) == sorted(theirs)
    assert {p: d for p, d in ours.items() if p.rpartition("/")[2] not in _PEPIP_ONLY} == {
        p: d for p, d in theirs.items() if p.rpartition("/")[2] not in _PEPIP_ONLY
    }
    assert _record_rows(site_packages(venv)) == _record_rows(site_packages(uv_venv))
    # Every file RECORD names is there with the hash it says (what `pip uninstall` trusts).
    site = site_packages(venv)
    for dist_info in site.glob("*.dist-info"):
        for path, hash_field, _size in read_record(dist_info / "RECORD"):
            assert not hash_field or file_record_hash(site / path) == hash_field, path
    assert not [p for p in (venv / "pepip-manifest.txt", venv / "pepip-index.marshal") if p.exists()]
    assert sorted(p.name for p in bin_dir(venv).iterdir()) == sorted(p.name for p in bin_dir(uv_venv).iterdir())
    assert _files(venv / "share") == _files(uv_venv / "share")
    modes = {
        path: oct(os.lstat(root / path).st_mode & 0o777)
        for root in (site_packages(venv),) for path in ours
    }
    assert modes == {path: oct(os.lstat(site_packages(uv_venv) / path).st_mode & 0o777) for path in theirs}
    assert not [p for p in snapshot(venv) if (venv / p).is_file() and os.lstat(venv / p).st_nlink > 1]

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    code = (
        "import alpha, beta, tool, nsroot.a, nsroot.b, pkgns.a, typedpkg, sys, importlib.metadata as m\n"
        "print(alpha.__file__.startswith(sys.prefix), sys.pthship_loaded, m.version('alpha'))\n"
    )
    ran = subprocess.run([str(venv_python(venv)), "-c", code], capture_output=True, text=True, env=env)
    assert (ran.returncode, ran.stdout) == (0, "True True 1.0\n"), ran.stderr
    tool = subprocess.run([str(bin_dir(venv) / "tool-cli")], capture_output=True, text=True, env=env)
    assert (tool.returncode, tool.stdout) == (0, "tool main\n"), tool.stderr
    from pepip.locations import find_uv

    uv_list = subprocess.run([str(find_uv(os.environ)), "pip", "list", "--format", "json", "--python", str(venv_python(venv))],
                             capture_output=True, text=True, env=env)
    uv_names = sorted(item["name"] for item in json.loads(uv_list.stdout))
    assert len(uv_names) == 8, uv_list.stderr
    pip_list = subprocess.run([sys.executable, "-m", "pip", "list", "--format", "json", "--path", str(site_packages(venv))],
                              capture_output=True, text=True, env=env)
    assert sorted(item["name"] for item in json.loads(pip_list.stdout)) == uv_names, pip_list.stderr
    listed = run_pepip(["list", "--venv", str(venv), "--format", "json"], capsys)
    assert listed.exit_code == 0, listed.stderr
    assert sorted(row["name"] for row in json.loads(listed.stdout)) == sorted(n.replace("_", "-") for n in uv_names)


def test_materialize_without_the_store_is_one_line_and_changes_nothing(capsys, venv, isolated, wheelhouse):
    installed = run_pepip(["install", "-q", "--no-index", "--find-links", str(wheelhouse), "alpha"], capsys)
    assert installed.exit_code == 0, installed.stderr
    fsops.remove_tree(isolated / "store")
    before = snapshot(venv)
    done = run_pepip(["materialize", "--venv", str(venv)], capsys)
    assert done.exit_code == 1
    assert done.stderr.startswith("pepip: error: the store entry of ") and "Traceback" not in done.stderr
    assert snapshot(venv) == before
