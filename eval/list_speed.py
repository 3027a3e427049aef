"""Time ``pepip list`` and ``pepip freeze`` against ``uv pip list`` and ``uv pip freeze``, in one run.

    python eval/list_speed.py [--packages jupyter] [--reps 15]

This checkout is installed as a user installs it (not editable, bytecode compiled), then
pepip installs ``--packages`` into a fresh venv with its own store. Each command then runs
``--reps`` times, interleaved, with ``PYTHONDONTWRITEBYTECODE`` removed from the environment
and one untimed run first; the median is reported, with its ratio to uv's command and to
``python -c pass`` of the interpreter pepip runs on. The report goes to
``eval/results/list-<time>.md`` (and ``.json``). It measures and reports; it asserts nothing
(issue 24's target, ``pepip list`` ≤ 1.5× ``uv pip list``, is printed as met or missed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from benchmark import BenchmarkError, install_checkout, real_binary, remove_tree, time_commands  # noqa: E402

TARGET = 1.5  # pepip list ÷ uv pip list (issue 24, item 4)


def commands(pepip: Path, uv: Path, venv: Path) -> dict[str, list[str]]:
    """Each timed command by its label; pepip's next to the uv command it is compared with."""
    python = str(venv / "bin" / "python")
    return {
        "pepip list": [str(pepip), "list", "--venv", str(venv)],
        "uv pip list": [str(uv), "pip", "list", "--python", python],
        "pepip list --format json": [str(pepip), "list", "--venv", str(venv), "--format", "json"],
        "uv pip list --format json": [str(uv), "pip", "list", "--python", python, "--format", "json"],
        "pepip freeze": [str(pepip), "freeze", "--venv", str(venv)],
        "uv pip freeze": [str(uv), "pip", "freeze", "--python", python],
        "python -c pass": [str(pepip.parent / "python"), "-c", "pass"],
        "pepip --version": [str(pepip), "--version"],
    }


COMPARED = {"pepip list": "uv pip list", "pepip list --format json": "uv pip list --format json",
            "pepip freeze": "uv pip freeze"}


def render(raw: dict[str, object], medians: dict[str, float]) -> str:
    """The Markdown report: one row per command, ratios to uv and to the interpreter's start."""
    bare = medians["python -c pass"]
    lines = [
        "# `pepip list` and `pepip freeze` against `uv pip`",
        "",
        "%(started)s; %(uv)s; %(python)s; %(cpus)s CPUs; pepip checkout %(git)s; venv of %(packages)s "
        "(%(dists)s distributions); medians of %(reps)s interleaved runs." % raw,
        "",
        "| command | median ms | ×uv | ×`python -c pass` | min–max ms |",
        "|---|---|---|---|---|",
    ]
    times: dict[str, list[float]] = raw["times"]  # type: ignore[assignment]
    for label, median in medians.items():
        against = COMPARED.get(label)
        ratio = "%.2f" % (median / medians[against]) if against else ""
        lines.append("| `%s` | %.1f | %s | %.2f | %.1f–%.1f |"
                     % (label, median, ratio, median / bare, min(times[label]), max(times[label])))
    listed = medians["pepip list"] / medians["uv pip list"]
    lines += ["", "Target `pepip list` ≤ %.1f× `uv pip list`: %.2f×, %s." % (TARGET, listed, "met" if listed <= TARGET else "missed"), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packages", nargs="+", default=["jupyter"], help="what the listed venv holds")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/bench-work"))
    parser.add_argument("--out", type=Path, default=HERE / "results")
    parser.add_argument("--pepip", type=Path, help="the pepip executable to measure (default: this checkout)")
    parser.add_argument("--no-cleanup", action="store_true", help="keep the scratch root")
    args = parser.parse_args(argv)
    root = args.scratch / ("list-" + time.strftime("%Y%m%d-%H%M%S"))
    root.mkdir(parents=True)
    try:
        uv = real_binary("uv")
        pepip = args.pepip or install_checkout(uv, root / "pepip-under-test")
        venv = root / "project" / ".venv"
        env = {key: value for key, value in os.environ.items() if key not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(PEPIP_HOME=str(root / "store"), UV_CACHE_DIR=str(root / "uv-cache"))
        done = subprocess.run([str(pepip), "install", "-q", "--venv", str(venv), "--python", "3.11", *args.packages],
                              env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchmarkError("pepip install failed:\n%s" % done.stderr)
        os.environ.update(PEPIP_HOME=env["PEPIP_HOME"], UV_CACHE_DIR=env["UV_CACHE_DIR"])  # time_commands passes these on
        timed = commands(pepip, uv, venv)
        times = time_commands(timed, args.reps)
        dists = len(json.loads(subprocess.run(timed["pepip list --format json"], capture_output=True, text=True).stdout))
    except BenchmarkError as error:
        print("measuring failed; scratch kept at %s\n%s" % (root, error), file=sys.stderr)
        return 1
    git = subprocess.run(["git", "-C", str(HERE), "describe", "--always", "--dirty"], capture_output=True, text=True)
    raw: dict[str, object] = {
        "started": time.strftime("%Y-%m-%d %H:%M"), "uv": subprocess.run([str(uv), "--version"], capture_output=True,
                                                                           text=True).stdout.strip(),
        "python": "Python %s" % sys.version.split()[0], "cpus": os.cpu_count(), "git": git.stdout.strip(),
        "packages": " ".join(args.packages), "dists": dists, "reps": args.reps, "commands": timed, "times": times,
    }
    medians = {label: statistics.median(samples) for label, samples in times.items()}
    report = render(raw, medians)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    base = args.out / root.name
    base.with_suffix(".md").write_text(report, encoding="utf-8")
    base.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if args.no_cleanup:
        print("scratch kept at %s" % root, file=sys.stderr)
    else:
        remove_tree(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
