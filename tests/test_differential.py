"""pepip against ``uv pip`` on the same scenarios (tests/differential.py, tests/corpus.py).

The corpus's CI subset runs from the index (``network``: ``-m "not network"`` deselects it);
``python eval/compat.py`` runs the whole corpus. The first tests check the harness itself
offline, on the session's small wheels: it finds agreement where there is, and reports a
difference where there is one.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus import SUBSET
from differential import Scenario, compare, differences, run_scenario
from pepip.locations import find_uv


def _uv() -> Path:
    return find_uv(os.environ)


def _local(wheelhouse: Path, *steps: tuple[str, ...], files: dict[str, str] | None = None) -> Scenario:
    index = ("--no-index", "--find-links", str(wheelhouse))
    return Scenario("local", "command line", tuple(step + index if step[0] == "install" else step for step in steps),
                    files=files or {})


def test_the_harness_finds_pepip_and_uv_agree_on_a_sequence(isolated: Path, wheelhouse: Path) -> None:
    scenario = _local(wheelhouse, ("install", "dependent", "tool"), ("install", "versioned==1.0"), ("uninstall", "tool"))
    result = compare(scenario, isolated / "runs", os.environ, _uv())
    assert result.found == [], result.found
    final = result.pepip.steps[-1].dists
    assert set(final) >= {"dependent", "versioned"} and "tool" not in final
    assert final["versioned"].artifact == "versioned-1.0-py3-none-any.whl"
    assert result.pepip.imports and set(result.pepip.imports.values()) == {"ok"}, result.pepip.imports


def test_the_harness_reports_each_kind_of_difference(isolated: Path, wheelhouse: Path) -> None:
    """Two real runs that differ: another version, a missing distribution, a script that is
    not there, and a failure that is not one line."""
    first = run_scenario(_local(wheelhouse, ("install", "versioned==1.0", "tool")), "uv", isolated / "a", os.environ, _uv())
    second = run_scenario(_local(wheelhouse, ("install", "versioned==2.0")), "pepip", isolated / "b", os.environ, _uv())
    found = differences(first, second)
    assert any("versioned is 1.0" in line and "2.0" in line for line in found), found
    assert any("tool only in uv's venv" in line for line in found), found
    assert any(line.startswith("script tool-cli: ok under uv, None") for line in found), found
    failing = run_scenario(_local(wheelhouse, ("install", "no-such-thing")), "uv", isolated / "c", os.environ, _uv())
    found = differences(failing, failing)
    assert failing.steps[0].status != 0 and failing.steps[0].unchanged
    assert any("not one error line" in line for line in found), found  # uv's own error is not pepip's line


@pytest.mark.network
@pytest.mark.parametrize("scenario", SUBSET, ids=[scenario.name for scenario in SUBSET])
def test_pepip_does_what_uv_does(scenario: Scenario, isolated: Path) -> None:
    result = compare(scenario, isolated / "runs", os.environ, _uv())
    if result.uv.skipped:
        pytest.skip(result.uv.skipped)
    assert not result.unexplained, "\n".join(result.unexplained)
