"""Native libraries reaching into sibling distributions (torch CUDA -> nvidia-*)."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from helpers import run_pepip, store_entries, venv_run
from pepip.manifest import read_manifest
from pepip.store.native import elf_dynamic
from pepip.venv.interpreter import venv_python


def sibling_wheels(wheelhouse: Path) -> None:
    if not list(wheelhouse.glob("usesfake-*.whl")):
        pytest.skip("no C compiler (or not Linux) to build the sibling-library wheels")


def test_elf_reader_finds_needed_libraries_and_origin_paths(wheelhouse, tmp_path):
    sibling_wheels(wheelhouse)
    [wheel] = wheelhouse.glob("usesfake-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        [member] = [n for n in archive.namelist() if n.endswith(".so")]
        extension = tmp_path / "ext.so"
        extension.write_bytes(archive.read(member))
    with open(extension, "rb") as handle:
        found = elf_dynamic(handle)
    assert found is not None
    needed, paths = found
    assert "libfake.so" in needed and paths == ["$ORIGIN/../fakenv/fake/lib"]
    assert elf_dynamic(open(__file__, "rb")) is None


def test_extension_loads_library_of_a_sibling_distribution(capsys, venv, index_args, store_root):
    sibling_wheels(wheelhouse=Path(index_args[2]))
    result = run_pepip(["install", *index_args, "usesfake"], capsys)
    assert result.exit_code == 0, result.stderr
    [user] = [p for p in store_entries(store_root) if p.parent.parent.name == "usesfake"]
    assert not (user / "site" / "fakenv").exists()  # $ORIGIN/../fakenv leads nowhere in the store
    assert "native=fakenv/fake/lib;" in (user / "ENTRY").read_text()
    assert venv_run(venv, "import usesfake; print(usesfake.value())") == "7"
    code = "import sys, usesfake; print('ctypes' in sys.modules)"
    assert venv_run(venv, "import sys; print('ctypes' in sys.modules)") == "False"  # only when needed
    assert venv_run(venv, code) == "True"


@pytest.mark.network
def test_torch_cpu_wheel(capsys, venv):
    find_links = os.environ.get("PIP_FIND_LINKS")
    if not find_links or not list(Path(find_links).glob("torch-*.whl")):
        pytest.skip("no torch wheel in $PIP_FIND_LINKS")
    result = run_pepip(["install", "--find-links", find_links, "torch==2.13.0", "numpy"], capsys)
    assert result.exit_code == 0, result.stderr
    code = "import torch; print(float(torch.ones(2) @ torch.ones(2)), torch.from_numpy(__import__('numpy').ones(1)).sum().item())"
    assert venv_run(venv, code) == "2.0 1.0"


def test_uninstalling_the_library_a_distribution_loads_leaves_no_preload_behind(capsys, venv, index_args):
    """After `pepip uninstall fakenv-lib` the venv no longer names its entry: usesfake's
    extension cannot find libfake any more, as in a venv uv made. A manifest that kept the
    old preloads loaded it from the store entry the venv had dropped."""
    sibling_wheels(wheelhouse=Path(index_args[2]))
    assert run_pepip(["install", *index_args, "usesfake"], capsys).exit_code == 0
    assert read_manifest(venv).preloads  # type: ignore[union-attr]
    assert run_pepip(["uninstall", "fakenv-lib"], capsys).exit_code == 0
    assert read_manifest(venv).preloads == {}  # type: ignore[union-attr]
    failed = subprocess.run([str(venv_python(venv)), "-c", "import usesfake"], capture_output=True, text=True)
    assert failed.returncode != 0 and "libfake" in failed.stderr, failed.stderr
