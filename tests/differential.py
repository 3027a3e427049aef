"""The differential harness: one scenario run under ``uv pip`` and under ``pepip``, compared.

uv is the oracle. A scenario is a sequence of commands on a fresh venv; each tool runs it in
a directory of its own with the same inputs, and after every step the harness reads what the
venv holds. Two runs agree when, step by step, they agree on:

- the exit status (zero or not);
- the installed distributions: name, version and artifact (the wheel's file name as its
  ``WHEEL`` file spells its tags, or the URL ``direct_url.json`` names);
- for a failure: pepip said it in one ``error`` line without a traceback, and left the venv
  exactly as it was;

and, after the last step, for every distribution: whether each top-level module imports and
each console script starts (``--help``), the same in both venvs.

What differs by design (pepip's ``.pth`` and runtime, ``INSTALLER``, ``RECORD`` paths into the
store, each tool's own directory in a local path or URL) is normalised in ``_normalise`` and
``_artifact`` alone. tests/test_differential.py runs a subset of tests/corpus.py;
``python eval/compat.py`` runs all of it and writes the table.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

from packaging.utils import canonicalize_name

TOOLS = ("uv", "pepip")
# pepip's record of the venv (manifest and runtime index): by design, and rewritten by a
# sync that changes nothing else (its inputs' fingerprint)
_BOOKKEEPING = frozenset({"pepip-manifest.txt", "pepip-index.marshal"})
_STEP_TIMEOUT = 1800
_SCRIPT_TIMEOUT = 30


@dataclass(frozen=True)
class Scenario:
    """Commands to run on a fresh venv, with the files they read.

    A step is the arguments after ``uv pip`` / ``pepip`` (``("install", "six")``), or, for a
    project, ``("sync", ...)`` (``uv sync`` against ``pepip sync``). A step whose first word
    starts with ``@`` runs the same in both directories: ``("@uv", "lock")`` runs ``uv lock``,
    ``("@write", "name", "text")`` writes a file. ``{find_links}`` in an argument is
    ``$PIP_FIND_LINKS``, ``{here}`` the scenario's own directory.
    """

    name: str
    kind: str  # "packages", "command line" or "project": the CI subset covers each
    steps: tuple[tuple[str, ...], ...]
    python: str = "3.11"
    files: Mapping[str, str] = field(default_factory=dict)
    subset: bool = False
    # Differences documented in docs/compatibility.md: (substring of the difference, reason).
    documented: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Dist:
    """One installed distribution as both tools must agree on it."""

    version: str
    artifact: str
    modules: tuple[str, ...]  # top-level import names, from its RECORD
    scripts: tuple[str, ...]  # console and GUI scripts, from entry_points.txt


@dataclass
class StepOutcome:
    args: tuple[str, ...]
    status: int
    stderr: str
    dists: dict[str, Dist]
    changed: tuple[str, ...]  # the venv's files that the step added, changed or removed

    @property
    def unchanged(self) -> bool:
        return not self.changed

    @property
    def unchanged_but_bookkeeping(self) -> bool:
        """Only pepip's own record of the venv changed (a sync's fingerprint): no file a
        program in the venv reads."""
        return all(path in _BOOKKEEPING for path in self.changed)
    seconds: float


@dataclass
class Outcome:
    """One tool's run of a scenario."""

    tool: str
    steps: list[StepOutcome] = field(default_factory=list)
    imports: dict[str, str] = field(default_factory=dict)  # module -> "ok" or the exception's type
    scripts: dict[str, str] = field(default_factory=dict)  # script -> "ok", "exit N" or "missing"
    skipped: str = ""  # why the scenario could not run here (no such interpreter)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def interpreter(version: str) -> Path | None:
    """A CPython ``version`` ("3.11") on this machine: pyenv's, else the running one's."""
    if "%d.%d" % sys.version_info[:2] == version:
        return Path(sys.executable)
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    found = sorted(root.glob(version + ".*/bin/python" + version))
    return found[-1] if found else None


def tool_env(base: Mapping[str, str], home: Path) -> dict[str, str]:
    """The environment of both tools: the caller's store and uv cache, no user config."""
    env = {key: value for key, value in base.items() if not key.startswith(("PYTEST_", "VIRTUAL_ENV"))}
    env.update({"HOME": str(home), "UV_NO_CONFIG": "1", "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"})
    for name in ("UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "PIP_FIND_LINKS", "UV_OFFLINE"):
        env.pop(name, None)
    return env


def run_scenario(scenario: Scenario, tool: str, root: Path, env: Mapping[str, str], uv: Path) -> Outcome:
    """Run ``scenario`` with ``tool`` in ``root`` (made here): a venv at ``root/.venv``."""
    outcome = Outcome(tool)
    python = interpreter(scenario.python)
    if python is None:
        outcome.skipped = "no Python %s here" % scenario.python
        return outcome
    if any("{find_links}" in arg for step in scenario.steps for arg in step) and not os.environ.get("PIP_FIND_LINKS"):
        outcome.skipped = "no $PIP_FIND_LINKS (the torch CPU wheel's folder) here"
        return outcome
    root.mkdir(parents=True)
    home = root / "home"
    home.mkdir()
    env = tool_env(env, home)
    # Caches of the scenario's own: uv takes a wheel it built from an sdist in another
    # scenario for a plain install of that version (pepip takes the pinned artifact), so a
    # shared cache would make one scenario's outcome depend on the ones before it.
    env.update(UV_CACHE_DIR=str(root / "uv-cache"), PEPIP_CACHE_DIR=str(root / "pepip-cache"))
    for name, text in scenario.files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(_expand(text, root).encode("utf-8"))
    venv = root / ".venv"
    subprocess.run([str(uv), "venv", "-q", "--python", str(python), str(venv)], check=True, env=env, cwd=root)
    for step in scenario.steps:
        args = tuple(_expand(arg, root) for arg in step)
        if args[0].startswith("@"):
            _setup_step(args, root, env, uv)
            continue
        before = venv_files(venv)
        started = time.monotonic()
        done = subprocess.run(
            _command(tool, args, venv, uv), cwd=root, env=env, capture_output=True, text=True,
            timeout=_STEP_TIMEOUT, stdin=subprocess.DEVNULL,
        )
        outcome.steps.append(StepOutcome(
            args=step, status=done.returncode, stderr=done.stderr, dists=installed(venv, root),
            changed=_changed(before, venv_files(venv)), seconds=time.monotonic() - started,
        ))
    if outcome.steps and outcome.steps[-1].status == 0:
        dists = outcome.steps[-1].dists
        outcome.imports = _imports(venv, sorted({module for dist in dists.values() for module in dist.modules}), env)
        outcome.scripts = _scripts(venv, sorted({script for dist in dists.values() for script in dist.scripts}), env)
    return outcome


def _expand(text: str, root: Path) -> str:
    return text.replace("{find_links}", os.environ.get("PIP_FIND_LINKS", "")).replace("{here}", str(root))


def _setup_step(args: tuple[str, ...], root: Path, env: Mapping[str, str], uv: Path) -> None:
    if args[0] == "@write":
        (root / args[1]).write_text(args[2], encoding="utf-8")
    elif args[0] == "@uv":
        subprocess.run([str(uv), *args[1:]], cwd=root, env=env, check=True, capture_output=True, timeout=_STEP_TIMEOUT)
    else:
        raise ValueError("unknown setup step %r" % (args,))


def _command(tool: str, args: tuple[str, ...], venv: Path, uv: Path) -> list[str]:
    """``args`` as ``tool`` takes them for ``venv``."""
    if tool == "uv":
        if args[0] == "sync":
            return [str(uv), "sync", *args[1:]]  # the project's .venv, which is ``venv``
        return [str(uv), "pip", *args, "--python", str(_python(venv))]
    return [sys.executable, "-m", "pepip", *args, "--venv", str(venv)]


def _python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")


def _site_packages(venv: Path) -> Path:
    if sys.platform == "win32":
        return venv / "Lib" / "site-packages"
    return next((venv / "lib").glob("python*/site-packages"))


def venv_files(venv: Path) -> dict[str, tuple[int, int]]:
    """Every file of ``venv`` with its size and modification time: "the venv unchanged".
    uv's empty ``.lock`` (made by every ``uv pip`` command) is no change."""
    files = {}
    for directory, _subdirs, names in os.walk(venv):
        for name in names:
            path = os.path.join(directory, name)
            if name == ".lock" and directory == str(venv):
                continue
            info = os.lstat(path)
            files[os.path.relpath(path, venv)] = (info.st_size, info.st_mtime_ns)
    return files


def _changed(before: Mapping[str, tuple[int, int]], after: Mapping[str, tuple[int, int]]) -> tuple[str, ...]:
    return tuple(sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path)))


def installed(venv: Path, root: Path) -> dict[str, Dist]:
    """The distributions ``venv``'s site-packages holds, by normalised name."""
    site = _site_packages(venv)
    dists = {}
    for info in sorted(site.glob("*.dist-info")):
        metadata = _headers(info / "METADATA")
        name = canonicalize_name(metadata.get("Name", [info.name.split("-")[0]])[0])
        version = metadata.get("Version", [""])[0]
        dists[name] = Dist(
            version=version,
            artifact=_artifact(info, name, version, root),
            modules=_top_level(info, site),
            scripts=_scripts_of(info),
        )
    return dists


def _headers(path: Path) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return headers
    for line in text.split("\n\n", 1)[0].splitlines():
        key, sep, value = line.partition(":")
        if sep and not line.startswith((" ", "\t")):
            headers.setdefault(key.strip(), []).append(value.strip())
    return headers


def _artifact(info: Path, name: str, version: str, root: Path) -> str:
    """The wheel's file name as its ``WHEEL`` tags spell it, or the URL it came from; each
    tool's own directory in a path reads ``{here}``."""
    direct = info / "direct_url.json"
    if direct.is_file():
        data = json.loads(direct.read_text(encoding="utf-8"))
        url = str(data.get("url", "")).replace(root.as_uri(), "file://{here}").replace(str(root), "{here}")
        editable = " (editable)" if data.get("dir_info", {}).get("editable") else ""
        return url + editable
    wheel = _headers(info / "WHEEL")
    tags = [tag.split("-") for tag in wheel.get("Tag", [])]
    parts = [".".join(sorted({tag[index] for tag in tags})) for index in range(3)] if tags else ["?"]
    build = wheel.get("Build", [])
    return "-".join([name.replace("-", "_"), version, *build, *parts]) + ".whl"


def _top_level(info: Path, site: Path) -> tuple[str, ...]:
    """The import names the distribution's files give: ``RECORD``'s first path components
    in site-packages that are modules or packages."""
    names = set()
    try:
        rows = (info / "RECORD").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    for row in rows:
        path = row.rsplit(",", 2)[0].strip('"').replace("\\", "/")
        parts = [part for part in path.split("/") if part not in ("", ".")]
        while parts and parts[0] in ("..",):
            parts.pop(0)
        if not parts or parts[0].endswith((".dist-info", ".data", ".pth")) or parts[0] in ("__pycache__", "bin"):
            continue
        if len(parts) > 1 and parts[-1].endswith(".py"):
            names.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith((".py", ".so", ".pyd")):
            names.add(parts[0].split(".")[0])
    return tuple(sorted(name for name in names if name.isidentifier() and not name.startswith("test")))


def _scripts_of(info: Path) -> tuple[str, ...]:
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string((info / "entry_points.txt").read_text(encoding="utf-8"))
    except (OSError, configparser.Error):
        return ()
    return tuple(sorted(
        name for section in ("console_scripts",) if parser.has_section(section) for name in parser.options(section)
    ))


_IMPORT_ALL = textwrap.dedent("""
    import importlib, json, sys
    results = {}
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
            results[name] = "ok"
        except BaseException as error:
            results[name] = type(error).__name__
    sys.stdout.write("\\n" + json.dumps(results) + "\\n")
""")


def _imports(venv: Path, modules: list[str], env: Mapping[str, str]) -> dict[str, str]:
    """Import each module in one fresh interpreter of ``venv``, each in its own if that crashes."""
    def run(names: list[str]) -> dict[str, str]:
        done = subprocess.run(
            [str(_python(venv)), "-c", _IMPORT_ALL, *names], capture_output=True, text=True,
            env=dict(env), timeout=600, stdin=subprocess.DEVNULL, cwd=venv.parent / "home",
        )
        lines = done.stdout.strip().splitlines()
        if done.returncode == 0 and lines:
            return dict(json.loads(lines[-1]))
        return {name: "crash %d" % done.returncode for name in names}

    results = run(modules)
    if len(modules) > 1 and all(value.startswith("crash") for value in results.values()):
        results = {}
        for name in modules:
            results.update(run([name]))
    return results


def _scripts(venv: Path, scripts: list[str], env: Mapping[str, str]) -> dict[str, str]:
    """Start each console script with ``--help``: "ok", "exit N", "timeout" or "missing"."""
    bindir = _python(venv).parent

    def start(script: str) -> tuple[str, str]:
        path = bindir / (script + (".exe" if sys.platform == "win32" else ""))
        if not path.is_file():
            return script, "missing"
        for timeout in (_SCRIPT_TIMEOUT, 4 * _SCRIPT_TIMEOUT):  # a busy machine's cold start
            try:
                done = subprocess.run(
                    [str(path), "--help"], capture_output=True, env=dict(env), timeout=timeout,
                    stdin=subprocess.DEVNULL, cwd=venv.parent / "home",
                )
            except subprocess.TimeoutExpired:
                continue
            return script, "ok" if done.returncode == 0 else "exit %d" % done.returncode
        return script, "timeout"

    with ThreadPoolExecutor(2) as pool:
        return dict(pool.map(start, scripts))


def differences(uv_run: Outcome, pepip_run: Outcome) -> list[str]:
    """What pepip did otherwise than uv, one line each; empty when they agree."""
    found = []
    for number, (theirs, ours) in enumerate(zip(uv_run.steps, pepip_run.steps), 1):
        label = "step %d (%s)" % (number, " ".join(theirs.args)[:60])
        if (theirs.status == 0) != (ours.status == 0):
            found.append("%s: uv exited %d, pepip %d: %s" % (label, theirs.status, ours.status, _last_line(ours.stderr or theirs.stderr)))
        if ours.status != 0:
            errors = [line for line in ours.stderr.splitlines() if line.startswith("pepip: error")]
            if "Traceback" in ours.stderr or len(errors) != 1:
                found.append("%s: pepip's failure is not one error line: %r" % (label, ours.stderr[-300:]))
            if not ours.unchanged:
                found.append("%s: pepip failed and changed the venv" % label)
        elif theirs.status == 0 and theirs.unchanged and not ours.unchanged_but_bookkeeping:
            found.append("%s: uv changed nothing in the venv, pepip changed it" % label)
        for name in sorted(set(theirs.dists) | set(ours.dists)):
            mine, other = ours.dists.get(name), theirs.dists.get(name)
            if mine is None or other is None:
                found.append("%s: %s %s" % (label, name, "only in uv's venv" if mine is None else "only in pepip's venv"))
            elif (mine.version, mine.artifact) != (other.version, other.artifact):
                found.append("%s: %s is %s %s under uv, %s %s under pepip" % (
                    label, name, other.version, other.artifact, mine.version, mine.artifact))
    if len(uv_run.steps) != len(pepip_run.steps):
        found.append("ran %d steps under uv, %d under pepip" % (len(uv_run.steps), len(pepip_run.steps)))
    for kind, theirs_map, ours_map in (("import", uv_run.imports, pepip_run.imports), ("script", uv_run.scripts, pepip_run.scripts)):
        for name in sorted(set(theirs_map) | set(ours_map)):
            if theirs_map.get(name) != ours_map.get(name):
                found.append("%s %s: %s under uv, %s under pepip" % (kind, name, theirs_map.get(name), ours_map.get(name)))
    return found


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:200] if lines else ""


@dataclass
class Comparison:
    """A scenario's two runs and what the docs do not explain of their differences."""

    scenario: Scenario
    uv: Outcome
    pepip: Outcome
    found: list[str]
    unexplained: list[str]
    explained: list[str]

    @property
    def verdict(self) -> str:
        if self.uv.skipped:
            return "skipped: " + self.uv.skipped
        if self.unexplained:
            return "differs"
        return "documented" if self.explained else "same"


def compare(scenario: Scenario, root: Path, env: Mapping[str, str], uv: Path, parallel: bool = True) -> Comparison:
    """Run ``scenario`` under both tools (at once, if ``parallel``) in ``root``, and compare."""
    def run(tool: str) -> Outcome:
        return run_scenario(scenario, tool, root / tool, env, uv)

    if parallel:
        with ThreadPoolExecutor(2) as pool:
            uv_run, pepip_run = pool.map(run, TOOLS)
    else:
        uv_run, pepip_run = run("uv"), run("pepip")
    found = [] if uv_run.skipped else differences(uv_run, pepip_run)
    explained = [line for line in found if any(pattern in line for pattern, _why in scenario.documented)]
    return Comparison(scenario, uv_run, pepip_run, found, [line for line in found if line not in explained], explained)


def remove(root: Path) -> None:
    """Remove a scenario's directory, read-only files too."""
    def writable(function: object, path: str, _info: object) -> None:
        os.chmod(path, 0o700)
        os.unlink(path) if os.path.isfile(path) else shutil.rmtree(path, ignore_errors=True)

    shutil.rmtree(root, onerror=writable) if sys.version_info < (3, 12) else shutil.rmtree(root, onexc=writable)


def summary(comparisons: Sequence[Comparison]) -> str:
    """Counts of verdicts: "120 same, 3 documented, 0 differs"."""
    counts: dict[str, int] = {}
    for comparison in comparisons:
        verdict = comparison.verdict.split(":")[0]
        counts[verdict] = counts.get(verdict, 0) + 1
    return ", ".join("%d %s" % (count, verdict) for verdict, count in sorted(counts.items()))
