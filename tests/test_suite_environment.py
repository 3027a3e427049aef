"""The test session itself: what the developer's shell sets stays out, and nothing is
installed on the machine unless asked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers import may_install_with_apt, snapshot
from pepip.locations import find_uv

REPO = Path(__file__).resolve().parents[1]


def test_an_activated_venv_and_uv_settings_stay_out_of_the_tests(tmp_path):
    """Run from an activated venv, the bad-input tests had pepip install into that venv
    (their module fixture starts pepip before any test's ``isolated`` fixture): 57 errors."""
    activated = tmp_path / "activated"
    subprocess.run([str(find_uv(os.environ)), "venv", "-q", str(activated)], check=True)
    before = snapshot(activated)
    env = {
        **os.environ, "VIRTUAL_ENV": str(activated), "CONDA_PREFIX": str(activated),
        "UV_LINK_MODE": "symlink", "FORCE_COLOR": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "inner"),
         "tests/reliability/test_bad_input.py", "-k", "unknown-package"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 passed" in done.stdout
    assert snapshot(activated) == before


def test_apt_only_in_ci_or_when_asked():
    assert not may_install_with_apt({})
    assert not may_install_with_apt({"CI": "false", "PEPIP_TEST_APT": "0"})
    assert may_install_with_apt({"CI": "true"})
    assert may_install_with_apt({"PEPIP_TEST_APT": "1"})
    # Every test module that runs apt-get asks first.
    users = [path for path in REPO.joinpath("tests").rglob("*.py") if "apt-get" in path.read_text() and path.name != Path(__file__).name]
    assert users, "no test runs apt-get: drop this check"
    for path in users:
        assert "may_install_with_apt(" in path.read_text(), path


def test_the_readme_test_command_is_what_ci_runs():
    readme = REPO.joinpath("README.md").read_text()
    section = readme.split("## Run the tests", 1)[1].split("\n## ", 1)[0]
    command = section.split("```bash\n", 1)[1].split("\n```", 1)[0]
    assert command in REPO.joinpath(".ci", "run").read_text().splitlines()
    assert 'python -m pytest -m "not slow"' in section
