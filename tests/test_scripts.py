"""Launchers: the venv's interpreter in the shebang, long paths through /bin/sh."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

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
