"""A later ``pepip install`` into a venv that already has packages, compared with ``uv pip install``.

What the venv holds is part of the input, as with uv: an installed distribution that
satisfies the new resolution stays, from wherever it came; constraints bind it; and a
request the venv satisfies changes nothing at all.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import build_wheel, distributions, make_editable_project, run_pepip, uv_install, uv_venv_with, venv_run

WHERE = "import pkg; print(pkg.WHERE)"


def _folders(isolated: Path, second_has: str) -> tuple[Path, Path]:
    """``first`` holds a build of ``pkg 1.0`` found only there; ``second`` holds ``user``
    (which needs ``pkg``) and, depending on ``second_has``, another ``pkg`` or none."""
    first, second = isolated / "first", isolated / "second"
    first.mkdir()
    second.mkdir()
    build_wheel(first, "pkg", "1.0", {"pkg/__init__.py": "WHERE = 'first'\n"})
    build_wheel(second, "user", "1.0", {"user.py": "import pkg\n"}, requires=["pkg"])
    build_wheel(second, "six", "1.0", {"six.py": ""})
    if second_has == "pkg 2.0":
        build_wheel(second, "pkg", "2.0", {"pkg/__init__.py": "WHERE = 'second'\n"})
    elif second_has == "pkg 1.0 rebuilt":
        build_wheel(second, "pkg", "1.0", {"pkg/__init__.py": "WHERE = 'second'\n"})
    elif second_has == "pkg 0.5":
        build_wheel(second, "pkg", "0.5", {"pkg/__init__.py": "WHERE = 'second'\n"})
    return first, second


@pytest.mark.parametrize("upgrade", [False, True], ids=["plain", "upgrade"])
@pytest.mark.parametrize("second_has", ["no pkg", "pkg 2.0", "pkg 1.0 rebuilt", "pkg 0.5"])
def test_later_install_keeps_what_another_folder_installed(capsys, isolated, venv, second_has, upgrade):
    """``pkg`` came from a folder the later install does not name: uv keeps it whenever it
    satisfies the new resolution (never asking the folders for it), and so does pepip."""
    first, second = _folders(isolated, second_has)
    assert run_pepip(["install", "--no-index", "-f", str(first), "pkg==1.0"], capsys).exit_code == 0
    later = ["--no-index", "-f", str(second), *(["-U"] if upgrade else []), "user"]
    result = run_pepip(["install", *later], capsys)
    assert result.exit_code == 0, result.stderr

    oracle = uv_venv_with(isolated / "uv-venv", first, "pkg==1.0")
    uv_install(oracle, *later)
    assert distributions(venv) == distributions(oracle)
    assert venv_run(venv, WHERE) == venv_run(oracle, WHERE)
    # Only a newer version (and -U) moves it; a same-version build or an older version elsewhere does not.
    moved = upgrade and second_has == "pkg 2.0"
    assert venv_run(venv, WHERE) == ("second" if moved else "first")
    changes = [line for line in result.stderr.splitlines() if line[:3] in (" + ", " - ", " ~ ")]
    assert changes == ([" - pkg==1.0", " + pkg==2.0"] if moved else []) + [" + user==1.0"]


@pytest.mark.parametrize("second_has, resolutions", [("pkg 1.0 rebuilt", 1), ("no pkg", 2)])
def test_installed_distributions_are_offered_only_when_needed(capsys, isolated, venv, uv_log, second_has, resolutions):
    """Offering what is installed costs a file per distribution: uv is asked with them only
    when the plain resolution (the installed versions preferred) fails or moves one."""
    first, second = _folders(isolated, second_has)
    assert run_pepip(["install", "--no-index", "-f", str(first), "pkg==1.0"], capsys).exit_code == 0
    uv_log.write_text("")
    assert run_pepip(["install", "--no-index", "-f", str(second), "user"], capsys).exit_code == 0
    calls = uv_log.read_text().splitlines()
    assert sum(call.startswith("pip compile") for call in calls) == resolutions, calls
    assert venv_run(venv, WHERE) == "first"


@pytest.mark.parametrize("how", ["pepip, by URL", "uv, by URL", "uv, editable"])
def test_later_install_keeps_an_installed_direct_reference_or_editable(capsys, isolated, venv, how):
    """uv takes any installed distribution as a candidate, one installed from a URL or an
    editable project too: a later install that needs ``pkg`` keeps it, even where this
    command's folder has a newer ``pkg``."""
    first, second = _folders(isolated, "pkg 2.0")
    if how == "uv, editable":
        source = make_editable_project(isolated / "proj", "pkg")
        first_install = ["--no-deps", "-e", str(source)]
    else:
        first_install = ["pkg @ %s" % next(first.glob("pkg-*.whl")).as_uri()]
    if how.startswith("pepip"):
        assert run_pepip(["install", *first_install], capsys).exit_code == 0
    else:
        assert run_pepip(["venv", str(venv)], capsys).exit_code == 0
        uv_install(venv, *first_install)
    later = ["--no-index", "-f", str(second), "user"]
    result = run_pepip(["install", *later], capsys)
    assert result.exit_code == 0, result.stderr

    oracle = uv_venv_with(isolated / "uv-venv", first, *first_install)
    uv_install(oracle, *later)
    assert distributions(venv) == distributions(oracle)
    assert venv_run(venv, WHERE) == venv_run(oracle, WHERE) == ("editable" if "editable" in how else "first")


def test_unrelated_later_install_leaves_a_folder_only_package(capsys, isolated, venv):
    """The issue's first example: ``install six`` without the folder ``pkg`` came from."""
    first, second = _folders(isolated, "no pkg")
    assert run_pepip(["install", "--no-index", "-f", str(first), "pkg==1.0"], capsys).exit_code == 0
    result = run_pepip(["install", "--no-index", "-f", str(second), "six"], capsys)
    assert result.exit_code == 0, result.stderr
    oracle = uv_venv_with(isolated / "uv-venv", first, "pkg==1.0")
    uv_install(oracle, "--no-index", "-f", str(second), "six")
    assert distributions(venv) == distributions(oracle) == [("pkg", "1.0"), ("six", "1.0")]
    assert venv_run(venv, WHERE) == "first"


@pytest.mark.parametrize("how", ["-c", "UV_CONSTRAINT", "uv.toml"])
def test_constraints_apply_to_a_venv_that_satisfies_the_request(capsys, isolated, venv, monkeypatch, how):
    """With ``dep 2.0`` installed, ``install top`` under ``dep<2`` (``-c``, uv's variable or
    its configuration) moves dep, as uv does, instead of answering from the venv that the
    request is satisfied."""
    wheels = isolated / "wheels"
    wheels.mkdir()
    for version in ("1.0", "2.0"):
        build_wheel(wheels, "dep", version, {"dep.py": "VERSION = %r\n" % version})
    build_wheel(wheels, "top", "1.0", {"top.py": ""}, requires=["dep"])
    args = ["--no-index", "-f", str(wheels)]
    assert run_pepip(["install", *args, "top"], capsys).exit_code == 0
    oracle = uv_venv_with(isolated / "uv-venv", wheels, "top")
    constraints = isolated / "c.txt"
    constraints.write_text("dep<2\n")
    extra = ["-c", str(constraints)] if how == "-c" else []
    if how == "UV_CONSTRAINT":
        monkeypatch.setenv("UV_CONSTRAINT", str(constraints))
    elif how == "uv.toml":
        config = isolated / "uv.toml"
        config.write_text('constraint-dependencies = ["dep<2"]\n')
        monkeypatch.delenv("UV_NO_CONFIG")
        monkeypatch.setenv("UV_CONFIG_FILE", str(config))
    result = run_pepip(["install", *args, "top", *extra], capsys)
    assert result.exit_code == 0, result.stderr
    assert " - dep==2.0" in result.stderr and " + dep==1.0" in result.stderr

    uv_install(oracle, *args, "top", *extra)
    assert distributions(venv) == distributions(oracle) == [("dep", "1.0"), ("top", "1.0")]
    again = run_pepip(["install", *args, "top", *extra], capsys)
    assert again.exit_code == 0 and "nothing to change" in again.stderr


def _inodes(root: Path) -> dict[str, tuple[int, int]]:
    """Every path below ``root`` with its inode and modification time: what a rewrite changes."""
    found = {}
    for directory, subdirs, files in os.walk(root):
        for name in subdirs + files:
            info = os.lstat(os.path.join(directory, name))
            found[os.path.relpath(os.path.join(directory, name), root)] = (info.st_ino, info.st_mtime_ns)
    return found


@pytest.mark.parametrize("request_text", ["meta", "Meta", "meta==1.1.1", "meta[cli]"])
def test_installing_a_metapackage_again_changes_nothing(capsys, isolated, venv, request_text):
    """A distribution of dist-info alone (jupyter 1.1.1: no module, no file) was linked
    again on every install: its store entry has no ``site`` directory, which the plan took
    for a pruned entry. uv leaves it; so must pepip, and say that nothing changed."""
    wheels = isolated / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "meta", "1.1.1", {}, requires=["dep", "extra-dep; extra == 'cli'"])
    build_wheel(wheels, "dep", "1.0", {"dep.py": ""})
    build_wheel(wheels, "extra-dep", "1.0", {"extra_dep.py": ""})
    args = ["install", "--no-index", "-f", str(wheels), request_text]
    assert run_pepip(args, capsys).exit_code == 0
    before = _inodes(venv)
    again = run_pepip(args, capsys)
    assert again.exit_code == 0, again.stderr
    assert "nothing to change" in again.stderr and " ~ " not in again.stderr, again.stderr
    assert _inodes(venv) == before

    oracle = uv_venv_with(isolated / "uv-venv", wheels, request_text)
    assert " ~ " not in uv_install(oracle, "--no-index", "-f", str(wheels), request_text)
    assert distributions(venv) == distributions(oracle)
