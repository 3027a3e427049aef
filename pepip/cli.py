"""The command line: parse arguments, build ``Locations``, call one function, print.

User errors (``PepipError``) end as one ``pepip: error: ...`` line on stderr and exit 1 (the
resolver's explanation is part of it; only a build's own output follows it). ``-v``
(before or after the command, as with uv) shows uv's whole output as ``uv -v`` does;
``-vv`` also the traceback of an error. A usage mistake (unknown command or option) is one such line
too, with click's suggestion, and exits 2, as pip and uv do. Text a user typed is printed
escaped (``report.printable``): it cannot forge a second line.
Command modules are imported inside each command, so ``pepip --version`` loads none of them;
``pepip.__main__`` answers it, and reads a plain ``install`` without typer (``install_line``).

Ctrl-C exits 130 without a traceback, also while Python is still importing the command
line (``_quiet_interrupt``); once the command has finished it is ignored, and pepip exits 0.
"""

from __future__ import annotations

import os
import re
import sys
from types import TracebackType


def _quiet_interrupt(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    """``sys.excepthook``: Ctrl-C before ``main`` runs (while typer loads) prints nothing.

    Python then ends the process by SIGINT, as for any interrupted program; every other
    exception keeps its traceback.
    """
    if not issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, value, traceback)


if sys.excepthook is sys.__excepthook__:  # not when embedded in a tool that set its own
    sys.excepthook = _quiet_interrupt

import inspect  # noqa: E402  (after the hook: Ctrl-C may come during these imports)
from pathlib import Path  # noqa: E402
from typing import Any, Callable, List, Optional, Sequence  # noqa: E402

import typer  # noqa: E402

from pepip import __version__  # noqa: E402
from pepip.errors import PepipError  # noqa: E402
from pepip.locations import SETTINGS, wants_color  # noqa: E402
from pepip.report import exit_code  # noqa: E402
from pepip.install_line import (  # noqa: E402
    INSTALL_OPTIONS, Option, install_option, locations_for, reporter_for, run_install, uv_options,
)

try:  # typer vendors click from 0.28 on
    from typer._click.exceptions import UsageError as _UsageError
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import UsageError as _UsageError  # type: ignore[no-redef, import-not-found, assignment, unused-ignore]

__all__ = ["app", "run"]

_VENV_ENV = ("VIRTUAL_ENV", "PEPIP_HOME")


def _epilog(examples: Sequence[str], names: Sequence[str] = _VENV_ENV) -> str:
    """One example and the environment variables that matter, kept as typed (``\b``); each
    variable's help comes from its declaration (``pepip.locations.SETTINGS``)."""
    text = "\b\nExample:\n" + "".join("  $ %s\n" % example for example in examples)
    width = max(len(name) for name in names)
    settings = {setting.name: setting for setting in SETTINGS}
    text += "\n\b\nEnvironment:\n" + "".join(
        "  %s  %s\n" % (name.ljust(width), settings[name].help) for name in names
    )
    return text + "\nFull reference: docs/commands.md"


# -h as well as --help, plain text help and errors (no rich panels), as pip and uv print them.
_CONTEXT = {"help_option_names": ["-h", "--help"]}
app = typer.Typer(
    name="pepip",
    help="Install Python packages once into a shared store and wire venvs to it.",
    epilog=_epilog(
        ["pepip install requests numpy   # into the active venv, else ./.venv"],
        [setting.name for setting in SETTINGS],
    ),
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_CONTEXT,
)
store_app = typer.Typer(
    help="Inspect and maintain the shared store.",
    epilog=_epilog(["pepip store status"], ["PEPIP_HOME", "PEPIP_BASE_STORES"]),
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings=_CONTEXT,
)
app.add_typer(store_app, name="store")

_verbose = 0  # -v given before the command (`pepip -v install`), counted


def _option(parameter: str) -> Any:
    """typer's parameter for the option of ``pepip install`` that sets ``parameter`` (for the
    commands that share it)."""
    return _typer_option(install_option(parameter))


def _typer_option(option: Option) -> Any:
    """typer's parameter for ``option`` (its default: what an option not given means)."""
    default: object = {"flag": False, "count": 0, "value": None, "values": []}[option.kind]
    return typer.Option(default, *option.names, help=option.help, count=option.kind == "count")


def _annotation(option: Option) -> Any:
    """The type typer converts ``option``'s values to."""
    value: Any = Path if option.path else str
    return {"flag": bool, "count": int, "value": Optional[value], "values": List[value]}[option.kind]


def _with_options(options: Sequence[Option]) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command taking ``**options`` one keyword parameter per option (typer reads a
    command's parameters from its signature): the options are declared once, in
    ``install_line``, for typer and for the parser there alike."""

    def declare(command: Callable[..., None]) -> Callable[..., None]:
        signature = inspect.signature(command)
        kept = [parameter for parameter in signature.parameters.values() if parameter.kind != parameter.VAR_KEYWORD]
        added = [
            inspect.Parameter(option.parameter, inspect.Parameter.KEYWORD_ONLY, default=_typer_option(option),
                              annotation=_annotation(option))
            for option in options
        ]
        command.__signature__ = signature.replace(parameters=kept + added)  # type: ignore[attr-defined]
        return command

    return declare


# Options several commands share, declared once (``INSTALL_OPTIONS``).
_VENV, _PYTHON, _QUIET, _VERBOSE = (_option(name) for name in ("venv", "python", "quiet", "verbose"))
_INDEX_URL, _EXTRA_INDEX_URL, _FIND_LINKS, _NO_INDEX = (
    _option(name) for name in ("index_url", "extra_index_url", "find_links", "no_index")
)
_PRE, _CONSTRAINT, _UPGRADE, _REQUIRE_HASHES, _REFRESH = (
    _option(name) for name in ("pre", "constraint", "upgrade", "require_hashes", "refresh")
)


def _verbosity(count: int) -> int:
    """All ``-v`` of the command line: the command's and the ones before it."""
    global _verbose
    _verbose += count
    return _verbose


def _version(value: bool) -> None:
    if value:
        typer.echo("pepip %s" % __version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", "-V", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: int = _VERBOSE,
) -> None:
    global _verbose
    _verbose = verbose


@app.command("install", epilog=_epilog(["pepip install requests 'numpy<2' -r requirements.txt"]))
@_with_options(INSTALL_OPTIONS)
def install_command(
    packages: Optional[List[str]] = typer.Argument(None, help="Requirements, as for pip."), **options: Any
) -> None:
    """Install packages into a venv through the shared store."""
    options["verbose"] = _verbosity(options["verbose"])
    run_install(packages=packages or (), **options)


@app.command("uninstall", epilog=_epilog(["pepip uninstall requests"]))
def uninstall_command(
    packages: List[str] = typer.Argument(..., help="Names of the packages to remove."),
    venv: Optional[Path] = _VENV,
    quiet: bool = _QUIET,
    verbose: int = _VERBOSE,
) -> None:
    """Remove packages from a venv (their dependencies and the store stay)."""
    from pepip.commands.uninstall import uninstall

    uninstall(locations_for(venv, verbose=_verbosity(verbose)), packages, reporter_for(quiet))


@app.command("sync", epilog=_epilog(["pepip sync requirements.txt"]))
def sync_command(
    files: Optional[List[Path]] = typer.Argument(
        None, help="requirements.txt, pyproject.toml or uv.lock (default: found in the current directory)."
    ),
    extra: List[str] = typer.Option([], "--extra", help="An optional-dependency group of pyproject.toml."),
    all_extras: bool = typer.Option(False, "--all-extras", help="Every optional-dependency group."),
    group: List[str] = typer.Option([], "--group", help="A dependency group (PEP 735)."),
    locked: bool = typer.Option(False, "--locked", help="Refuse a uv.lock that is not up to date (as uv sync)."),
    frozen: bool = typer.Option(False, "--frozen", help="Take the uv.lock as it is, without locking again."),
    no_install_project: bool = typer.Option(
        False, "--no-install-project", help="Leave out the project itself (installed editable by default)."
    ),
    venv: Optional[Path] = _VENV,
    python: Optional[str] = _PYTHON,
    quiet: bool = _QUIET,
    index_url: Optional[str] = _INDEX_URL,
    extra_index_url: List[str] = _EXTRA_INDEX_URL,
    find_links: List[str] = _FIND_LINKS,
    no_index: bool = _NO_INDEX,
    pre: bool = _PRE,
    constraint: List[Path] = _CONSTRAINT,
    upgrade: bool = _UPGRADE,
    require_hashes: bool = _REQUIRE_HASHES,
    refresh: bool = _REFRESH,
    verbose: int = _VERBOSE,
) -> None:
    """Make the venv hold exactly what a file asks for, removing the rest."""
    from pepip.commands.sync import sync

    options = uv_options(
        index_url, extra_index_url, find_links, no_index, pre, constraint, upgrade, require_hashes,
        extras=tuple(extra), all_extras=all_extras, groups=tuple(group),
    )
    if locked and frozen:
        raise PepipError("--locked and --frozen cannot be used together")
    check = "locked" if locked else "frozen" if frozen else ""
    sync(
        locations_for(venv, refresh, _verbosity(verbose)), tuple(files or ()), python, options, reporter_for(quiet), check,
        not no_install_project,
    )


@app.command("list", epilog=_epilog(["pepip list --format json"]))
def list_command(
    venv: Optional[Path] = _VENV,
    output_format: str = typer.Option("table", "--format", help="table or json."),
    verbose: int = _VERBOSE,
) -> None:
    """List the venv's packages and whether each comes from the store or site-packages."""
    from pepip.commands.listing import format_json, format_table, list_venv
    from pepip.venv.target import existing_venv

    if output_format not in ("table", "json"):
        raise PepipError("--format must be `table` or `json`, not `%s`" % output_format)
    rows = list_venv(existing_venv(locations_for(venv, verbose=_verbosity(verbose))))
    typer.echo(format_json(rows) if output_format == "json" else format_table(rows))


@app.command("freeze", epilog=_epilog(["pepip freeze > requirements.txt"]))
def freeze_command(venv: Optional[Path] = _VENV, verbose: int = _VERBOSE) -> None:
    """Print the venv's packages as pip-compatible requirement lines."""
    from pepip.commands.listing import format_freeze, list_venv
    from pepip.venv.target import existing_venv

    text = format_freeze(list_venv(existing_venv(locations_for(venv, verbose=_verbosity(verbose)))))
    if text:
        typer.echo(text)


@app.command("venv", epilog=_epilog(["pepip venv exp1/.venv --python 3.12"], ["PEPIP_HOME"]))
def venv_command(
    path: Optional[Path] = typer.Argument(None, help="Where to create it (default: .venv)."),
    python: Optional[str] = _PYTHON,
    quiet: bool = _QUIET,
    verbose: int = _VERBOSE,
) -> None:
    """Create an empty venv wired to the store."""
    from pepip.commands.install import create_wired_venv

    create_wired_venv(locations_for(path, verbose=_verbosity(verbose)), python, reporter_for(quiet))


@app.command("repair", epilog=_epilog(["pepip repair --venv exp1/.venv"]))
def repair_command(
    venv: Optional[Path] = _VENV,
    quiet: bool = _QUIET,
    index_url: Optional[str] = _INDEX_URL,
    extra_index_url: List[str] = _EXTRA_INDEX_URL,
    find_links: List[str] = _FIND_LINKS,
    no_index: bool = _NO_INDEX,
    verbose: int = _VERBOSE,
) -> None:
    """Re-store every missing or damaged store entry the venv uses (same versions)."""
    from pepip.commands.repair import repair

    options = uv_options(index_url, extra_index_url, find_links, no_index)
    repair(locations_for(venv, verbose=_verbosity(verbose)), options, reporter_for(quiet))


@app.command("adopt", epilog=_epilog(["pepip adopt --venv exp1/.venv"]))
def adopt_command(
    venv: Optional[Path] = _VENV,
    quiet: bool = _QUIET,
    index_url: Optional[str] = _INDEX_URL,
    extra_index_url: List[str] = _EXTRA_INDEX_URL,
    find_links: List[str] = _FIND_LINKS,
    no_index: bool = _NO_INDEX,
    verbose: int = _VERBOSE,
) -> None:
    """Move what uv or pip installed into a venv into the store (the venv keeps working)."""
    from pepip.commands.adopt import adopt
    from pepip.commands.store_report import adopted_line

    options = uv_options(index_url, extra_index_url, find_links, no_index)
    result = adopt(locations_for(venv, verbose=_verbosity(verbose)), options, reporter_for(quiet))
    if not quiet and result.moved:
        typer.echo(adopted_line(len(result.moved), result.freed), err=True)
    for name, why in result.kept:
        typer.echo("pepip: kept %s in the venv: %s" % (name, why), err=True)


@app.command("materialize", epilog=_epilog(["pepip materialize --venv /app/.venv"]))
def materialize_command(venv: Optional[Path] = _VENV, quiet: bool = _QUIET) -> None:
    """Copy the venv's packages out of the store: it then works without it (Docker images)."""
    from pepip.commands.materialize import materialize

    materialize(locations_for(venv), reporter_for(quiet))


@app.command("doctor", epilog=_epilog(["pepip doctor --venv exp1/.venv"]))
def doctor_command(venv: Optional[Path] = _VENV, verbose: int = _VERBOSE) -> None:
    """Report every problem of a venv without changing anything."""
    from pepip.commands.doctor import diagnose

    from pepip.report import printable

    problems = diagnose(locations_for(venv, verbose=_verbosity(verbose)))
    for problem in problems:  # each a user error, in the form every command prints one
        typer.echo("pepip: error: %s" % printable(problem), err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo("No problems found")


@store_app.command("path", epilog=_epilog(["pepip store path"], ["PEPIP_HOME"]))
def store_path_command(verbose: int = _VERBOSE) -> None:
    """Print the store root."""
    typer.echo(str(locations_for(None, verbose=_verbosity(verbose)).store_root))


@store_app.command("ls", epilog=_epilog(["pepip store ls"], ["PEPIP_HOME", "PEPIP_BASE_STORES"]))
def store_ls_command(verbose: int = _VERBOSE) -> None:
    """One row per stored build: name, version, tags, size, live venvs using it."""
    from pepip.commands.store_report import entries_table
    from pepip.store.inventory import list_entries
    from pepip.store.layout import Store

    for line in entries_table(list_entries(Store.of(locations_for(None, verbose=_verbosity(verbose))))):
        typer.echo(line)


@store_app.command("status", epilog=_epilog(["pepip store status"], ["PEPIP_HOME"]))
def store_status_command(verbose: int = _VERBOSE) -> None:
    """Totals: entries, bytes on disk, venvs, and what per-venv copies would take."""
    from pepip.commands.store_report import status_lines
    from pepip.store.inventory import store_status
    from pepip.store.layout import Store

    locations = locations_for(None, verbose=_verbosity(verbose))
    for line in status_lines(locations.store_root, store_status(Store.of(locations))):
        typer.echo(line)


@store_app.command("verify", epilog=_epilog(["pepip store verify --fix"], ["PEPIP_HOME", "PEPIP_BASE_STORES"]))
def store_verify_command(
    fix: bool = typer.Option(False, "--fix", help="Re-store damaged entries."),
    quiet: bool = _QUIET,
    index_url: Optional[str] = _INDEX_URL,
    extra_index_url: List[str] = _EXTRA_INDEX_URL,
    find_links: List[str] = _FIND_LINKS,
    no_index: bool = _NO_INDEX,
    verbose: int = _VERBOSE,
) -> None:
    """Check every file of every entry against its RECORD hash."""
    from pepip.commands.repair import fix_store
    from pepip.commands.store_report import link_line, verified_line
    from pepip.store.layout import Store
    from pepip.store.verify import skipped_links, verify_store

    locations = locations_for(None, verbose=_verbosity(verbose))
    problems = verify_store(Store.of(locations))
    for problem in problems:
        typer.echo(problem.describe())
    links = skipped_links(Store.of(locations))
    for link in links:
        typer.echo(link_line(link))
    if problems and fix:
        options = uv_options(index_url, extra_index_url, find_links, no_index)
        fix_store(locations, problems, options, reporter_for(quiet))
        return
    if problems:
        raise typer.Exit(1)
    typer.echo(verified_line(links))


@store_app.command("prune", epilog=_epilog(["pepip store prune --dry-run"], ["PEPIP_HOME"]))
def store_prune_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would go."),
    verbose: int = _VERBOSE,
) -> None:
    """Remove entries no live venv uses, and leftovers of interrupted installs."""
    from pepip.commands.store_report import prune_lines
    from pepip.store.prune import prune
    from pepip.store.layout import Store
    from pepip.uv.resolve import forget_cached

    locations = locations_for(None, verbose=_verbosity(verbose))
    result = prune(Store.of(locations), dry_run)
    if not dry_run:  # the cache's links to the removed entries' files: their disk space
        forget_cached(locations.uv, locations.uv_cache, [path.parent.parent.name for path in result.entries])
    for line in prune_lines(result, dry_run):
        typer.echo(line)


@store_app.command("clean", epilog=_epilog(["pepip store clean --yes"], ["PEPIP_HOME"]))
def store_clean_command(
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove it even though venvs still use it."),
    verbose: int = _VERBOSE,
) -> None:
    """Remove the whole store (read-only entries too), as `uv cache clean` does uv's cache."""
    from pepip.commands.store_report import clean_lines, users_refusal
    from pepip.store.clean import clean_store, store_users
    from pepip.store.layout import Store
    from pepip.uv.resolve import forget_cached

    locations = locations_for(None, verbose=_verbosity(verbose))
    store = Store.of(locations)
    users = store_users(store)
    if users and not yes:
        for venv in users.venvs:
            typer.echo(str(venv))
        raise PepipError(users_refusal(users, store.root))
    typer.echo("Clearing store at: %s" % store.root, err=True)
    result = clean_store(store)
    if not result.kept:  # its files are the entries' other names: their disk space
        forget_cached(locations.uv, locations.uv_cache, None)
    for line in clean_lines(result, users):
        typer.echo(line, err=True)


def run(argv: list[str] | None) -> int:
    """Run one command through typer; the exit code (``pepip.__main__.main`` exits with it)."""
    from pepip.report import printable, stderr_line

    command = typer.main.get_command(app)

    def invoke() -> int:
        code = command.main(args=argv, prog_name="pepip", standalone_mode=False)
        return code if isinstance(code, int) else 0

    try:
        return exit_code(invoke, lambda: _verbose >= 2, wants_color(os.environ, sys.stderr))
    except _UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # plain `pepip`: the help, as uv does
            error.show()
            return 2
        refused = _refused_option(error)
        if refused:
            stderr_line("pepip: error: %s" % refused)
            return error.exit_code
        stderr_line("pepip: error: %s" % printable(_usage_message(error)))
        return error.exit_code
    except typer.Abort:  # end of input at a prompt
        return 1


def _refused_option(error: _UsageError) -> str:
    """Why a uv option pepip does not take makes no sense with a store (``""``: not one of those)."""
    from pepip.install_line import REFUSED_OPTIONS

    option = getattr(error, "option_name", None)
    if type(error).__name__ != "NoSuchOption" or option not in REFUSED_OPTIONS:
        return ""
    return "%s is uv's, and pepip does not take it: %s" % (option, REFUSED_OPTIONS[option])


def _usage_message(error: _UsageError) -> str:
    """click's message with the command it is about and a pointer to its help."""
    message = error.format_message().replace("\n", " ")
    message = re.sub(r"\s*\(Possible options: (.*)\)$", r"; did you mean \1?", message)
    where = error.ctx.command_path if error.ctx is not None else "pepip"
    return "%s (see `%s --help`)" % (message.rstrip(), where)
