"""`pepip list` and `pepip freeze`: store and site-packages distributions, each with its origin."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import make_editable_project, run_pepip, venv_python
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
