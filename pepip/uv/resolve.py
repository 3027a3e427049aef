"""The uv commands pepip runs: venv creation, resolution to a ``pylock.toml``, fetching
exact artifacts into a staging dir, editable installs, uninstalls, cache cleaning.

uv does what it is best at (resolution, downloads, builds, hardlinking out of its cache) and
pepip keeps what it adds (the shared store and the wiring). Each command runs uv through
``pepip.uv.runner``, which turns every uv failure into a ``PepipError`` quoting uv's own
explanation; it is imported by each command, so a remembered install, which runs no uv,
loads none of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Final, Sequence

from pepip import fsops
from pepip.artifacts import LockedPackage, Pin
from pepip.errors import PepipError
from pepip.uv_cache import usable
from pepip.locations import UvProgram
from pepip.report import plural
from pepip.uv.installed import Installed, without_offered, write_offers
from pepip.uv.options import UvOptions
from pepip.uv.stored import StoredBuild, with_stored, write_stored_offers

__all__ = [
    "create_venv",
    "find_python",
    "resolve_pins",
    "fetch_pins",
    "forget_cached",
    "uninstall_from_venv",
    "install_editables",
    "export_lock",
]


def create_venv(uv: UvProgram | Path, venv: Path, python: str | None) -> None:
    """Create an empty venv with uv (for ``python``, else uv's default interpreter)."""
    from pepip.uv.runner import run_uv

    args = ["venv", str(venv), "--quiet", "--no-python-downloads"]
    if python:
        args += ["--python", python]
    run_uv(uv, args, "creating the venv %s" % venv)


def find_python(uv: UvProgram | Path, python: str | None) -> Path:
    """The interpreter uv would create a venv with for ``python`` (or its default)."""
    from pepip.uv.runner import run_uv

    args = ["python", "find", "--no-python-downloads"] + ([python] if python else [])
    found = run_uv(uv, args, "finding a Python interpreter%s" % (" for %s" % python if python else ""))
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
    from pepip.uv.runner import run_uv

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
            run_uv(uv, args, what, lines=lines)
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
    from pepip.uv.runner import run_uv

    args = [
        "export", "--project", str(lock.parent), "--format", "requirements.txt",
        "--no-hashes", "--no-header", "--no-annotate", "--no-emit-project", "--quiet",
    ]
    if check:
        args.append("--" + check)
    args += options.selection_args() + options.index_args()
    return run_uv(uv, args, "reading %s" % lock)


def forget_cached(uv: UvProgram | Path, cache: Path, names: Sequence[str] | None) -> None:
    """Have uv drop ``names``' files (``None``: all) from pepip's uv cache
    (``pepip.uv_cache``). Its files may be the very files of entries: a damaged entry's were
    damaged there too, and a pruned or cleaned entry's would keep their disk space."""
    from pepip.uv.runner import run_uv

    if (names is None or names) and cache.is_dir():
        run_uv(uv, ["cache", "clean", "--cache-dir", str(cache), "--quiet", *sorted(set(names or ()))],
                "cleaning pepip's uv cache")


def uninstall_from_venv(uv: UvProgram | Path, python: Path, names: Sequence[str]) -> None:
    """Have uv remove distributions that pip or uv installed into the venv's site-packages."""
    from pepip.uv.runner import run_uv

    run_uv(uv, ["pip", "uninstall", "--python", str(python), "--quiet", *names], "removing %s" % ", ".join(names))


def install_editables(uv: UvProgram | Path, python: Path, paths: Sequence[str], options: UvOptions, cache: Path) -> None:
    """Install projects in editable mode straight into the venv: never into the store
    (built through pepip's uv cache ``cache``, as everything pepip has uv build)."""
    import tempfile

    from pepip.uv.runner import run_uv

    with tempfile.TemporaryDirectory(prefix="pepip-editable-") as work:
        cache = cache if usable(cache) else Path(work, "uv-cache")
        args = ["pip", "install", "--python", str(python), "--no-deps", "--quiet", "--cache-dir", str(cache)]
        for path in paths:
            args += ["-e", path]
        run_uv(uv, args + options.index_args(), "installing %s in editable mode" % ", ".join(paths))


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
    on a terminal (``pepip.uv.runner.run_uv``).
    """
    from pepip.uv.pylock import render_pylock
    from pepip.uv.runner import run_uv

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
        run_uv(uv, args, what, display=display, lines=lines, unset=_RESOLUTION_ONLY)
    finally:
        # Gone before entries are made read-only: on Windows the attribute belongs to the
        # file, and deleting the cache's link to it later would clear it for the entry too.
        if shared_cache is None:
            fsops.remove_tree(prefix.parent / "uv-cache")
