"""The command line: user errors end in one clear line, exit 1, and change nothing."""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import build_wheel, imported_modules, run_pepip, snapshot, store_entries
from pepip import __version__
from pepip.locations import find_uv
from pepip.install_line import INSTALL_OPTIONS


@pytest.fixture
def installed(capsys, venv, index_args, store_root) -> Path:
    """A venv with alpha (and beta) installed."""
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    return venv


def assert_one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("pepip: error: ")
    assert fragment in result.error_lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["no-such-package"], "no-such-package was not found"),
        (["alpha>>1"], "invalid requirement `alpha>>1`"),
        (["needs-new", "needs-old"], "needs-"),
        (["versioned==9.9"], "versioned"),
        (["-r", "missing-requirements.txt"], "missing-requirements.txt does not exist"),
        (["-c", "missing-constraints.txt", "alpha"], "does not exist"),
        ([], "nothing to install"),
    ],
)
def test_bad_input_leaves_venv_and_store_unchanged(capsys, installed, index_args, store_root, args, fragment):
    before = (snapshot(installed), snapshot(store_root))
    result = run_pepip(["install", *index_args, *args], capsys)
    assert result.exit_code == 1
    assert_one_line_error(result, fragment)
    assert (snapshot(installed), snapshot(store_root)) == before


def test_failed_install_into_new_venv_leaves_no_venv(capsys, venv, index_args, store_root):
    result = run_pepip(["install", *index_args, "no-such-package"], capsys)
    assert result.exit_code == 1
    assert not venv.exists()
    # Only the interpreter's template venv (derived, reusable) stays in the store.
    assert not list((store_root / "v2" / "venvs").iterdir())
    assert not list((store_root / "v2" / "entries").iterdir())


def test_venv_path_that_is_a_file(capsys, isolated, index_args):
    target = isolated / "work" / "not-a-dir"
    target.write_text("keep me")
    result = run_pepip(["install", *index_args, "--venv", str(target), "alpha"], capsys)
    assert_one_line_error(result, "is a file")
    assert target.read_text() == "keep me"


def test_directory_that_is_not_a_venv(capsys, isolated, index_args):
    target = isolated / "work" / "project"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    before = snapshot(target)
    result = run_pepip(["install", *index_args, "--venv", str(target), "alpha"], capsys)
    assert_one_line_error(result, "is not a venv")
    assert snapshot(target) == before


def test_unusable_store_root(capsys, isolated, index_args, monkeypatch):
    blocker = isolated / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PEPIP_HOME", str(blocker / "store"))
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert_one_line_error(result, "set PEPIP_HOME to a writable directory")
    assert not (isolated / "work" / ".venv").exists()


def test_missing_interpreter(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "--python", "/nonexistent/python9", "alpha"], capsys)
    assert_one_line_error(result, "/nonexistent/python9")
    assert not venv.exists()


def test_damaged_manifest(capsys, installed, index_args, store_root):
    (installed / "pepip-manifest.txt").write_text("garbage\n")
    before = (snapshot(installed), snapshot(store_root))
    result = run_pepip(["install", *index_args, "versioned"], capsys)
    assert_one_line_error(result, "pepip doctor")
    assert (snapshot(installed), snapshot(store_root)) == before


def test_bad_link_mode_setting(capsys, index_args, monkeypatch):
    monkeypatch.setenv("PEPIP_LINK_MODE", "hardcopy")
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert_one_line_error(result, "PEPIP_LINK_MODE")


def test_version_and_module_entry_point():
    completed = subprocess.run(
        [sys.executable, "-m", "pepip", "--version"], capture_output=True, text=True
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == "pepip %s" % __version__


def test_output_reports_resolution_storage_and_changes(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    lines = result.stderr.splitlines()
    assert lines[0] == "Using Python %s environment at: .venv" % platform.python_version()
    assert lines[1].startswith("Resolved 2 packages in ")
    assert any(line.startswith("Stored 2 packages in ") for line in lines)
    assert lines[-2:] == [" + alpha==1.0", " + beta==1.0"]


def test_a_virtualenv_venv_is_named_with_its_python_version_as_uv_says_it(capsys, venv, index_args):
    """virtualenv writes ``version_info = 3.11.7.final.0``: pepip had said so too."""
    assert run_pepip(["install", *index_args, "beta"], capsys).exit_code == 0
    config = venv / "pyvenv.cfg"
    text = config.read_text()
    config.write_text("".join(
        "version_info = %s.final.0\n" % platform.python_version() if line.startswith("version_info") else line
        for line in text.splitlines(keepends=True)
    ))
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert _lines(result)[0] == "Using Python %s environment at: .venv" % platform.python_version()


def test_closed_output_does_not_undo_an_install(venv, index_args):
    """`pepip install ... | head -1`: the pipe closes early; the install must stand."""
    completed = subprocess.run(
        "%s -m pepip install %s alpha tool 2>&1 | head -1" % (sys.executable, " ".join(index_args)),
        shell=True, capture_output=True, text=True,
    )
    assert completed.stdout.startswith("Using Python")
    assert (venv / "pepip-manifest.txt").is_file()
    assert subprocess.run([str(venv / "bin" / "python"), "-c", "import alpha, tool"]).returncode == 0


# --- issue 13: pip's and uv's habits -------------------------------------------------------

def _lines(result) -> list[str]:
    return result.stderr.splitlines()


def test_activated_venv_is_the_target(capsys, isolated, index_args, monkeypatch):
    """`pip install . && pepip install x` in an activated venv installs into that venv."""
    active = isolated / "work" / "active"
    assert run_pepip(["venv", str(active)], capsys).exit_code == 0
    monkeypatch.setenv("VIRTUAL_ENV", str(active))
    result = run_pepip(["install", *index_args, "beta"], capsys)
    assert result.exit_code == 0, result.stderr
    assert _lines(result)[0] == "Using Python %s environment at: active" % platform.python_version()
    assert len(_lines(result)) == 5  # Using, Resolved, Stored, Linked, + beta
    assert not (isolated / "work" / ".venv").exists()
    assert subprocess.run([str(active / "bin" / "python"), "-c", "import beta"]).returncode == 0
    other = isolated / "work" / "other"
    assert run_pepip(["install", "-q", *index_args, "--venv", str(other), "beta"], capsys).stderr == ""
    assert (other / "pepip-manifest.txt").is_file()  # --venv comes before VIRTUAL_ENV


def test_without_an_active_venv_dot_venv_is_the_target(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "beta"], capsys)
    assert result.exit_code == 0 and _lines(result)[0].endswith("environment at: .venv")
    assert (venv / "pepip-manifest.txt").is_file()


def test_virtual_env_that_is_not_a_venv(capsys, isolated, index_args, monkeypatch):
    monkeypatch.setenv("VIRTUAL_ENV", str(isolated / "gone"))
    result = run_pepip(["install", *index_args, "beta"], capsys)
    assert_one_line_error(result, "VIRTUAL_ENV names")
    assert not (isolated / "gone").exists()


def test_python_that_differs_from_the_venvs(capsys, installed, index_args, store_root):
    before = (snapshot(installed), snapshot(store_root))
    for request in ("2.7", "python2.7", "/nonexistent/python9"):
        result = run_pepip(["install", *index_args, "--python", request, "beta"], capsys)
        assert_one_line_error(result, platform.python_version())
        assert (snapshot(installed), snapshot(store_root)) == before
    assert "pepip venv %s --python 2.7" % installed in result_of_mismatch(capsys, index_args)
    same = run_pepip(["install", *index_args, "--python", "%d.%d" % sys.version_info[:2], "beta"], capsys)
    assert same.exit_code == 0, same.stderr


def result_of_mismatch(capsys, index_args) -> str:
    return run_pepip(["install", *index_args, "--python", "2.7", "beta"], capsys).stderr


def test_python_behind_a_failing_shim_is_one_line(capsys, isolated, index_args, monkeypatch):
    """pyenv's shim for a version not selected prints a screenful; pepip says one line."""
    shims = isolated / "shims"
    shims.mkdir()
    shim = shims / "python3.12"
    shim.write_text("#!/bin/sh\n" + "".join("echo 'shim line %d' >&2\n" % n for n in range(10)) + "exit 127\n")
    shim.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (shims, os.environ["PATH"]))
    result = run_pepip(["install", *index_args, "--python", "3.12", "alpha"], capsys)
    assert_one_line_error(result, "full path")
    assert str(shim) in result.stderr and "shim line 0" in result.stderr


def test_short_help_and_version_options(capsys):
    assert run_pepip(["-V"], capsys).stdout.strip() == "pepip %s" % __version__
    helped = run_pepip(["-h"], capsys)
    assert helped.exit_code == 0 and helped.stdout.startswith("Usage: pepip")
    assert run_pepip(["store", "-h"], capsys).exit_code == 0


@pytest.mark.parametrize(("args", "suggestion"), [
    (["instal", "alpha"], "did you mean 'install'"),
    (["install", "--venvv", "x", "alpha"], "did you mean --venv?"),
    (["store", "prun"], "did you mean 'prune'"),
])
def test_usage_mistakes_are_one_line_with_a_suggestion(capsys, args, suggestion):
    result = run_pepip(args, capsys)
    assert result.exit_code == 2
    assert len(result.error_lines) == 1 and result.error_lines[0].startswith("pepip: error: "), result.stderr
    assert suggestion in result.stderr.lower()
    assert "╭" not in result.stderr and "Usage:" not in result.stderr


def test_doctor_errors_carry_the_prefix(capsys, isolated):
    result = run_pepip(["doctor", "--venv", str(isolated / "nowhere")], capsys)
    assert_one_line_error(result, "no venv at")


def test_uninstalling_what_is_not_installed_warns(capsys, installed, store_root):
    before = (snapshot(installed), snapshot(store_root))
    result = run_pepip(["uninstall", "versioned"], capsys)
    assert result.exit_code == 0, result.stderr
    assert _lines(result)[1:] == [
        "pepip: warning: skipping versioned: it is not installed in %s" % installed,
        "No packages to uninstall",
    ]
    assert len(_lines(result)) == 3
    assert (snapshot(installed), snapshot(store_root)) == before
    both = run_pepip(["uninstall", "versioned", "alpha"], capsys)
    assert both.exit_code == 0 and len(_lines(both)) == 4 and _lines(both)[-1] == " - alpha==1.0"


@pytest.mark.parametrize("code", ["from pepip.__main__ import main; main(['store', 'path'])", "import pepip.cli"])
def test_ctrl_c_while_starting_prints_no_traceback(isolated, code):
    """A KeyboardInterrupt while typer is imported (as Ctrl-C at start-up would raise), by
    the command or by a tool that imports the command line itself."""
    fake = isolated / "fake"
    (fake / "typer").mkdir(parents=True)
    (fake / "typer" / "__init__.py").write_text("raise KeyboardInterrupt\n")
    completed = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(fake), os.environ.get("PYTHONPATH")]))},
    )
    assert completed.returncode in (-signal.SIGINT, 130), completed.stderr
    assert completed.stderr == ""


def test_ctrl_c_after_the_command_finished_exits_0():
    code = (
        "import atexit, os, signal\n"
        "atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))\n"
        "from pepip.__main__ import main\n"
        "main(['store', 'path'])\n"
    )
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == "" and completed.stdout.strip()


@pytest.mark.parametrize("command", [
    [], ["install"], ["uninstall"], ["sync"], ["list"], ["freeze"], ["venv"], ["repair"], ["doctor"],
    ["store"], ["store", "path"], ["store", "ls"], ["store", "status"], ["store", "verify"], ["store", "prune"],
    ["store", "clean"],
])
def test_help_has_an_example_and_the_environment(capsys, command):
    result = run_pepip([*command, "--help"], capsys)
    assert result.exit_code == 0 and result.stderr == ""
    assert "Example:\n    $ pepip " in result.stdout, result.stdout
    assert "Environment:" in result.stdout and "PEPIP_HOME" in result.stdout


def test_every_value_help_names_for_a_setting_is_one_pepip_takes(capsys, monkeypatch):
    """`pepip --help` said PEPIP_LINK_MODE defaults to symlink, which pepip refuses: help and
    check now come from one declaration (``pepip.locations.SETTINGS``)."""
    result = run_pepip(["--help"], capsys)
    assert result.exit_code == 0
    environment = result.stdout.split("Environment:", 1)[1]
    help_lines = dict(re.findall(r"^ +(\S+) {2,}(.*)$", environment, re.M))
    choices = {}
    for name, text in help_lines.items():
        listed = re.match(r"^(\w+(?: \(default\))?(?:, \w+(?: \(default\))?)* or \w+(?: \(default\))?):", text)
        if listed:
            choices[name] = re.findall(r"(\w+)( \(default\))?", listed.group(1).replace(" or ", ", "))
    assert {"PEPIP_LINK_MODE", "PEPIP_BYTECODE"} <= set(choices), help_lines
    for name, values in choices.items():
        assert [value for value, default in values if default], "%s: help names no default" % name
        for value, _ in values:
            monkeypatch.setenv(name, value)
            taken = run_pepip(["store", "path"], capsys)
            assert taken.exit_code == 0, "%s=%s, as help offers: %s" % (name, value, taken.stderr)
        monkeypatch.setenv(name, "no-such-mode")
        refused = run_pepip(["store", "path"], capsys)
        assert refused.exit_code == 1 and name in refused.stderr
        monkeypatch.delenv(name)


def _install_on(stderr_kind: str, index_args, args=("alpha",), quiet=False):
    """Run `pepip install` in a subprocess with stderr on a new pseudo-terminal or a pipe."""
    command = [sys.executable, "-m", "pepip", "install", *(["-q"] if quiet else []), *index_args, *args]
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "100"}
    if stderr_kind == "pipe":
        completed = subprocess.run(command, capture_output=True, env=env)
        return completed.returncode, completed.stderr.decode()
    import pty  # POSIX only (termios): the tests drawing on a terminal are not in the Windows subset

    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave, env=env)
    os.close(slave)
    drawn = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        drawn += chunk
    os.close(master)
    return process.wait(), drawn.decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_shows_on_a_terminal_only(venv, index_args, isolated, monkeypatch):
    code, drawn = _install_on("pty", index_args)
    assert code == 0, drawn
    assert "Storing" in drawn and "2/2" in drawn, drawn  # counts out of the total, drawn live
    assert "\x1b[" in drawn  # drawn by rich, then erased
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", drawn)
    assert "Stored 2 packages in " in plain and " + alpha==1.0" in plain
    assert "Installed 2 packages" not in plain  # uv's lines about its staging dir stay hidden
    monkeypatch.setenv("PEPIP_HOME", str(isolated / "store2"))
    code, piped = _install_on("pipe", index_args, ("--venv", "piped", "alpha", "tool"))
    assert code == 0 and "\x1b" not in piped and "Storing" not in piped and "Downloading" not in piped
    assert len(piped.splitlines()) == 7, piped  # Using, Resolved, Stored, Linked, 3 x +
    monkeypatch.setenv("PEPIP_HOME", str(isolated / "store3"))
    code, quiet = _install_on("pty", index_args, ("--venv", "quiet", "alpha"), quiet=True)
    assert code == 0 and quiet == ""


def test_progress_reads_uvs_display():
    from pepip.progress import UvDisplay

    seen = []

    class Recorder:
        def counts(self, what, done, total):
            seen.append((what, done, total))

        def downloads(self, sizes):
            seen.append(sizes)

    display = UvDisplay(Recorder())  # type: ignore[arg-type]
    display.feed(
        "\r\x1b[2K\x1b[37m⠙\x1b[0m \x1b[2mPreparing packages...\x1b[0m (3/48)          "
        "\x1b[2mtorch     \x1b[0m \x1b[32m-------\x1b[30m\x1b[2m-------\x1b[0m 120.00 MiB/700.00 MiB\r"
    )
    assert seen == [("Downloading", 3, 48), {"torch": (120 * 1024**2, 700 * 1024**2)}]


def test_plurals(capsys, venv, index_args):
    result = run_pepip(["install", *index_args, "beta"], capsys)
    lines = _lines(result)
    assert [line.split(" in ")[0] for line in lines[1:4]] == ["Resolved 1 package", "Stored 1 package", "Linked 1 package"]
    again = run_pepip(["install", *index_args, "beta"], capsys)
    assert _lines(again)[1] == "Audited 1 package; nothing to change"
    gone = run_pepip(["uninstall", "beta"], capsys)
    assert _lines(gone)[1:] == ["Uninstalled 1 package", " - beta==1.0"]


def test_repair_reports_a_restored_pin_once(capsys, installed, index_args, store_root):
    entry = next(path for path in store_entries(store_root) if "beta" in str(path))
    os.chmod(entry, 0o755)
    for directory, subdirs, _files in os.walk(entry):
        for name in subdirs:
            os.chmod(os.path.join(directory, name), 0o755)
    shutil.rmtree(entry)
    result = run_pepip(["repair", *index_args], capsys)
    assert result.exit_code == 0, result.stderr
    assert " ~ beta==1.0" in _lines(result)
    assert " + beta==1.0" not in _lines(result) and " - beta==1.0" not in _lines(result)
    assert len(_lines(result)) == 5  # Using, Repairing, Stored, Linked, ~ beta


@pytest.mark.parametrize("text", ["al\npepip: error: fake", "al\x1b[2Kpha", "al\rpha"])
def test_typed_text_cannot_forge_lines(capsys, venv, index_args, text):
    result = run_pepip(["install", *index_args, text], capsys)
    assert_one_line_error(result, "invalid requirement")
    assert "\x1b" not in result.stderr and "\r" not in result.stderr
    assert len(result.stderr.splitlines()) == 1
    unknown = run_pepip([text], capsys)
    assert unknown.exit_code == 2 and len(unknown.stderr.splitlines()) == 1


def _written(venv: Path, store_root: Path) -> dict[str, tuple[int, int]]:
    """Every file's inode and mtime: a rewrite with the same bytes changes them."""
    found = {}
    for root in (venv, store_root):
        for directory, _subdirs, files in os.walk(root):
            for name in files:
                info = os.lstat(os.path.join(directory, name))
                # A registry record is renewed (its mtime) by every command on its venv.
                renewed = os.path.basename(directory) == "venvs" and root == store_root
                found[os.path.join(directory, name)] = (info.st_ino, 0 if renewed else info.st_mtime_ns)
    return found


def test_a_command_that_changes_nothing_writes_nothing(capsys, installed, index_args, store_root, isolated):
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("alpha\n")
    assert run_pepip(["install", *index_args, "-r", str(requirements)], capsys).exit_code == 0
    before = _written(installed, store_root)
    for args in (["alpha"], ["-r", str(requirements)], ["--refresh", "alpha"]):
        result = run_pepip(["install", *index_args, *args], capsys)
        assert result.exit_code == 0 and _lines(result)[-1] == "Audited 2 packages; nothing to change"
        assert _written(installed, store_root) == before, args


def test_install_into_the_venv_pepip_itself_was_installed_in(capsys, isolated, index_args, wheelhouse, monkeypatch):
    """The README in an activated venv: `pip install .` put pepip there from a local path
    (a direct URL); `pepip install` must keep that installation, not replace it from the store."""
    active = isolated / "work" / "active"
    assert run_pepip(["venv", str(active)], capsys).exit_code == 0
    local = next(wheelhouse.glob("versioned-1.0-*.whl"))
    uv = subprocess.run(
        [os.environ.get("PEPIP_UV") or str(find_uv(os.environ)), "pip", "install", "--python",
         str(active / "bin" / "python"), "--quiet", str(local)], capture_output=True, text=True,
    )
    assert uv.returncode == 0, uv.stderr
    monkeypatch.setenv("VIRTUAL_ENV", str(active))
    result = run_pepip(["install", *index_args, "alpha"], capsys)
    assert result.exit_code == 0, result.stderr
    assert "versioned" not in result.stderr  # neither removed nor re-stored
    listed = run_pepip(["list"], capsys).stdout
    assert re.search(r"versioned\s+1.0\s+site-packages", listed), listed


def _typer_install_params(args: list[str]) -> dict[str, object]:
    """What typer's ``install`` command makes of ``args``, in ``run_install``'s terms."""
    import typer

    from pepip.cli import app

    command = typer.main.get_command(app).commands["install"]  # type: ignore[attr-defined]
    params = dict(command.make_context("install", list(args)).params)
    params["packages"] = list(params["packages"] or ())
    return {
        name: [str(item) for item in value] if isinstance(value, (list, tuple)) else
        (str(value) if isinstance(value, Path) else value)
        for name, value in params.items()
    }


def test_install_options_are_declared_once_for_typer_and_run_install():
    """typer's ``install`` has exactly the options of ``pepip.install_line.INSTALL_OPTIONS``, each
    of the declared kind, and ``run_install`` takes exactly their parameters: an option
    declared beside the table would be one the typer-free parser does not know."""
    import inspect

    import typer

    from pepip.cli import app
    from pepip.install_line import run_install

    command = typer.main.get_command(app).commands["install"]  # type: ignore[attr-defined]
    declared = {}
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        kind = ("count" if getattr(param, "count", False) else "flag" if param.is_flag
                else "values" if param.multiple else "value")
        declared[param.name] = ({*param.opts, *param.secondary_opts}, kind, param.help)
    assert declared == {option.parameter: (set(option.names), option.kind, option.help) for option in INSTALL_OPTIONS}
    assert set(inspect.signature(run_install).parameters) == {"packages"} | set(declared)


@pytest.mark.parametrize("option", INSTALL_OPTIONS, ids=lambda option: option.names[0])
def test_each_install_option_is_read_without_typer_as_typer_reads_it(option):
    """Every name of every option, given as its kind is given (a list twice, a count twice,
    ``--name=value``), means the same to the typer-free parser as to typer."""
    from pepip.install_line import parse_install

    for name in option.names:
        given = {
            "flag": [name], "count": [name, name], "value": [name, "v"],
            "values": [name, "a", *(["%s=b" % name] if name.startswith("--") else [name, "b"])],
        }[option.kind]
        parsed = parse_install(["install", *given, "x"])
        expected = {key: value for key, value in _typer_install_params([*given, "x"]).items() if value not in (None, False, [])}
        assert parsed == expected, name


@pytest.mark.parametrize("name", ["list", "freeze"])
def test_list_and_freeze_options_read_without_typer_are_typers_own(name):
    """``list_line`` knows exactly the options typer's ``list`` and ``freeze`` declare, each
    the same kind."""
    import typer

    from pepip.cli import app
    from pepip.list_line import FREEZE_OPTIONS, LIST_OPTIONS

    read = {"list": LIST_OPTIONS, "freeze": FREEZE_OPTIONS}[name]
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    declared = {}
    for param in command.params:
        if param.param_type_name != "option" or param.name == "help":
            continue
        for option in [*param.opts, *param.secondary_opts]:
            counted = bool(getattr(param, "count", False))  # -v -v: a flag that repeats
            declared[option] = (param.name, not (param.is_flag or counted), param.multiple or counted)
    assert declared == read


@pytest.mark.parametrize("args", [
    ["install", "alpha", "beta>=1"],
    ["install", "-q", "--venv", "v/.venv", "-r", "a.txt", "--requirement=b.txt", "alpha"],
    ["install", "--no-index", "-f", "wheels", "--find-links=more", "-U", "--pre", "-c", "c.txt", "x"],
    ["install", "-i", "https://example.invalid/simple", "--extra-index-url", "e1", "--python", "3.11", "x"],
    ["install", "--venv", "a", "--venv", "b", "--require-hashes", "--refresh", "-e", "./proj", "--", "-weird"],
    ["install", "--no-deps", "--reinstall", "--reinstall-package", "a", "--reinstall-package=b", "-P", "c",
     "--upgrade-package", "d", "--no-binary", "e", "--only-binary=:all:", "--dry-run", "--offline",
     "--no-build-isolation", "--exclude-newer", "2024-01-01", "--index-strategy",
     "unsafe-best-match", "--torch-backend=cpu", "--group", "dev", "--group", "p/pyproject.toml:docs", "x"],
    ["install", "-v", "x", "--verbose"],
])
def test_install_is_read_as_typer_reads_it(args):
    from pepip.install_line import parse_install

    parsed = parse_install(args)
    assert parsed is not None
    expected = {name: value for name, value in _typer_install_params(args[1:]).items() if value not in (None, False, [])}
    assert parsed == expected


@pytest.mark.parametrize("args", [
    ["install", "--help"], ["install", "-h"], ["install", "-qU", "x"], ["install", "--quiet=1", "x"],
    ["install", "--venv"], ["install", "--no-such-option", "x"], ["list"], [], ["install", "--target", "t", "x"],
    ["install", "--dry-run=1", "x"],
])
def test_what_install_line_does_not_know_goes_to_typer(args):
    from pepip.install_line import parse_install

    assert parse_install(args) is None


def test_a_plain_install_does_not_load_typer(venv, index_args, isolated):
    code = (
        "import sys\n"
        "from pepip.__main__ import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    print(done.code, 'typer' in sys.modules)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, "install", "-q", "--venv", str(venv), *index_args, "alpha"],
        capture_output=True, text=True, cwd=isolated,
    )
    assert completed.stdout.split() == ["0", "False"], completed.stderr
    assert (venv / "pepip-index.marshal").is_file()


def test_a_remembered_install_starts_no_process_and_loads_what_only_processes_need(tmp_path, venv, index_args, isolated):
    """A second venv with the same request is linked from the store and a remembered
    resolution: no uv runs, so the modules only a process or uv's discovery needs
    (subprocess, tempfile, socket, zipfile, the uv package) cost it nothing."""
    first = subprocess.run([sys.executable, "-m", "pepip", "install", "-q", "--venv", str(venv), *index_args, "alpha"],
                           capture_output=True, text=True, cwd=isolated)
    assert first.returncode == 0, first.stderr
    code = (
        "import sys\n"
        "before = set(sys.modules)\n"
        "from pepip.__main__ import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "except SystemExit as done:\n"
        "    heavy = {'subprocess', 'tempfile', 'socket', 'zipfile', 'uv', 'configparser'}\n"
        "    print(done.code, *sorted(heavy & (set(sys.modules) - before)))\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code, "install", "--venv", str(tmp_path / "second"), *index_args, "alpha"],
        capture_output=True, text=True, cwd=isolated,
    )
    assert "(remembered)" in completed.stderr, completed.stderr
    assert completed.stdout.split() == ["0"], completed.stderr


def test_version_loads_nothing_but_pepip():
    """``pepip --version`` costs about an interpreter start: no typer, no typing, no signal."""
    extra = imported_modules("-m", "pepip", "--version") - imported_modules("-c", "import runpy")
    assert extra <= {"pepip", "pepip.__main__"}, extra


def test_force_color_colours_the_error_line_and_no_color_wins(capsys, venv, monkeypatch):
    """CI systems set FORCE_COLOR: uv's coloured words had come out as escaped text
    (``\\x1b[1m\\x1b[31merror``). As uv: FORCE_COLOR colours `error`, NO_COLOR wins over it."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run_pepip(["install", "--no-index", "numpyy"], capsys)
    assert coloured.exit_code == 1 and len(coloured.error_lines) == 1, coloured.stderr
    line = coloured.error_lines[0]
    assert "\\x1b" not in line, line
    assert line.startswith("pepip: \x1b[1;31merror\x1b[0m: ")
    assert "numpyy was not found" in line
    monkeypatch.setenv("NO_COLOR", "1")
    plain = run_pepip(["install", "--no-index", "numpyy"], capsys)
    assert "\x1b" not in plain.stderr and len(plain.error_lines) == 1
    assert re.sub(r"\x1b\[[0-9;]*m", "", line) == plain.error_lines[0]


def test_error_line_names_the_index_that_could_not_be_reached(capsys, venv, monkeypatch):
    """uv's cause chain: `Request failed after 1 retry`, `Failed to fetch: URL`, ...,
    `Connection refused`. The line had kept the first and the last: no URL."""
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.delenv("UV_OFFLINE")
    monkeypatch.setenv("UV_HTTP_RETRIES", "1")
    result = run_pepip(["install", "--index-url", "http://127.0.0.1:%d/simple" % port, "numpyy"], capsys)
    assert_one_line_error(result, "http://127.0.0.1:%d/simple/numpyy/" % port)
    assert "Connection refused" in result.error_lines[0]


def test_error_line_keeps_what_git_said(capsys, venv, isolated):
    """A failed clone: the line had ended at "process didn't exit successfully: `git fetch
    ...` (exit status: 128)", and git's own lines followed it."""
    missing = isolated / "no-repo"
    result = run_pepip(["install", "foo @ git+file://%s" % missing], capsys)
    assert_one_line_error(result, "fatal: '%s' does not appear to be a git repository" % missing)
    # With -v, uv's log (DEBUG lines, `Updating ...`) comes first and stays out of the line.
    verbose = run_pepip(["install", "-v", "foo @ git+file://%s" % missing], capsys)
    assert "DEBUG " in verbose.stderr and verbose.error_lines[-1] == result.error_lines[0]


@pytest.mark.parametrize("where", ["global", "command"])
def test_verbose_shows_uvs_whole_output(capsys, venv, index_args, where):
    args = ["-v", "install", *index_args, "alpha"] if where == "global" else ["install", "-v", *index_args, "alpha"]
    result = run_pepip(args, capsys)
    assert result.exit_code == 0, result.stderr
    assert "DEBUG uv " in result.stderr and "DEBUG pepip runs: " in result.stderr  # uv -v's own lines
    assert " + alpha==1.0" in result.stderr
    failed = run_pepip([*args[:-1], "no-such-package"], capsys)
    assert failed.exit_code == 1 and "Traceback" not in failed.stderr
    assert failed.error_lines[-1].startswith("pepip: error: ") and "DEBUG" in failed.stderr


def test_cold_install_in_a_log_prints_downloads_as_uv_does(capsys, venv, isolated, monkeypatch):
    """stderr not a terminal (CI): uv prints `Downloading bigdata (3.0MiB)` and
    ` Downloaded bigdata`; pepip printed nothing while it downloaded."""
    import functools
    import http.server
    import threading

    house = isolated / "served"
    house.mkdir()
    build_wheel(house, "bigdata", "1.0", {"bigdata/__init__.py": "", "bigdata/blob.bin": os.urandom(3 * 1024 * 1024)})
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(house))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.delenv("UV_OFFLINE")
    index = ["--no-index", "--find-links", "http://127.0.0.1:%d/" % server.server_port]
    try:
        result = run_pepip(["install", *index, "bigdata"], capsys)
        monkeypatch.setenv("UV_CACHE_DIR", str(isolated / "uv-oracle-cache"))
        plain = isolated / "plain"
        uv = str(find_uv(os.environ))
        subprocess.run([uv, "venv", "-q", str(plain)], check=True)
        oracle = subprocess.run(
            [uv, "pip", "install", "--python", str(plain / "bin" / "python"), *index, "bigdata"],
            capture_output=True, text=True,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    downloads = [line for line in lines if "Download" in line]
    assert downloads == ["Downloading bigdata (3.0MiB)", " Downloaded bigdata"], result.stderr
    assert downloads == [line for line in oracle.stderr.splitlines() if "Download" in line], oracle.stderr
    assert lines.index(downloads[0]) > [i for i, line in enumerate(lines) if line.startswith("Resolved")][0]


def test_every_setting_has_a_row_in_the_docs():
    from pepip.locations import SETTINGS

    table = (Path(__file__).resolve().parents[1] / "docs" / "commands.md").read_text().split("## Settings", 1)[1]
    rows = dict(re.findall(r"^\| `([A-Z_*]+)` \| (.*) \|$", table, re.M))
    for setting in SETTINGS:
        if setting.name != "UV_*":
            assert setting.name in rows, setting.name
        if setting.choices:
            assert "`%s` (default)" % setting.default in rows[setting.name], rows[setting.name]
