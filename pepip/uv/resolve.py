"""The only module that runs uv: venv creation, resolution to pins, fetching into a staging dir.

uv does what it is best at (resolution, downloads, builds, hardlinking out of its cache) and
pepip keeps what it adds (the shared store and the wiring). Every uv failure becomes a
``PepipError`` here, quoting uv's own explanation.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Final, Sequence

from pepip import fsops
from pepip.artifacts import LockedPackage, NormalizedName, Pin, normalized
from pepip.errors import PepipError
from pepip.uv_cache import usable
from pepip.locations import UvProgram
from pepip.report import plural, printable, stderr_line
from pepip.uv.installed import Installed, without_offered, write_offers
from pepip.uv.stored import StoredBuild, with_stored, write_stored_offers

if TYPE_CHECKING:
    import subprocess

    from packaging.requirements import Requirement

__all__ = [
    "NormalizedName",
    "Pin",
    "UvOptions",
    "create_venv",
    "find_python",
    "resolve_pins",
    "fetch_pins",
    "forget_cached",
    "parse_request",
    "check_request",
    "request_name",
    "parse_pins",
    "uninstall_from_venv",
    "install_editables",
    "export_lock",
]

@dataclass(frozen=True)
class UvOptions:
    """Index and resolution options passed through to every uv call."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False
    constraints: tuple[Path, ...] = ()
    upgrade: bool = False
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    groups: tuple[str, ...] = ()
    require_hashes: bool = False  # every requirement needs a --hash (checked by pepip.uv.hashes)
    upgrade_packages: tuple[str, ...] = ()  # -P: these may move to newer versions
    no_deps: bool = False  # the request alone, none of its dependencies
    offline: bool = False  # uv's cache and local locations only (UV_OFFLINE reaches uv too)
    no_build_isolation: bool = False  # builds use the venv's packages, not a fresh environment
    index_strategy: str | None = None  # uv's --index-strategy
    torch_backend: str | None = None  # uv's --torch-backend
    no_binary: tuple[str, ...] = ()  # packages (or :all:) built from their sdist, never a wheel
    only_binary: tuple[str, ...] = ()  # packages (or :all:) taken from wheels only
    exclude_newer: str | None = None  # uv's --exclude-newer: no distribution uploaded after it

    def selection_args(self) -> list[str]:
        """``--extra``/``--all-extras``/``--group``: which optional parts of a project to take."""
        args: list[str] = []
        for extra in self.extras:
            args += ["--extra", extra]
        if self.all_extras:
            args.append("--all-extras")
        return args + self.group_args()

    def group_args(self) -> list[str]:
        """``--group [PATH:]NAME``: a dependency group (PEP 735), as ``uv pip install`` reads it."""
        return [arg for group in self.groups for arg in ("--group", group)]

    def group_files(self, base: Path) -> list[Path]:
        """The ``pyproject.toml`` files the groups come from (``base``'s when no path is given)."""
        files = []
        for group in self.groups:
            path, colon, _name = group.rpartition(":")
            files.append(Path(path) if colon and Path(path).is_absolute() else base / (path if colon else "pyproject.toml"))
        return files

    def resolution_args(self) -> list[str]:
        """Options that change what the resolution picks, for ``uv pip compile`` only."""
        args = ["--upgrade"] if self.upgrade else []
        for name in self.upgrade_packages:
            args += ["--upgrade-package", name]
        if self.no_deps:
            args.append("--no-deps")
        if self.exclude_newer:
            args += ["--exclude-newer", self.exclude_newer]
        return args

    def index_args(self) -> list[str]:
        """Where distributions come from and which versions count (resolve and fetch alike)."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for location in self.find_links:
            args += ["--find-links", location]
        if self.no_index:
            args.append("--no-index")
        if self.pre:
            args += ["--prerelease", "allow"]
        if self.offline:
            args.append("--offline")
        if self.no_build_isolation:
            args.append("--no-build-isolation")
        if self.index_strategy:
            args += ["--index-strategy", self.index_strategy]
        if self.torch_backend:
            args += ["--torch-backend", self.torch_backend]
        for name in self.no_binary:
            args += ["--no-binary", name]
        for name in self.only_binary:
            args += ["--only-binary", name]
        return args


# A requirement that is just a name (`numpy`): valid as it is, read without packaging's
# PEP 508 parser, whose import costs a remembered install a fifth of its time.
_BARE_NAME: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?\Z")


def is_bare_name(text: str) -> bool:
    """Whether the requirement ``text`` is a project name alone."""
    return _BARE_NAME.match(text) is not None


def check_request(text: str) -> None:
    """``parse_request``'s check, without its parser for a bare name."""
    if not is_bare_name(text):
        parse_request(text)


def request_name(text: str) -> NormalizedName:
    """The normalized project name of a valid requirement."""
    return normalized(text if is_bare_name(text) else parse_request(text).name)


def parse_request(text: str) -> Requirement:
    """Validate one requirement the user typed, before any uv call."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    try:
        requirement = Requirement(text)
    except InvalidRequirement as error:
        reason, *quote = str(error).splitlines()  # the message, then the text with a caret
        column = quote[-1].find("^") - 4 if len(quote) == 2 else -1
        if 0 < column < len(text):
            reason += " at `%s`" % text[column:]
        raise PepipError("invalid requirement `%s`: %s" % (text, reason)) from None
    for specifier in requirement.specifier:
        if specifier.operator != "===":
            continue
        try:
            Version(specifier.version)
        except InvalidVersion:  # `===` takes any string; uv takes versions only
            raise PepipError(
                "invalid requirement `%s`: `%s` is not a version" % (text, specifier.version)
            ) from None
    return requirement


def _run_uv(
    uv: UvProgram | Path,
    args: Sequence[str],
    what: str,
    display: Callable[[str], None] | None = None,
    lines: Callable[[str], None] | None = None,
    unset: Sequence[str] = (),
) -> str:
    """Run uv; on failure raise ``PepipError`` with uv's explanation in one line.

    uv's whole output becomes the error's ``detail`` only when the line leaves something out
    (a build backend's log); the resolver's explanation fits the line. With ``display``, uv
    runs on a pseudo-terminal and ``display`` receives what uv draws there (its progress);
    its stdout is not kept then. With ``lines``, each line uv prints on stderr goes to it as
    it comes (uv's ``Downloading numpy (16.1MiB)`` in a log). With pepip's ``-v``
    (``UvProgram.verbose``) neither: uv runs with ``-v`` and everything it prints goes to
    pepip's stderr as it comes, as ``uv -v`` shows it. uv's output that pepip reads is never
    coloured, whatever ``FORCE_COLOR`` says (its error quotes it). ``unset`` names
    environment variables uv must not see.
    """
    import subprocess  # loaded only when uv runs: a remembered install runs none

    program = uv if isinstance(uv, UvProgram) else UvProgram(uv)
    env = {name: value for name, value in os.environ.items() if name not in unset}
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    command = [str(program.binary), *args]
    if program.verbose:  # uv's -v and --quiet exclude each other
        command = [arg for arg in command if arg != "--quiet"] + ["-v"] * program.verbose
        command += ["--color", "always" if program.color else "never"]
        display, lines = None, _pass_through
        _pass_through("DEBUG pepip runs: %s" % " ".join(command))
    elif display is None:
        command += ["--color", "never"]
    try:
        if display is not None:
            from pepip.progress import plain_text
            from pepip.terminal import run_on_terminal

            drawn: list[str] = []

            def keep(text: str) -> None:
                drawn.append(text)
                display(text)

            code = run_on_terminal(command, env, keep)
            completed = subprocess.CompletedProcess(command, code, "", plain_text("".join(drawn)))
        elif lines is not None:
            completed = _run_reading_stderr(command, env, lines)
        else:
            completed = subprocess.run(command, capture_output=True, text=True, errors="replace", env=env)
    except OSError as error:
        raise PepipError("cannot run uv at %s: %s" % (program.binary, error.strerror)) from None
    if completed.returncode != 0:
        from pepip.progress import plain_text

        detail = plain_text(completed.stderr) if program.verbose else completed.stderr.strip()
        summary, complete = _uv_summary(detail)
        # With -v, all of uv's output is on the screen already.
        raise PepipError("%s failed: %s" % (what, summary), detail="" if complete or program.verbose else detail)
    return completed.stdout


def _pass_through(line: str) -> None:
    """One line of uv's own output to pepip's stderr, as uv printed it (``-v``)."""
    stderr_line(line)


def _run_reading_stderr(
    command: list[str], env: dict[str, str], lines: Callable[[str], None]
) -> subprocess.CompletedProcess[str]:
    """Run ``command``, handing each stderr line to ``lines`` as it comes; keep both outputs."""
    import subprocess
    import threading

    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, errors="replace", env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    stdout = process.stdout
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(stdout.read()), daemon=True)
    reader.start()
    kept: list[str] = []
    try:
        for line in process.stderr:
            kept.append(line)
            lines(line.rstrip("\r\n"))
        code = process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    finally:
        reader.join()
        process.stdout.close()
        process.stderr.close()
    return subprocess.CompletedProcess(command, code, "".join(out), "".join(kept))


_DECORATION: Final = " ×╰├─▶│\t"
_CARETS: Final = re.compile(r"^[|\s]*\^+$")
_LONG_WORD: Final = re.compile(r"\S{200,}")
# Lines of uv's that are no part of an error: what it did (not with --quiet), indented by up
# to 3 spaces, and with -v its log. A cause's further lines are indented more.
_NOT_ERRORS: Final = (
    "Using ", "Resolved ", "Downloading ", "Downloaded ", "Building ", "Built ", "Prepared ", "Installed ",
    "Uninstalled ", "Audited ", "Updating ", "Updated ", "+ ", "- ", "~ ", "DEBUG ", "TRACE ", "INFO ",
)
_URL: Final = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'`\")]+")


def _uv_summary(stderr: str) -> tuple[str, bool]:
    """uv's error output as one line, and whether that line is all the user needs of it.

    uv prints ``error: X``, then ``cause: Y`` lines, each perhaps continued by indented
    lines: the resolver's further sentences, a quote of the bad input with carets under it
    (then the parser's words), a program's output after ``--- stderr`` (git's), or after a
    blank line a build backend's output. The line is the resolver's explanation when there
    is one, else the error, each cause naming a URL the line does not name yet (the index
    that could not be reached) and the root cause, then uv's hints. A program's own words
    (git's ``fatal: ... Could not resolve host``) stand for the cause that quotes them.
    Other intermediate causes and a build's output are left out of it.
    """
    blocks: list[list[str]] = []  # each: head ("error: ..."), then its continuation lines
    for raw in stderr.splitlines():
        text = raw.lstrip(" ")
        if len(raw) - len(text) <= 3 and text.startswith(_NOT_ERRORS):
            continue  # progress and result lines (right-aligned verbs), -v's log lines
        line = raw.strip(_DECORATION)
        marker = raw.strip()[:1]  # uv's graphical style: `× error`, then `╰─▶ cause`
        if marker in ("×", "╰", "├"):
            line = ("error: " if marker == "×" else "cause: ") + line
        if line.startswith(("error:", "cause:", "Caused by:", "hint:", "warning:")):
            blocks.append([line])
        elif blocks and (raw[:1].isspace() or not line):
            blocks[-1].append(line)
        elif line:
            blocks.append(["error: " + line])  # output of no known shape: keep it as it is
    explanation, complete = "", True
    chain: list[str] = []  # the error, then its causes
    hints: list[str] = []
    for head, *more in blocks:
        kind, _, text = head.partition(":")
        text = text.strip().rstrip(":")
        if kind == "warning":
            continue
        program = [index for index, line in enumerate(more) if line in ("--- stderr", "--- stdout")]
        if program:  # a program uv ran failed: its first complaint says what happened
            said = [line for line in more[program[0] + 1 :] if line and not line.startswith("--- ")]
            more = more[: program[0]]
            complaint = next((line for line in said if line.startswith(("fatal:", "error:"))), None)
            text = complaint or (said[0] if said else text)
        elif "" in more:  # after a blank line comes another tool's output (a build log)
            complete = complete and not any(more[more.index("") :])
            more = more[: more.index("")]
        carets = [index for index, line in enumerate(more) if _CARETS.match(line)]
        if text.startswith("Because") or kind == "hint":  # sentences, every one of them
            text = " ".join([text, *more])
        elif carets:  # a quote of the input, carets under it, then what the parser says
            text = ": ".join([text, *more[carets[-1] + 1 :]])
        if kind == "hint":
            hints.append("hint: " + text)
        elif text.startswith("Because"):
            explanation = explanation or text
        else:
            chain.append(text)
    if len(chain) > 2:
        kept = [chain[0]]
        for cause in chain[1:-1]:
            if any(url not in " ".join(kept) for url in _URL.findall(cause)):
                kept.append(cause)
        chain = kept + [chain[-1]]
    summary = explanation or ": ".join(chain) or "uv gave no reason"
    if hints:
        summary = "; ".join([summary.rstrip("."), *hints])
    return _one_line(summary), complete


def _one_line(text: str) -> str:
    """Without control characters, uv's ``(os error N)`` and the bulk of a megabyte-long word."""
    text = re.sub(r" \(os error \d+\)", "", text)
    return _LONG_WORD.sub(lambda match: match.group()[:80] + "...", printable(text))


def create_venv(uv: UvProgram | Path, venv: Path, python: str | None) -> None:
    """Create an empty venv with uv (for ``python``, else uv's default interpreter)."""
    args = ["venv", str(venv), "--quiet", "--no-python-downloads"]
    if python:
        args += ["--python", python]
    _run_uv(uv, args, "creating the venv %s" % venv)


def find_python(uv: UvProgram | Path, python: str | None) -> Path:
    """The interpreter uv would create a venv with for ``python`` (or its default)."""
    args = ["python", "find", "--no-python-downloads"] + ([python] if python else [])
    found = _run_uv(uv, args, "finding a Python interpreter%s" % (" for %s" % python if python else ""))
    return Path(found.strip())


def resolve_pins(
    uv: UvProgram | Path,
    python: Path,
    requirements: Sequence[str],
    requirement_files: Sequence[Path],
    preferences: Sequence[Pin],
    options: UvOptions,
    cache: Path,
    no_deps: bool = False,
    installed: Sequence[Installed] = (),
    lines: Callable[[str], None] | None = None,
    stored: Sequence[StoredBuild] = (),
) -> list[LockedPackage]:
    """Resolve requirements for ``python`` with ``uv pip compile`` into a ``pylock.toml``.

    The lock names, per distribution, the artifacts uv would install and their hashes (see
    ``pepip.uv.pylock``). ``preferences`` are the venv's current pins, written where the
    output goes: uv keeps them unless the request needs otherwise, as ``uv pip install``
    keeps what a venv has. ``cache`` is pepip's uv cache (``pepip.uv_cache``).
    ``installed`` are offered as candidates too (``pepip.uv.installed``): a package
    resolved at an installed version that no index offers comes back with no artifact.
    ``stored`` are the store's builds, offered too (``pepip.uv.stored``): one uv takes comes
    back as the artifact it was stored from.
    ``lines`` receives each line uv prints (a wheel the resolution must download whole,
    from a ``--find-links`` page or a URL, is downloaded here: ``UvLog`` passes that on).
    """
    import tempfile

    from pepip.uv.pylock import read_pylock  # only when uv runs: a remembered install runs none

    with tempfile.TemporaryDirectory(prefix="pepip-resolve-") as work:
        source = Path(work, "requirements.in")
        source.write_text("".join(line + "\n" for line in requirements), encoding="utf-8")
        output = Path(work, "pylock.toml")
        preferred = [pin for pin in preferences if pin.url is None and pin.version]
        if preferred:
            output.write_text(
                'lock-version = "1.0"\ncreated-by = "pepip"\n'
                + "".join('\n[[packages]]\nname = "%s"\nversion = "%s"\n' % (p.name, p.version) for p in preferred),
                encoding="utf-8",
            )
        args = ["pip", "compile", str(source), *map(str, requirement_files)]
        args += ["--python", str(python), "--format", "pylock.toml", "--output-file", str(output)]
        cache = cache if usable(cache) else Path(work, "uv-cache")
        args += ["--no-header", "--cache-dir", str(cache), *options.index_args()]
        if lines is None:
            args.append("--quiet")
        for constraint in options.constraints:
            args += ["--constraint", str(constraint)]
        args += options.resolution_args()
        if no_deps and not options.no_deps:
            args.append("--no-deps")
        if any(path.name == "pyproject.toml" for path in requirement_files):
            args += options.selection_args()
        else:
            args += options.group_args()  # as `uv pip install --group`: ./pyproject.toml's
        offered = Path(work, "installed")
        if installed:
            write_offers(offered, installed)
            args += ["--find-links", str(offered)]
        builds = write_stored_offers(Path(work, "store"), stored, options) if stored else {}
        if builds:
            args += ["--find-links", str(Path(work, "store"))]
        what = "resolving the requirements" + (" from uv's cache and the store" if builds else "")
        try:
            _run_uv(uv, args, what, lines=lines)
        except PepipError as error:  # uv names the temporary file that holds the arguments
            message = error.message.replace("`%s`" % source, "the command line")
            raise PepipError(message, error.detail) from None
        packages = without_offered(read_pylock(output), offered) if installed else read_pylock(output)
        return with_stored(packages, Path(work, "store"), builds) if builds else packages


def export_lock(uv: UvProgram | Path, lock: Path, options: UvOptions, check: str = "") -> str:
    """The pinned requirements of a ``uv.lock`` (the project itself left out).

    As ``uv sync`` takes its lock: by default uv locks again first when the project's
    requirements changed since (and rewrites ``uv.lock``); ``check`` ``"locked"`` refuses
    a lock that is not up to date, ``"frozen"`` takes it as it is.
    """
    args = [
        "export", "--project", str(lock.parent), "--format", "requirements.txt",
        "--no-hashes", "--no-header", "--no-annotate", "--no-emit-project", "--quiet",
    ]
    if check:
        args.append("--" + check)
    args += options.selection_args() + options.index_args()
    return _run_uv(uv, args, "reading %s" % lock)


def forget_cached(uv: UvProgram | Path, cache: Path, names: Sequence[str] | None) -> None:
    """Have uv drop ``names``' files (``None``: all) from pepip's uv cache
    (``pepip.uv_cache``). Its files may be the very files of entries: a damaged entry's were
    damaged there too, and a pruned or cleaned entry's would keep their disk space."""
    if (names is None or names) and cache.is_dir():
        _run_uv(uv, ["cache", "clean", "--cache-dir", str(cache), "--quiet", *sorted(set(names or ()))],
                "cleaning pepip's uv cache")


def uninstall_from_venv(uv: UvProgram | Path, python: Path, names: Sequence[str]) -> None:
    """Have uv remove distributions that pip or uv installed into the venv's site-packages."""
    _run_uv(uv, ["pip", "uninstall", "--python", str(python), "--quiet", *names], "removing %s" % ", ".join(names))


def install_editables(uv: UvProgram | Path, python: Path, paths: Sequence[str], options: UvOptions, cache: Path) -> None:
    """Install projects in editable mode straight into the venv: never into the store
    (built through pepip's uv cache ``cache``, as everything pepip has uv build)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="pepip-editable-") as work:
        cache = cache if usable(cache) else Path(work, "uv-cache")
        args = ["pip", "install", "--python", str(python), "--no-deps", "--quiet", "--cache-dir", str(cache)]
        for path in paths:
            args += ["-e", path]
        _run_uv(uv, args + options.index_args(), "installing %s in editable mode" % ", ".join(paths))


def parse_pins(text: str) -> list[Pin]:
    """Read ``uv pip compile`` output: ``name==version`` and ``name @ url`` lines."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.version import InvalidVersion, Version

    pins: list[Pin] = []
    for raw in text.splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            raise PepipError("uv produced a line pepip cannot read: %s" % line) from None
        name = normalized(requirement.name)
        if requirement.url:
            pins.append(Pin(name, None, requirement.url))
            continue
        specifiers = list(requirement.specifier)
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            raise PepipError("uv produced an unpinned line pepip cannot read: %s" % line)
        try:
            version = str(Version(specifiers[0].version))
        except InvalidVersion:
            raise PepipError("uv produced an invalid version: %s" % line) from None
        pins.append(Pin(name, version))
    return pins


# uv's environment variables that bind a resolution, not an install of exact artifacts.
_RESOLUTION_ONLY: Final = ("UV_CONSTRAINT", "UV_OVERRIDE")


def fetch_pins(
    uv: UvProgram | Path,
    python: Path,
    pins: Sequence[Pin],
    options: UvOptions,
    prefix: Path,
    shared_cache: Path | None,
    compile_bytecode: bool = True,
    display: Callable[[str], None] | None = None,
    lines: Callable[[str], None] | None = None,
) -> None:
    """Install exactly ``pins``' artifacts (no dependencies) into the staging ``prefix``.

    uv installs from a ``pylock.toml`` naming one artifact per pin with its hash, so what
    lands is what was resolved, or uv refuses it. ``--prefix`` keeps site-packages, scripts
    and data apart. Files are hardlinked out of uv's cache whatever link mode the user's uv
    configuration asks for, so every store file is a regular file. The cache is
    ``shared_cache`` (pepip's own, which then shares the entries' files: ``pepip.uv_cache``),
    else a private one beside ``prefix``, deleted with it: then the store alone owns its
    files. Either way no file of the user's uv cache, or of a venv uv linked to it, is
    touched. ``display`` receives uv's own progress display, ``lines`` each line it prints when not
    on a terminal (``_run_uv``).
    """
    from pepip.uv.pylock import render_pylock

    if any(pin.artifact is not None and pin.artifact.kind == "directory" for pin in pins):
        # uv's cache keeps a source tree's build until its pyproject.toml changes, whatever
        # else was edited: a tree is built afresh (the store keys it by its content already)
        shared_cache = None
    lock = prefix.parent / "fetch" / "pylock.toml"
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(render_pylock(pins), encoding="utf-8")
    args = [
        "pip", "install", "--python", str(python), "--prefix", str(prefix), "--no-deps",
        "-r", str(lock), "--link-mode", "hardlink", "--cache-dir", str(shared_cache or prefix.parent / "uv-cache"),
        "--compile-bytecode" if compile_bytecode else "--no-compile-bytecode",
    ]
    if display is None and lines is None:
        args.append("--quiet")
    args += options.index_args()
    for pin in pins:
        # uv's cache may hold a wheel it built from the sdist of the same version, and take
        # it for a pinned wheel: the kind of artifact is said, so the entry is the pin's.
        if pin.artifact is not None and pin.artifact.kind == "wheel":
            args += ["--only-binary", pin.name]
        elif pin.artifact is not None and pin.artifact.kind == "sdist":
            args += ["--no-binary", pin.name]
    try:
        # The pins were resolved under the user's constraints and overrides; uv refuses them
        # beside a pylock.toml ("Cannot specify constraints with a `pylock.toml` file").
        what = "downloading and building " + plural(len(pins), "distribution")
        _run_uv(uv, args, what, display=display, lines=lines, unset=_RESOLUTION_ONLY)
    finally:
        # Gone before entries are made read-only: on Windows the attribute belongs to the
        # file, and deleting the cache's link to it later would clear it for the entry too.
        if shared_cache is None:
            fsops.remove_tree(prefix.parent / "uv-cache")
