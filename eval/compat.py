"""Run the whole differential corpus (tests/corpus.py) under uv and pepip; write the table.

    python eval/compat.py [--only NAME ...] [--kind packages|"command line"|project]

Each scenario runs under ``uv pip`` and ``pepip`` at once, in fresh venvs, with one uv cache
and one pepip store for the whole run (as a user's machine has). The table goes to
``eval/results/compat-<time>.md`` (and ``.json``): scenario, uv's outcome, pepip's, and whether
they are the same, differ as docs/compatibility.md documents, or differ. The exit status is
non-zero if any difference is unexplained.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from corpus import CORPUS  # noqa: E402
from differential import Comparison, Outcome, compare, remove, summary  # noqa: E402
from pepip.locations import find_uv  # noqa: E402


def _outcome(run: Outcome) -> str:
    """One cell: each step's exit status, then how many distributions the venv ends with."""
    if run.skipped:
        return run.skipped
    statuses = " ".join(str(step.status) for step in run.steps)
    final = run.steps[-1].dists if run.steps else {}
    return "exit %s; %d dists; %.0f s" % (statuses, len(final), run.seconds)


def _row(result: Comparison) -> dict[str, object]:
    return {
        "scenario": result.scenario.name,
        "kind": result.scenario.kind,
        "python": result.scenario.python,
        "uv": _outcome(result.uv),
        "pepip": _outcome(result.pepip),
        "verdict": result.verdict,
        "differences": result.found,
        "documented": [why for pattern, why in result.scenario.documented if any(pattern in line for line in result.found)],
        "distributions": sorted(result.uv.steps[-1].dists) if result.uv.steps else [],
    }


def _table(rows: list[dict[str, object]], comparisons: list[Comparison], took: float) -> str:
    distributions = {name for row in rows for name in row["distributions"]}  # type: ignore[attr-defined]
    lines = [
        "# pepip against `uv pip`: the differential corpus",
        "",
        "`python eval/compat.py` on %s, %.0f s. %d scenarios: %s. %d distinct distributions installed."
        % (time.strftime("%Y-%m-%d %H:%M"), took, len(rows), summary(comparisons), len(distributions)),
        "",
        "| scenario | kind | Python | uv | pepip | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            row["scenario"], row["kind"], row["python"], row["uv"], row["pepip"], row["verdict"]))
    for row in rows:
        if row["differences"]:
            lines += ["", "## %s" % row["scenario"], ""]
            lines += ["- %s" % line for line in row["differences"]]  # type: ignore[attr-defined]
            lines += ["- documented: %s" % why for why in row["documented"]]  # type: ignore[attr-defined]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="scenario names to run")
    parser.add_argument("--kind", help="only scenarios of this kind")
    parser.add_argument("--results", type=Path, default=HERE / "results")
    args = parser.parse_args(argv)
    scenarios = [s for s in CORPUS if (not args.only or s.name in args.only) and (not args.kind or s.kind == args.kind)]
    uv = find_uv(os.environ)
    started = time.monotonic()
    comparisons, rows = [], []
    with tempfile.TemporaryDirectory(prefix="pepip-compat-") as temp:
        work = Path(temp)
        env = dict(os.environ, UV_CACHE_DIR=str(work / "uv-cache"), PEPIP_HOME=str(work / "store"))
        for number, scenario in enumerate(scenarios, 1):
            root = work / ("s%03d" % number)
            result = compare(scenario, root, env, uv)
            comparisons.append(result)
            rows.append(_row(result))
            print("%3d/%d %-55s %s" % (number, len(scenarios), scenario.name[:55], result.verdict), flush=True)
            for line in result.unexplained:
                print("      " + line, flush=True)
            remove(root)
    took = time.monotonic() - started
    args.results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (args.results / ("compat-%s.json" % stamp)).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    table = _table(rows, comparisons, took)
    (args.results / ("compat-%s.md" % stamp)).write_text(table, encoding="utf-8")
    print(table.splitlines()[2])
    return 1 if any(result.unexplained for result in comparisons) else 0


if __name__ == "__main__":
    sys.exit(main())
