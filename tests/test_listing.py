"""`pepip list` and `pepip freeze`: store and site-packages distributions, each with its origin."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from helpers import imported_modules, make_editable_project, run_pepip, uv_install, venv_python
from pepip.locations import find_uv


@pytest.mark.windows
def test_list_and_freeze_show_origin_of_each_distribution(capsys, venv, index_args, wheelhouse):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    uv = str(find_uv(os.environ))
    completed = subprocess.run(
        [uv, "pip", "install", "--python", str(venv_python(venv)), *index_args, "versioned==1.0"],
        capture_output=True, text=True,
    )
    assert completed.returncode == 0, completed.stderr
    result = run_pepip(["list", "--format", "json"], capsys)
    assert result.exit_code == 0, result.stderr
    rows = {row["name"]: row["origin"] for row in json.loads(result.stdout)}
    assert rows == {"alpha": "store", "beta": "store", "versioned": "site-packages"}
    table = run_pepip(["list"], capsys).stdout.splitlines()
    assert table[0].split() == ["Package", "Version", "Origin"]
    assert table[2].split() == ["alpha", "1.0", "store"]
    freeze = run_pepip(["freeze"], capsys).stdout.splitlines()
    assert freeze == ["alpha==1.0", "beta==1.0", "versioned==1.0"]


def test_freeze_shows_editable_install(capsys, venv, index_args, isolated):
    project = make_editable_project(isolated / "proj", "mine")
    result = run_pepip(["install", *index_args, "-e", str(project)], capsys)
    assert result.exit_code == 0, result.stderr
    assert run_pepip(["freeze"], capsys).stdout.strip() == "-e %s" % project.as_uri()


def test_list_bad_format_is_one_line(capsys, venv, index_args):
    assert run_pepip(["install", *index_args, "beta"], capsys).exit_code == 0
    result = run_pepip(["list", "--format", "yaml"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1


@pytest.fixture
def mixed(capsys, venv, index_args, wheelhouse, isolated) -> Path:
    """A venv of every kind of row: distributions from the store, an editable project, one uv
    installed from the wheelhouse and one from a wheel file (a direct URL), and a store
    distribution ``uv pip uninstall`` removed (not listed)."""
    assert run_pepip(["install", *index_args, "alpha", "tool"], capsys).exit_code == 0
    project = make_editable_project(isolated / "proj", "mine")
    assert run_pepip(["install", *index_args, "-e", str(project)], capsys).exit_code == 0
    uv_install(venv, *index_args, "versioned==1.0")
    uv_install(venv, str(next(wheelhouse.glob("typedpkg-1.0-*.whl"))))
    removed = subprocess.run([str(find_uv(os.environ)), "pip", "uninstall", "--python", str(venv_python(venv)), "tool"],
                             capture_output=True, text=True)
    assert removed.returncode == 0, removed.stderr
    return venv


@pytest.mark.parametrize("args", [
    ["list"], ["list", "--format", "json"], ["freeze"], ["list", "--format=table", "-v"], ["freeze", "--verbose"],
])
@pytest.mark.parametrize("where", ["--venv", "relative", "VIRTUAL_ENV", "default"])
def test_list_without_typer_prints_what_typer_prints(capsys, monkeypatch, mixed, isolated, args, where):
    """``list_line`` answers an ordinary venv itself, byte for byte as typer's command and
    ``existing_venv`` do, for the venv each would choose."""
    from pepip.cli import run
    from pepip.list_line import parse_listing, run_listing

    if where == "--venv":
        args = [*args, "--venv", str(mixed)]
    elif where == "relative":
        args = [*args, "--venv=.venv"]
    elif where == "VIRTUAL_ENV":
        monkeypatch.setenv("VIRTUAL_ENV", str(mixed))
        monkeypatch.chdir(isolated)
    parsed = parse_listing(args)
    assert parsed is not None
    capsys.readouterr()
    quick = run_listing(*parsed)
    assert quick is not None and capsys.readouterr() == ("", "")  # printed by pepip.__main__
    assert run(args) == 0
    typer = capsys.readouterr()
    assert (quick, "") == (typer.out, typer.err)
    if args[0] == "freeze":
        wheel = "typedpkg @ file://"
        assert [line.split("==")[0].split(" @ ")[0] for line in quick.splitlines()] == [
            "alpha", "beta", "-e %s" % (isolated / "proj").as_uri(), "typedpkg", "versioned"]
        assert wheel in quick
    elif "json" in args:
        rows = {row["name"]: (row["origin"], row["editable"] is not None, row["url"] is not None)
                for row in json.loads(quick)}
        assert rows == {
            "alpha": ("store", False, False), "beta": ("store", False, False), "mine": ("site-packages", True, True),
            "typedpkg": ("site-packages", False, True), "versioned": ("site-packages", False, False),
        }
    else:
        assert [line.split()[0] for line in quick.splitlines()[2:]] == ["alpha", "beta", "mine", "typedpkg", "versioned"]
        assert "site-packages (editable)" in quick


def test_list_and_freeze_load_no_typer(capsys, venv, index_args, isolated):
    """``pepip list`` costs about what ``uv pip list`` does: typer and click alone would cost
    several times that, as would ``pathlib``, dataclasses, ``typing``, ``re`` or ``signal``."""
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    uv_install(venv, *index_args, "versioned==1.0")  # a foreign distribution is read too
    start = imported_modules("-c", "import runpy")
    heavy = {"typer", "click", "pepip.cli", "pepip.locations", "pepip.venv.target", "pathlib", "dataclasses",
             "typing", "re", "json", "signal", "enum", "packaging"}
    for command in (["list"], ["freeze"], ["list", "--venv", str(venv)]):
        extra = imported_modules("-m", "pepip", *command, cwd=venv.parent) - start
        assert "pepip.commands.listing" in extra
        assert not extra & heavy, sorted(extra & heavy)


def test_a_venv_pepip_has_not_wired_is_listed_through_typer(capsys, isolated, index_args):
    """A plain venv's interpreter must be asked where its site-packages are: ``existing_venv``
    does, through typer, and lists what uv installed there."""
    from pepip.list_line import run_listing

    plain = isolated / "plain"
    subprocess.run([str(find_uv(os.environ)), "venv", "-q", str(plain)], check=True)
    uv_install(plain, *index_args, "versioned==1.0")
    assert run_listing("list", str(plain), "table") is None
    result = run_pepip(["list", "--venv", str(plain)], capsys)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[2].split() == ["versioned", "1.0", "site-packages"]
