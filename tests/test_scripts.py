"""Launchers: the venv's interpreter in the shebang, long paths through /bin/sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, run_pepip
from pepip.errors import PepipError
from pepip.scripts import launcher_text, shebang, with_interpreter, write_launcher


def test_short_path_uses_plain_shebang():
    assert shebang(Path("/v/bin/python")) == "#!/v/bin/python\n"


def test_long_or_spaced_interpreter_path_runs_through_sh(tmp_path):
    long_dir = tmp_path / ("x" * 150) / "with space"
    long_dir.mkdir(parents=True)
    python = long_dir / "python"
    python.symlink_to(sys.executable)
    module = tmp_path / "launched.py"
    module.write_text("def main():\n    print('launched')\n    return 0\n")
    script = tmp_path / "run-it"
    write_launcher(script, launcher_text(python, "launched:main", "run-it").encode())
    completed = subprocess.run([str(script)], capture_output=True, text=True,
                               env={"PYTHONPATH": str(tmp_path)})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "launched"


def test_data_script_gets_interpreter_only_with_python_placeholder():
    assert with_interpreter(b"#!python\nprint(1)\n", Path("/v/bin/python")) == b"#!/v/bin/python\nprint(1)\n"
    assert with_interpreter(b"#!/bin/sh\necho\n", Path("/v/bin/python")) is None


def test_entry_point_without_callable_is_an_error():
    with pytest.raises(PepipError, match="module:function"):
        launcher_text(Path("/v/bin/python"), "just.a.module", "broken")


def test_a_replaced_launcher_is_announced_and_comes_back(capsys, isolated, venv, wheelhouse):
    """A data script named like another distribution's console script replaces it with a
    warning (last installed wins, as with pip); uninstalling it, or repair after the file went
    missing, brings the console script back."""
    house = isolated / "clobber-house"
    house.mkdir()
    build_wheel(house, "clobber", "1.0", {"clobber.py": "", "{data}/scripts/tool-cli": "#!/bin/sh\necho clobbered\n"})
    index = ["--no-index", "-f", str(wheelhouse), "-f", str(house)]
    assert run_pepip(["install", *index, "tool"], capsys).exit_code == 0
    installed = run_pepip(["install", *index, "clobber"], capsys)
    assert installed.exit_code == 0
    assert [line for line in installed.error_lines if "warning" in line] == [
        "pepip: warning: clobber replaces bin/tool-cli of tool (the last one installed wins, as with pip)"
    ]
    launcher = venv / "bin" / "tool-cli"
    assert subprocess.run([str(launcher)], capture_output=True, text=True).stdout == "clobbered\n"
    assert run_pepip(["doctor"], capsys).exit_code == 0

    removed = run_pepip(["uninstall", "clobber"], capsys)
    assert removed.exit_code == 0 and "pepip: warning: tool: restored bin/tool-cli" in removed.stderr
    assert subprocess.run([str(launcher)], capture_output=True, text=True).stdout == "tool main\n"

    launcher.unlink()  # gone, as `pip uninstall` of a distribution that had replaced it leaves it
    doctor = run_pepip(["doctor"], capsys)
    assert doctor.exit_code == 1 and "tool 1.0: bin/tool-cli is gone or was changed" in doctor.stdout + doctor.stderr
    assert run_pepip(["repair", *index], capsys).exit_code == 0
    assert subprocess.run([str(launcher)], capture_output=True, text=True).stdout == "tool main\n"
