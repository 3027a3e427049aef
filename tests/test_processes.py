"""Child processes of a pepip venv see its packages (``-I`` and ``-m``: test_install.py)."""

from __future__ import annotations

import subprocess

import pytest

from helpers import run_pepip

CHILD = """
import multiprocessing as mp, subprocess, sys

def work(_):
    import alpha, beta
    return alpha.NAME + beta.NAME

if __name__ == "__main__":
    mp.set_start_method(sys.argv[1])
    with mp.Pool(2) as pool:
        print(pool.map(work, range(2)))
    print(subprocess.run([sys.executable, "-c", "import alpha; print(alpha.NAME)"],
                         capture_output=True, text=True, check=True).stdout.strip())
"""


@pytest.mark.parametrize("method", ["spawn", "forkserver", "fork"])
def test_multiprocessing_and_subprocess_see_the_packages(capsys, venv, index_args, isolated, method):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    script = isolated / "child.py"
    script.write_text(CHILD)
    completed = subprocess.run([str(venv / "bin" / "python"), str(script), method], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split("\n")[:2] == ["['alphabeta', 'alphabeta']", "alpha"]
