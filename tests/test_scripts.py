"""Launchers: the venv's interpreter in the shebang, long paths through /bin/sh; .exe on Windows."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from helpers import build_wheel, run_pepip
from pepip.errors import PepipError
from pepip.venv.scripts import entry_point_launcher, launcher_text, shebang, with_interpreter, write_launcher


def test_short_path_uses_plain_shebang():
    assert shebang(Path("/v/bin/python")) == "#!/v/bin/python\n"


@pytest.mark.posix("a symlinked interpreter and a /bin/sh trampoline")
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


def _exe_parts(data: bytes) -> tuple[bytes, str, dict[str, str]]:
    """An .exe launcher's launcher program, its #! line and its zip's files."""
    start = data.rindex(b"#!", 0, data.index(b"PK\x03\x04", len(data) - 4096))
    line, _, archive = data[start:].partition(b"\n")
    with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
        files = {name: bundle.read(name).decode() for name in bundle.namelist()}
    return data[:start], line.decode(), files


def test_windows_launcher_is_installers_exe_naming_the_venv_interpreter():
    python = Path("C:/proj/.venv/Scripts/python.exe")
    name, data = entry_point_launcher(python, "tool.cli:main", "tool", gui=False, windows=True)
    program, line, files = _exe_parts(data)
    assert name == "tool.exe" and program.startswith(b"MZ")
    assert line == "#!%s" % python
    assert "from tool.cli import main" in files["__main__.py"] and "sys.exit(main())" in files["__main__.py"]
    gui_name, gui = entry_point_launcher(python, "tool.gui:run", "tool-gui", gui=True, windows=True)
    gui_program, gui_line, _ = _exe_parts(gui)
    assert gui_name == "tool-gui.exe" and gui_line == "#!%s" % python.with_name("pythonw.exe")
    assert gui_program != program  # the windowed launcher, which opens no console


def test_windows_launcher_quotes_an_interpreter_path_with_spaces():
    python = Path("C:/Users/Ada Lovelace/proj/.venv/Scripts/python.exe")
    _name, data = entry_point_launcher(python, "tool:main", "tool", gui=False, windows=True)
    assert _exe_parts(data)[1] == '#!"%s"' % python


@pytest.mark.windows
@pytest.mark.skipif(sys.platform != "win32", reason="runs a Windows .exe")
def test_windows_launcher_runs_the_entry_point(tmp_path):
    module = tmp_path / "launched.py"
    module.write_text("import sys\ndef main():\n    print('launched', sys.argv[1:])\n    return 3\n")
    name, data = entry_point_launcher(Path(sys.executable), "launched:main", "run-it", gui=False)
    write_launcher(tmp_path / name, data)
    completed = subprocess.run([str(tmp_path / name), "a b"], capture_output=True, text=True,
                               env={**__import__("os").environ, "PYTHONPATH": str(tmp_path)})
    assert completed.returncode == 3, completed.stderr
    assert completed.stdout.strip() == "launched ['a b']"


@pytest.mark.posix("a shell data script named like the console script; on Windows the launcher is tool-cli.exe")
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


def test_a_console_script_with_a_250_character_name_installs_like_uv(capsys, venv, isolated):
    """R20: the launcher's temp name (the script's plus a suffix) had exceeded 255 bytes."""
    from helpers import bin_dir, uv_venv_with

    name = "long" + "x" * 246
    house = isolated / "long-house"
    house.mkdir()
    build_wheel(house, "longscript", "1.0", {"longscript.py": "def main():\n    print('long ran')\n"},
                entry_points="[console_scripts]\n%s = longscript:main\n" % name)
    result = run_pepip(["install", "-q", "--no-index", "--find-links", str(house), "longscript"], capsys)
    assert result.exit_code == 0, result.stderr
    uv_venv = uv_venv_with(isolated / "uv-venv", house, "longscript")
    for root in (venv, uv_venv):
        ran = subprocess.run([str(bin_dir(root) / name)], capture_output=True, text=True)
        assert (ran.returncode, ran.stdout.strip()) == (0, "long ran"), ran.stderr
    assert not [path for path in bin_dir(venv).iterdir() if path.name.startswith(".")]
