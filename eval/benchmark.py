"""Measure pepip against ``uv pip install`` (default, copy and symlink link modes) in one run.

Projects are installed interleaved (project 1 in every mode, then project 2, ...) so drift in
network or machine load hits every mode alike. Each mode gets its own empty uv cache (and
pepip its own store) under one scratch root, so project 1 is cold for every mode. This file
only measures and reports; it asserts nothing about speed. See eval/README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import platform
import re
import shlex
import shutil
import stat
import statistics
import subprocess
import sys
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

ALL_MODES: Final = ("pepip", "pepip-background", "uv", "uv-offline", "uv-copy", "uv-symlink")
DEFAULT_MODES: Final = ("pepip", "uv", "uv-offline")
# pepip: the default (one user's store: Python writes bytecode into the store on first import);
# pepip-background: PEPIP_BYTECODE=background, as a team store gets (all compiled after install)
PEPIP_MODES: Final = ("pepip", "pepip-background")
BASE_MODE: Final = "uv"
# uv-offline: as uv, but projects after the first add --offline (uv does not ask the index)
UV_LINK_FLAGS: Final = {"uv": [], "uv-offline": [], "uv-copy": ["--link-mode=copy"], "uv-symlink": ["--link-mode=symlink"]}
IMPORT_NAMES: Final = {"scikit-learn": "sklearn", "pyyaml": "yaml", "pillow": "PIL",
                       "beautifulsoup4": "bs4", "python-dateutil": "dateutil"}
STEP_LINE: Final = re.compile(r"^(Resolved|Prepared|Installed|Stored|Linked|Audited) \d+ packages? in ([\d.]+)(ms|s)\b")
SYNTHETIC_DISTS: Final = 500
MB: Final = 1e6
PER_MODE_ENV: Final = ("PEPIP_HOME", "PEPIP_UV", "PEPIP_LINK_MODE", "PEPIP_BYTECODE")
Summary = dict[str, dict[str, float | None]]


# name: (requirements, whether it needs the local wheels in $PIP_FIND_LINKS, warm-install target)
PRESETS: Final = {
    "W1": (("tomli", "packaging", "requests", "numpy", "pandas"), False, 0.2),
    "W2": (("torch==2.13.0", "numpy"), True, 0.2),
    "W3": (("jupyterlab", "scikit-learn", "matplotlib", "fastapi"), False, 0.2),
    "W4": (("torch==2.13.0", "transformers", "accelerate", "datasets"), True, 0.2),
}
# preset: warm install ÷ uv-offline threshold (issue targets); others get none
OFFLINE_TARGETS: Final = {"W1": 0.5, "W4": 0.3}
BACKGROUND_COMPILE_MARK: Final = "import compileall, os, stat, sys"


@dataclass(frozen=True)
class Config:
    """Everything one benchmark run needs, decided once in ``main``."""

    name: str
    packages: tuple[str, ...]
    modules: tuple[str, ...]
    find_links: tuple[str, ...]
    warm_target: float | None
    projects: int
    modes: tuple[str, ...]
    reps: int
    cold_runs: int
    root: Path
    out: Path
    uv: Path
    pepip: Path


class BenchmarkError(Exception):
    """A measured command failed; the message quotes the command and its stderr."""


def real_binary(name: str) -> Path:
    """The executable behind ``name``, looking through pyenv shims: a shim is a bash script
    whose start-up would be charged to the tool being timed."""
    found = shutil.which(name)
    if found is None:
        raise BenchmarkError("%s is not on PATH" % name)
    if "/shims/" in found and shutil.which("pyenv"):
        done = subprocess.run(["pyenv", "which", name], capture_output=True, text=True)
        if done.returncode == 0 and done.stdout.strip():
            return Path(done.stdout.strip())
    return Path(found)


def mode_env(cfg: Config, mode: str) -> dict[str, str]:
    """A private uv cache, pepip store and empty ``HOME`` per mode, so every mode starts cold
    and pays alone, and every cache a tool keeps (pepip's own uv cache under ``~/.cache``
    too) counts in the mode's true disk."""
    env = dict(os.environ)
    for key in ("UV_LINK_MODE", "VIRTUAL_ENV", "UV_COMPILE_BYTECODE", "XDG_CACHE_HOME", "PEPIP_CACHE_DIR", *PER_MODE_ENV):
        env.pop(key, None)
    home = cfg.root / mode / "home"
    home.mkdir(parents=True, exist_ok=True)
    env.update(UV_CACHE_DIR=str(cfg.root / mode / "uv-cache"), PEPIP_HOME=str(cfg.root / mode / "store"),
               PEPIP_UV=str(cfg.uv), UV_PYTHON_DOWNLOADS="never", HOME=str(home))
    if mode == "pepip-background":
        env["PEPIP_BYTECODE"] = "background"
    return env


def venv_dir(cfg: Config, mode: str, project: int) -> Path:
    """Where project ``project`` (1-based) of ``mode`` keeps its venv."""
    return cfg.root / mode / ("p%d" % project) / ".venv"


def install_commands(cfg: Config, mode: str, venv: Path, cold: bool) -> list[list[str]]:
    """Venv creation plus install: what a user runs for a new project in that mode."""
    links = [arg for location in cfg.find_links for arg in ("--find-links", location)]
    if mode in PEPIP_MODES:
        return [[str(cfg.pepip), "install", "--venv", str(venv), "--python", "3.11", *links, *cfg.packages]]
    offline = ["--offline"] if mode == "uv-offline" and not cold else []
    return [[str(cfg.uv), "venv", str(venv), "--python", "3.11", "--quiet"],
            [str(cfg.uv), "pip", "install", "--python", str(venv / "bin" / "python"),
             *UV_LINK_FLAGS[mode], *offline, *links, *cfg.packages]]


def run_timed(commands: list[list[str]], env: dict[str, str]) -> tuple[list[float], str]:
    """Wall time of each command, run in sequence, and their stderr; a failure stops the run."""
    times, stderr = [], []
    for command in commands:
        started = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        stderr.append(done.stderr)
        if done.returncode != 0:
            raise BenchmarkError("exit %d: UV_CACHE_DIR=%s PEPIP_HOME=%s %s\n%s" % (
                done.returncode, env["UV_CACHE_DIR"], env["PEPIP_HOME"], shlex.join(command), done.stderr))
    return times, "".join(stderr)


def parse_steps(stderr: str) -> dict[str, float]:
    """Step timings the tools print (``Resolved 5 packages in 412ms``, pepip and uv alike), in s."""
    steps: dict[str, float] = {}
    for line in stderr.splitlines():
        match = STEP_LINE.match(line.strip())
        if match:
            value = float(match.group(2))
            steps[match.group(1).lower()] = value / 1000 if match.group(3) == "ms" else value
    return steps


def disk_usage(paths: list[Path]) -> tuple[int, int]:
    """Apparent bytes with each inode counted once (as one ``du -sb`` call), and entry count.

    Hardlinks between uv's cache, pepip's store and the venvs are the point of comparison, so
    they must not be counted twice; symlinks count as the link itself.
    """
    seen: set[tuple[int, int]] = set()
    total = entries = 0
    stack = [str(path) for path in paths if path.exists()]
    while stack:
        with os.scandir(stack.pop()) as scan:
            for entry in scan:
                info = entry.stat(follow_symlinks=False)
                entries += 1
                if (info.st_dev, info.st_ino) not in seen:
                    seen.add((info.st_dev, info.st_ino))
                    total += info.st_size
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return total, entries


def install_projects(cfg: Config) -> dict[str, dict[str, list[Any]]]:
    """Install every project in every mode, interleaved, recording time and disk after each.

    Project 1 is installed ``cold_runs`` times, each time with the mode's caches and store
    emptied first (the last run's state stays for the later projects). After the last
    project, one more per mode with pepip's resolution memory expired
    (``PEPIP_RESOLUTION_TTL=0``; the uv modes install as for a warm project).
    """
    raw: dict[str, dict[str, list[Any]]] = {mode: {} for mode in cfg.modes}
    for run in range(cfg.cold_runs):
        for mode in cfg.modes:
            if run and (cfg.root / mode).exists():
                wait_for_background_compiles()  # it writes into the store being emptied
                remove_tree(cfg.root / mode)
            times, stderr = run_timed(install_commands(cfg, mode, venv_dir(cfg, mode, 1), True), mode_env(cfg, mode))
            raw[mode].setdefault("cold_s", []).append(sum(times))
            raw[mode]["cold_stderr"] = [stderr]
            print("cold run %d %-10s %7.2fs" % (run + 1, mode, sum(times)), file=sys.stderr)
    for project in range(1, cfg.projects + 1):
        for mode in cfg.modes:
            venv = venv_dir(cfg, mode, project)
            if project == 1:  # the last cold run's: measured, not installed again
                times, stderr = [raw[mode]["cold_s"][-1]], raw[mode]["cold_stderr"][0]
            else:
                times, stderr = run_timed(install_commands(cfg, mode, venv, False), mode_env(cfg, mode))
            _record(cfg, raw[mode], mode, venv, times, stderr)
            print("project %d %-10s %7.2fs  true disk %8.1f MB" % (
                project, mode, sum(times), raw[mode]["true_disk"][-1] / MB), file=sys.stderr)
    for mode in cfg.modes:
        env = {**mode_env(cfg, mode), "PEPIP_RESOLUTION_TTL": "0"}
        venv = venv_dir(cfg, mode, cfg.projects + 1)
        times, _stderr = run_timed(install_commands(cfg, mode, venv, False), env)
        raw[mode]["expired_s"] = [sum(times)]
        print("expired    %-10s %7.2fs" % (mode, sum(times)), file=sys.stderr)
    return raw


def _record(cfg: Config, data: dict[str, list[Any]], mode: str, venv: Path, times: list[float], stderr: str) -> None:
    own_bytes, own_entries = disk_usage([venv])
    values = {"install_s": sum(times), "command_s": times, "steps": parse_steps(stderr),
              "true_disk": disk_usage([cfg.root / mode])[0],  # venvs, store and uv cache of this mode
              "venv_bytes": own_bytes, "venv_entries": own_entries}
    for key, value in values.items():
        data.setdefault(key, []).append(value)


def wait_for_background_compiles(timeout: float = 600.0) -> None:
    """Wait until no bytecode compile pepip started in the background still runs: its
    bytecode is part of what the store costs on disk."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = subprocess.run(["pgrep", "-f", BACKGROUND_COMPILE_MARK], capture_output=True)
        if done.returncode != 0:
            return
        time.sleep(0.5)


def disk_after_use(cfg: Config, raw: dict[str, Any]) -> dict[str, float]:
    """True disk of each mode after every venv has imported its workload once with bytecode
    writing on (``PYTHONDONTWRITEBYTECODE`` unset), as a user's venvs end up."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH")}
    imports = "import " + ", ".join(cfg.modules)
    used = {}
    for mode in cfg.modes:
        for project in range(1, cfg.projects + 2):
            python = venv_dir(cfg, mode, project) / "bin" / "python"
            subprocess.run([str(python), "-c", imports], env=env, capture_output=True)
        used[mode] = disk_usage([cfg.root / mode])[0] / MB
    return used


def instructions(command: list[str]) -> int | None:
    """Instructions a command executes, counted by callgrind: repeatable where wall time is not."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH")}
    try:
        done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                              env=env, capture_output=True, text=True)
    except OSError:
        return None
    match = re.search(r"Collected : (\d+)", done.stderr)
    return int(match.group(1)) if match else None


def time_commands(commands: dict[str, list[str]], reps: int) -> dict[str, list[float]]:
    """Milliseconds per run of each command, repetitions interleaved to spread machine noise evenly.

    PYTHONDONTWRITEBYTECODE is dropped and one untimed run goes first, so imports measure a
    venv with its bytecode written, as users see it from the second run on.
    """
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONDONTWRITEBYTECODE", "VIRTUAL_ENV", "PYTHONPATH")}
    for label, command in commands.items():
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchmarkError("%s failed (%s):\n%s" % (shlex.join(command), label, done.stderr))
    times: dict[str, list[float]] = {label: [] for label in commands}
    for _ in range(reps):
        for label, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times[label].append((time.perf_counter() - started) * 1000)
    return times


def tiny_wheel(folder: Path, name: str) -> None:
    """A one-module wheel with a valid RECORD, so uv and pepip treat it like any other."""
    files = {"%s/__init__.py" % name: b"",
             "%s-1.0.dist-info/METADATA" % name: b"Metadata-Version: 2.1\nName: %s\nVersion: 1.0\n" % name.encode(),
             "%s-1.0.dist-info/WHEEL" % name: b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = "".join("%s,sha256=%s,%d\n" % (path, base64.urlsafe_b64encode(hashlib.sha256(data).digest())
                                             .rstrip(b"=").decode(), len(data)) for path, data in files.items())
    with zipfile.ZipFile(folder / ("%s-1.0-py3-none-any.whl" % name), "w") as wheel:
        for path, data in files.items():
            wheel.writestr(path, data)
        wheel.writestr("%s-1.0.dist-info/RECORD" % name, record + "%s-1.0.dist-info/RECORD,,\n" % name)


def synthetic_venv(cfg: Config) -> Path:
    """A pepip venv of 500 tiny distributions, installed by pepip itself from local wheels, to
    see how start-up grows with the manifest whatever format pepip's runtime reads."""
    wheels = cfg.root / "synthetic" / "wheels"
    wheels.mkdir(parents=True)
    names = ["synthetic_dist_%d" % index for index in range(SYNTHETIC_DISTS)]
    for name in names:
        tiny_wheel(wheels, name)
    venv = cfg.root / "synthetic" / ".venv"
    run_timed([[str(cfg.pepip), "install", "--venv", str(venv), "--python", "3.11", "--no-index",
                "--find-links", str(wheels), *names]], mode_env(cfg, "synthetic"))
    return venv


def measure_runtime(cfg: Config) -> dict[str, Any]:
    """``python -c pass`` and the workload imports in the first and last venv of every mode,
    plus the tools' own start-up, which every warm install pays before doing anything."""
    pythons: dict[str, str] = {}
    for mode in cfg.modes:
        for which, project in (("first", 1), ("last", cfg.projects)):
            pythons["%s:%s" % (mode, which)] = str(venv_dir(cfg, mode, project) / "bin" / "python")
    empty = cfg.root / "empty" / ".venv"
    run_timed([[str(cfg.uv), "venv", str(empty), "--python", "3.11", "--quiet"]], mode_env(cfg, "uv"))
    startup = {"uv-empty": str(empty / "bin" / "python"), **pythons}
    if "pepip" in cfg.modes:
        startup["pepip:500-dists"] = str(synthetic_venv(cfg) / "bin" / "python")
    imports = "import " + ", ".join(cfg.modules)
    tools = {"pepip --version": [str(cfg.pepip), "--version"], "uv --version": [str(cfg.uv), "--version"]}
    samples = {"pass_ms": time_commands({k: [v, "-c", "pass"] for k, v in startup.items()}, cfg.reps),
               "import_ms": time_commands({k: [v, "-c", imports] for k, v in pythons.items()}, cfg.reps),
               "tools_ms": time_commands(tools, cfg.reps)}
    medians = {kind: {label: statistics.median(values) for label, values in runs.items()}
               for kind, runs in samples.items()}
    counted = {label: instructions([python, "-c", "pass"]) for label, python in startup.items()}
    counted["pepip --version"] = instructions([str(cfg.pepip), "--version"])
    return {**medians, "pass_instructions": counted, "samples": samples}


def summarize(cfg: Config, raw: dict[str, Any]) -> Summary:
    """Per-mode headline numbers derived from the raw measurements."""
    summary: Summary = {}
    counted = raw["runtime"].get("pass_instructions", {})
    for mode in cfg.modes:
        data, warm = raw["modes"][mode], raw["modes"][mode]["install_s"][1:]
        summary[mode] = {
            "cold_s": statistics.median(data["cold_s"]), "cold_min": min(data["cold_s"]),
            "cold_max": max(data["cold_s"]),
            "warm_s": statistics.median(warm) if warm else None,
            "warm_min": min(warm) if warm else None, "warm_max": max(warm) if warm else None,
            "expired_s": data["expired_s"][0],
            "true_disk_mb": data["true_disk"][-1] / MB, "naive_disk_mb": sum(data["venv_bytes"]) / MB,
            "used_disk_mb": raw["disk_used"][mode],
            "entries": data["venv_entries"][0],
            "pass_instr_first": counted.get("%s:first" % mode), "pass_instr_last": counted.get("%s:last" % mode),
            **{"%s_%s" % (kind, which): raw["runtime"]["%s_ms" % kind]["%s:%s" % (mode, which)]
               for kind in ("pass", "import") for which in ("first", "last")}}
    return summary


def ratio(summary: Summary, mode: str, key: str, base_mode: str = BASE_MODE) -> float | None:
    """``mode``'s value over ``base_mode``'s (uv default mode), from the same run."""
    value, base = summary[mode].get(key), summary.get(base_mode, {}).get(key)
    return value / base if value is not None and base else None


def fmt(value: float | None, pattern: str = "%.2f") -> str:
    """A number for the table, or a dash where there is none."""
    return "–" if value is None else pattern % value


def targets(cfg: Config, summary: Summary, pepip: str) -> list[tuple[str, float | None, float | None]]:
    """(target, threshold, measured ratio) for a pepip mode against uv default mode."""
    if pepip not in summary or BASE_MODE not in summary:
        return []
    def worst(*keys: str) -> float | None:
        values = [r for r in (ratio(summary, pepip, key) for key in keys) if r is not None]
        return max(values) if values else None
    rows: list[tuple[str, float | None, float | None]] = [
        ("cold first project (median of %d)" % cfg.cold_runs, 1.1, ratio(summary, pepip, "cold_s")),
        ("warm new project, resolution remembered", cfg.warm_target, ratio(summary, pepip, "warm_s")),
    ]
    if "uv-offline" in summary:
        rows.append(("warm new project ÷ `uv --offline`", OFFLINE_TARGETS.get(cfg.name),
                     ratio(summary, pepip, "warm_s", "uv-offline")))
    return rows + [
        ("warm new project, resolution memory expired", 0.9, ratio(summary, pepip, "expired_s")),
        ("true disk right after installing", 1.0, ratio(summary, pepip, "true_disk_mb")),
        ("true disk after each venv imported its workload", 0.8, ratio(summary, pepip, "used_disk_mb")),
        ("files+dirs per venv", 0.1, ratio(summary, pepip, "entries")),
        ("`python -c pass` instructions (worse of first/last venv)", 1.05, worst("pass_instr_first", "pass_instr_last")),
        ("`python -c pass` wall time (worse of first/last venv)", None, worst("pass_first", "pass_last")),
        ("import workload wall time (worse of first/last venv)", None, worst("import_first", "import_last"))]


def render_header(cfg: Config, raw: dict[str, Any]) -> list[str]:
    """What was measured, with which tools, so a result file stands on its own."""
    setup = raw["machine"]
    links = " with `--find-links %s`" % " ".join(cfg.find_links) if cfg.find_links else ""
    env = "; " + setup["pepip_env"] if setup["pepip_env"] else ""
    pepip = "`%s` (checkout %s%s)" % (cfg.pepip, setup["pepip_git"], env)
    return ["# pepip benchmark: %s" % cfg.name, "",
            "%s; %d projects per mode; %s; %d CPUs; host %s; pepip %s; runtime medians of %d runs." % (
                raw["started"], cfg.projects, setup["uv"], setup["cpus"], setup["python"], pepip, cfg.reps), "",
            "Packages: `%s`%s. Imports: `%s`. ×uv = ratio to `uv` (default link mode) in this run." % (
                " ".join(cfg.packages), links, ", ".join(cfg.modules)), ""]


def render_modes(cfg: Config, summary: Summary) -> list[str]:
    """Install time and disk per mode, then start-up and import time per mode."""
    def cell(mode: str, key: str, pattern: str = "%.2f") -> str:
        return "%s | %s" % (fmt(summary[mode][key], pattern), fmt(ratio(summary, mode, key)))
    out = ["| mode | first project (cold), median s | ×uv | min–max s | next projects median s | ×uv | min–max s "
           "| resolution expired s | ×uv |", "|---" * 9 + "|"]
    for mode in cfg.modes:
        s = summary[mode]
        out.append("| %s | %s | %s–%s | %s | %s–%s | %s |" % (
            mode, cell(mode, "cold_s"), fmt(s["cold_min"]), fmt(s["cold_max"]), cell(mode, "warm_s"),
            fmt(s["warm_min"]), fmt(s["warm_max"]), cell(mode, "expired_s")))
    out += ["", "| mode | true disk MB after installing | ×uv | after each venv imported once | ×uv "
            "| naive per-venv sum MB | files+dirs per venv | ×uv |", "|---" * 8 + "|"]
    for mode in cfg.modes:
        out.append("| %s | %s | %s | %s | %s |" % (
            mode, cell(mode, "true_disk_mb", "%.1f"), cell(mode, "used_disk_mb", "%.1f"),
            fmt(summary[mode]["naive_disk_mb"], "%.1f"), cell(mode, "entries", "%d")))
    out += ["", "| mode | `python -c pass` instructions, first venv | ×uv | last venv | ×uv "
            "| wall ms, first venv | ×uv | last venv | ×uv | import ms, first venv | ×uv | last venv | ×uv |",
            "|---" * 13 + "|"]
    for mode in cfg.modes:
        counted = " | ".join(cell(mode, "pass_instr_%s" % which, "%d") for which in ("first", "last"))
        walls = " | ".join(cell(mode, "%s_%s" % (kind, which), "%.1f") for kind in ("pass", "import")
                           for which in ("first", "last"))
        out.append("| %s | %s | %s |" % (mode, counted, walls))
    return out


def render_pepip(cfg: Config, raw: dict[str, Any]) -> list[str]:
    """pepip's warm path in parts, beside the fixed costs every pepip call pays."""
    runtime, passes = raw["runtime"], raw["runtime"]["pass_ms"]
    out = ["", "`python -c pass` reference: empty `uv venv` %.1f ms" % passes["uv-empty"]]
    if "pepip:500-dists" in passes:
        out[-1] += "; pepip venv of %d synthetic distributions %.1f ms (%.2f× the empty venv)" % (
            SYNTHETIC_DISTS, passes["pepip:500-dists"], passes["pepip:500-dists"] / passes["uv-empty"])
    out[-1] += ". Tool start-up: " + "; ".join("`%s` %.1f ms" % item for item in runtime["tools_ms"].items()) + "."
    counted = runtime.get("pass_instructions", {})
    if counted.get("pepip --version") and counted.get("uv-empty"):
        out[-1] += " `pepip --version` executes %.2f× the instructions of `python -c pass` (target ≤2.5×)." % (
            counted["pepip --version"] / counted["uv-empty"])
    if "pepip" not in cfg.modes:
        return out
    uv_venv = [times[0] for mode in cfg.modes if mode not in PEPIP_MODES for times in raw["modes"][mode]["command_s"]]
    out += ["", "pepip per project in s (other = total − its steps: start-up, venv creation, manifest; "
            "`uv venv` alone took %s s median in the uv modes):" % fmt(statistics.median(uv_venv) if uv_venv else None),
            "", "| project | total | resolve | store | link | other | `uv` mode's own resolve |", "|---" * 7 + "|"]
    pepip, uv = raw["modes"]["pepip"], raw["modes"].get(BASE_MODE, {})
    for index, (total, steps) in enumerate(zip(pepip["install_s"], pepip["steps"])):
        parts = [steps.get(key) for key in ("resolved", "stored", "linked")]
        uv_resolve = uv["steps"][index].get("resolved") if uv else None
        out.append("| %d | %.2f | %s | %.2f | %s |" % (index + 1, total, " | ".join(fmt(part) for part in parts),
                                                     total - sum(p or 0 for p in parts), fmt(uv_resolve)))
    return out


def render_targets(cfg: Config, summary: Summary) -> list[str]:
    """The targets as met or missed, per pepip mode, so a run is read the same way every time."""
    out: list[str] = []
    for pepip in PEPIP_MODES:
        rows = targets(cfg, summary, pepip)
        if not rows:
            continue
        out += ["", "| target (%s ÷ uv default) | threshold | measured | result |" % pepip, "|---" * 4 + "|"]
        verdicts = ["–" if limit is None or measured is None else ("met" if measured <= limit else "**missed**")
                    for _name, limit, measured in rows]
        for (name, limit, measured), verdict in zip(rows, verdicts):
            out.append("| %s | %s | %s | %s |" % (name, fmt(limit, "≤%.2f×"), fmt(measured, "%.3f×"), verdict))
        out += ["", "%s met %d of %d targets in this run." % (
            pepip, verdicts.count("met"), len(verdicts) - verdicts.count("–"))]
    return out


def render(cfg: Config, raw: dict[str, Any]) -> str:
    """The Markdown report: install time, disk, runtime, pepip's warm path and the targets."""
    summary = summarize(cfg, raw)
    lines = render_header(cfg, raw) + render_modes(cfg, summary) + render_pepip(cfg, raw)
    return "\n".join(lines + render_targets(cfg, summary)) + "\n"


def draw_chart(cfg: Config, raw: dict[str, Any], path: Path) -> bool:
    """Install time and true disk per project count; skipped (with a warning) without matplotlib."""
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        print("warning: matplotlib is not installed; no chart (pip install -r eval/requirements.txt)", file=sys.stderr)
        return False
    figure, (times, disk) = plt.subplots(1, 2, figsize=(12, 4.5))
    projects = list(range(1, cfg.projects + 1))
    for mode, style in zip(cfg.modes, ("-o", "--s", "-.^", ":v", "--D")):  # styles keep equal lines apart
        times.plot(projects, raw["modes"][mode]["install_s"], style, label=mode)
        disk.plot(projects, [b / MB for b in raw["modes"][mode]["true_disk"]], style, label=mode)
    times.set(title="Install time per project (venv creation included)", xlabel="project", ylabel="seconds")
    disk.set(title="True disk: venvs + store + uv cache", xlabel="projects", ylabel="MB (hardlinks once)")
    for axes in (times, disk):
        axes.set_xticks(projects)
        axes.set_ylim(bottom=0)
        axes.grid(alpha=0.3)
        axes.legend()
    figure.suptitle("pepip vs uv: %s (%s)" % (cfg.name, raw["started"]))
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def remove_tree(root: Path) -> None:
    """Delete the scratch root; store entries are read-only, so make directories writable first."""
    for dirpath, _dirs, _files in os.walk(root):
        os.chmod(dirpath, os.stat(dirpath).st_mode | stat.S_IWUSR)
    shutil.rmtree(root)


def parse_args(argv: list[str] | None) -> tuple[Config, bool]:
    """Build the run's ``Config`` from the command line (and whether to keep the scratch dirs)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=3, help="venvs per mode (default 3)")
    parser.add_argument("--packages", nargs="+", help="requirements to install (default: the preset's)")
    parser.add_argument("--preset", choices=sorted(PRESETS), help="W1, W2 or W3")
    parser.add_argument("--modes", default=",".join(DEFAULT_MODES), help="comma-separated, from %s" % ",".join(ALL_MODES))
    parser.add_argument("--cold-runs", type=int, default=3, help="cold first projects per mode (default 3)")
    parser.add_argument("--find-links", action="append", default=[], help="extra --find-links for uv and pepip")
    parser.add_argument("--reps", type=int, default=20, help="repetitions of each runtime timing")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/bench-work"), help="parent of the scratch root")
    parser.add_argument("--pepip", type=Path, help="pepip executable to measure (default: this checkout, installed with bytecode)")
    parser.add_argument("--no-cleanup", action="store_true", help="keep venvs, stores and caches")
    args = parser.parse_args(argv)
    if not args.preset and not args.packages:
        parser.error("pass --preset or --packages")
    modes = tuple(mode.strip() for mode in args.modes.split(",") if mode.strip())
    if not modes or set(modes) - set(ALL_MODES) or args.projects < 1:
        parser.error("--modes takes %s; --projects at least 1" % ",".join(ALL_MODES))
    preset_packages, local_wheels, warm_target = PRESETS.get(args.preset, ((), False, None))
    packages = tuple(args.packages or preset_packages)
    find_links = list(args.find_links)
    if local_wheels:
        if not os.environ.get("PIP_FIND_LINKS"):
            parser.error("preset %s needs PIP_FIND_LINKS (the folder with the local wheels)" % args.preset)
        find_links += os.environ["PIP_FIND_LINKS"].split()
    names = (re.split(r"[\s\[<>=!~;@]", package)[0].lower() for package in packages)
    modules = tuple(IMPORT_NAMES.get(name, name.replace("-", "_")) for name in names)
    name = args.preset or "custom"
    root = args.scratch.resolve() / ("%s-%s" % (name, time.strftime("%Y%m%d-%H%M%S")))
    uv = real_binary("uv")
    pepip = args.pepip or install_checkout(uv, root / "pepip-under-test")
    cfg = Config(name, packages, modules, tuple(find_links), warm_target, args.projects, modes,
                 args.reps, max(1, args.cold_runs), root, args.out.resolve(), uv, pepip)
    return cfg, args.no_cleanup


def install_checkout(uv: Path, venv: Path) -> Path:
    """This checkout installed as a user installs it (not editable, bytecode compiled).

    An editable install, or one without bytecode on a machine that sets
    ``PYTHONDONTWRITEBYTECODE``, compiles pepip's and typer's sources on every call and
    measures that instead of pepip.
    """
    checkout = Path(__file__).resolve().parent.parent
    for command in ([str(uv), "venv", str(venv), "--python", "3.11", "--quiet"],
                    [str(uv), "pip", "install", "--python", str(venv / "bin" / "python"), "--quiet",
                     "--compile-bytecode", "--reinstall-package", "pepip", str(checkout)]):
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit("cannot install the checkout to measure: %s" % done.stderr.strip())
    return venv / "bin" / "pepip"


def describe_setup(cfg: Config) -> dict[str, Any]:
    """Versions and settings that change the numbers, so a result file stands on its own."""
    def output(command: list[str]) -> str:
        return subprocess.run(command, capture_output=True, text=True).stdout.strip()
    here = str(Path(__file__).resolve().parent)
    return {"python": "Python %s" % platform.python_version(), "cpus": os.cpu_count(),
            "uv": output([str(cfg.uv), "--version"]),
            "pepip_git": output(["git", "-C", here, "describe", "--always", "--dirty"]),
            "pepip_env": " ".join("%s=%s" % (key, value) for key, value in sorted(os.environ.items())
                                  if key.startswith("PEPIP_") and key not in PER_MODE_ENV)}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the report and write Markdown, JSON and PNG under ``--out``."""
    cfg, keep = parse_args(argv)
    cfg.root.mkdir(parents=True, exist_ok=True)  # it may hold pepip-under-test already
    raw: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M"), "machine": describe_setup(cfg),
                           "config": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(cfg).items()}}
    print("scratch root: %s" % cfg.root, file=sys.stderr)
    try:
        raw["modes"] = install_projects(cfg)
        wait_for_background_compiles()
        raw["disk_used"] = disk_after_use(cfg, raw)
        raw["runtime"] = measure_runtime(cfg)
    except BenchmarkError as error:
        print("benchmark failed; scratch kept at %s\n%s" % (cfg.root, error), file=sys.stderr)
        return 1
    report = render(cfg, raw)
    print(report)
    cfg.out.mkdir(parents=True, exist_ok=True)
    base = cfg.out / cfg.root.name
    base.with_suffix(".md").write_text(report, encoding="utf-8")
    (cfg.out / "latest.md").write_text(report, encoding="utf-8")
    base.with_suffix(".json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
    if draw_chart(cfg, raw, base.with_suffix(".png")):
        print("chart: %s" % base.with_suffix(".png"), file=sys.stderr)
    if keep:
        print("scratch kept at %s" % cfg.root, file=sys.stderr)
    else:
        remove_tree(cfg.root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
