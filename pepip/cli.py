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

from pathlib import Path  # noqa: E402  (after the hook: Ctrl-C may come during these imports)
from typing import List, Optional, Sequence  # noqa: E402

import typer  # noqa: E402

from pepip import __version__  # noqa: E402
from pepip.errors import PepipError  # noqa: E402
from pepip.locations import SETTINGS, wants_color  # noqa: E402
from pepip.report import exit_code  # noqa: E402
from pepip.install_line import locations_for, reporter_for, run_install, uv_options  # noqa: E402

try:  # typer vendors click from 0.28 on
    from typer._click.exceptions import UsageError as _UsageError
except ImportError:  # pragma: no cover - older typer depends on click itself
    from click.exceptions import UsageError as _UsageError  # type: ignore[no-redef, import-not-found, assignment, unused-ignore]

__all__ = ["app", "main", "run"]

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

# Options several commands share, declared once.
_VENV = typer.Option(
    None, "--venv", help="The venv (default: the activated one, $VIRTUAL_ENV, else .venv here)."
)
_PYTHON = typer.Option(
    None, "--python", "-p", help="Interpreter for a new venv (an existing venv's must match)."
)
_QUIET = typer.Option(False, "--quiet", "-q", help="Print nothing but errors.")
_VERBOSE = typer.Option(
    0, "--verbose", "-v", count=True, help="Show uv's whole output, as `uv -v` does (-vv: tracebacks too)."
)
_INDEX_URL = typer.Option(None, "--index-url", "-i", help="Base URL of the package index.")
_EXTRA_INDEX_URL = typer.Option([], "--extra-index-url", help="More package indexes.")
_FIND_LINKS = typer.Option([], "--find-links", "-f", help="Directories or pages of wheels.")
_NO_INDEX = typer.Option(False, "--no-index", help="Use only --find-links locations.")
_PRE = typer.Option(False, "--pre", help="Allow pre-releases.")
_CONSTRAINT = typer.Option([], "--constraint", "-c", help="Constraints file.")
_UPGRADE = typer.Option(False, "--upgrade", "-U", help="Prefer the newest versions.")
_REQUIRE_HASHES = typer.Option(
    False, "--require-hashes", help="Require a --hash for every requirement (as uv and pip do)."
)
_REFRESH = typer.Option(
    False, "--refresh", help="Resolve anew instead of reusing a recent identical resolution."
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
def install_command(
    packages: Optional[List[str]] = typer.Argument(None, help="Requirements, as for pip."),
    requirement: List[Path] = typer.Option([], "-r", "--requirement", help="Requirements file."),
    editable: List[str] = typer.Option(
        [], "-e", "--editable", help="A project to install in editable mode (into the venv, never the store)."
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
    upgrade_package: List[str] = typer.Option(
        [], "--upgrade-package", "-P", help="Allow this package to move to its newest version."
    ),
    no_deps: bool = typer.Option(False, "--no-deps", help="Install the named packages without their dependencies."),
    reinstall: bool = typer.Option(
        False, "--reinstall", help="Link every resolved package again from the store (implies --refresh)."
    ),
    reinstall_package: List[str] = typer.Option(
        [], "--reinstall-package", help="Link this package again from the store."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would change; change nothing."),
    offline: bool = typer.Option(False, "--offline", help="Use the store, uv's cache and local files only."),
    no_build_isolation: bool = typer.Option(
        False, "--no-build-isolation", help="Build source distributions with the venv's packages."
    ),
    index_strategy: Optional[str] = typer.Option(
        None, "--index-strategy", help="first-index, unsafe-first-match or unsafe-best-match (as uv)."
    ),
    torch_backend: Optional[str] = typer.Option(
        None, "--torch-backend", help="Where PyTorch packages come from: auto, cpu, cu126... (as uv)."
    ),
    group: List[str] = typer.Option(
        [], "--group", help="A dependency group of ./pyproject.toml, or PATH:NAME (PEP 735)."
    ),
    no_binary: List[str] = typer.Option(
        [], "--no-binary", help="Build this package (or :all:) from its source distribution (as uv)."
    ),
    only_binary: List[str] = typer.Option(
        [], "--only-binary", help="Take this package (or :all:) from wheels only (as uv)."
    ),
    exclude_newer: Optional[str] = typer.Option(
        None, "--exclude-newer", help="Leave out distributions uploaded after this date or time (as uv)."
    ),
    verbose: int = _VERBOSE,
) -> None:
    """Install packages into a venv through the shared store."""
    run_install(
        packages or (), requirement, editable, venv, python, quiet, index_url, extra_index_url, find_links,
        no_index, pre, constraint, upgrade, require_hashes, refresh, upgrade_package, no_deps, reinstall,
        reinstall_package, dry_run, offline, no_build_isolation, index_strategy, torch_backend, group,
        verbose=_verbosity(verbose), no_binary=no_binary, only_binary=only_binary, exclude_newer=exclude_newer,
    )


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
    from pepip.report import plural

    options = uv_options(index_url, extra_index_url, find_links, no_index)
    result = adopt(locations_for(venv, verbose=_verbosity(verbose)), options, reporter_for(quiet))
    if not quiet and result.moved:
        typer.echo("Adopted %s (%s now in the store)" % (plural(len(result.moved), "package"), _size(result.freed)), err=True)
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
    from pepip.store.inventory import list_entries
    from pepip.store.layout import Store

    rows = list_entries(Store.of(locations_for(None, verbose=_verbosity(verbose))))
    table = [("Package", "Version", "Tags", "Size", "Venvs")] + [
        (row.name, row.version, row.tags, _size(row.size), str(row.users)) for row in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(5)]
    for line in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


@store_app.command("status", epilog=_epilog(["pepip store status"], ["PEPIP_HOME"]))
def store_status_command(verbose: int = _VERBOSE) -> None:
    """Totals: entries, bytes on disk, venvs, and what per-venv copies would take."""
    from pepip.store.inventory import store_status
    from pepip.store.layout import Store

    locations = locations_for(None, verbose=_verbosity(verbose))
    status = store_status(Store.of(locations))
    typer.echo("Store:            %s" % locations.store_root)
    typer.echo("Entries:          %d" % status.entries)
    typer.echo("On disk:          %s" % _size(status.bytes_on_disk))
    typer.echo("Venvs:            %d live of %d registered" % (status.venvs_live, status.venvs_registered))
    typer.echo("Copies would use: %s" % _size(status.plain_install_bytes))
    typer.echo("Saving:           %s" % _size(status.saving))


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
    from pepip.store.layout import Store
    from pepip.report import plural
    from pepip.store.verify import skipped_links, verify_store

    locations = locations_for(None, verbose=_verbosity(verbose))
    problems = verify_store(Store.of(locations))
    for problem in problems:
        typer.echo(problem.describe())
    links = skipped_links(Store.of(locations))
    for link in links:
        typer.echo("%s: a link where pepip keeps a directory: skipped, no install uses it" % link)
    if problems and fix:
        options = uv_options(index_url, extra_index_url, find_links, no_index)
        fix_store(locations, problems, options, reporter_for(quiet))
        return
    if problems:
        raise typer.Exit(1)
    if links:
        typer.echo(
            "All entries verified; %s skipped (no install follows them; their owner or the "
            "store's admin can remove them)"
            % plural(len(links), "link")
        )
        return
    typer.echo("All entries verified")


@store_app.command("prune", epilog=_epilog(["pepip store prune --dry-run"], ["PEPIP_HOME"]))
def store_prune_command(
    dry_run: bool = typer.Option(False, "--dry-run", help="Only say what would go."),
    verbose: int = _VERBOSE,
) -> None:
    """Remove entries no live venv uses, and leftovers of interrupted installs."""
    from pepip.store.prune import prune
    from pepip.store.layout import Store
    from pepip.uv.resolve import forget_cached

    from pepip.report import plural

    locations = locations_for(None, verbose=_verbosity(verbose))
    result = prune(Store.of(locations), dry_run)
    if not dry_run:  # the cache's links to the removed entries' files: their disk space
        forget_cached(locations.uv, locations.uv_cache, [path.parent.parent.name for path in result.entries])
    verb = "Would remove" if dry_run else "Removed"
    typer.echo(
        "%s %s (%s), %s, %s from the registry"
        % (
            verb,
            plural(len(result.entries), "entry", "entries"),
            _size(result.freed),
            plural(result.leftovers, "temp leftover"),
            plural(len(result.forgotten_venvs), "deleted venv"),
        )
    )
    for path in result.entries:
        typer.echo(" - %s" % path)


@store_app.command("clean", epilog=_epilog(["pepip store clean --yes"], ["PEPIP_HOME"]))
def store_clean_command(
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove it even though venvs still use it."),
    verbose: int = _VERBOSE,
) -> None:
    """Remove the whole store (read-only entries too), as `uv cache clean` does uv's cache."""
    from pepip.report import plural
    from pepip.store.clean import clean_store, store_users
    from pepip.store.layout import Store
    from pepip.uv.resolve import forget_cached

    locations = locations_for(None, verbose=_verbosity(verbose))
    store = Store.of(locations)
    users = store_users(store)
    if users and not yes:
        for venv in users.venvs:
            typer.echo(str(venv))
        named = [plural(len(users.venvs), "venv")] if users.venvs else []
        named += ["%s on other machines" % plural(users.elsewhere, "venv")] if users.elsewhere else []
        count = len(users.venvs) + users.elsewhere
        raise PepipError(
            "%s still %s the store %s%s; removing it breaks them until `pepip repair` stores "
            "their packages again; pass --yes to remove it"
            % (" and ".join(named), "uses" if count == 1 else "use", store.root,
               " (listed above)" if users.venvs else "")
        )
    typer.echo("Clearing store at: %s" % store.root, err=True)
    result = clean_store(store)
    if not result.kept:  # its files are the entries' other names: their disk space
        forget_cached(locations.uv, locations.uv_cache, None)
    typer.echo("Removed %s (%s)" % (plural(result.files, "file"), _size(result.freed)), err=True)
    if result.kept:
        typer.echo(
            "pepip: warning: kept %s owned by %s: only their owner or the store's admin can "
            "remove them" % (plural(len(result.kept), "path"), ", ".join(result.owners())),
            err=True,
        )
    if users:
        typer.echo(
            "pepip: warning: %s used the store; `pepip repair` in each stores its packages again"
            % plural(len(users.venvs) + users.elsewhere, "venv"),
            err=True,
        )


def _size(count: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return "%d %s" % (count, unit) if unit == "B" else "%.1f %s" % (count, unit)
        count /= 1024  # type: ignore[assignment]
    return str(count)


def run(argv: list[str] | None) -> int:
    """Run one command through typer; the exit code (``pepip.__main__.main`` exits with it)."""
    from pepip.report import printable

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
            sys.stderr.write("pepip: error: %s\n" % refused)
            return error.exit_code
        sys.stderr.write("pepip: error: %s\n" % printable(_usage_message(error)))
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


from pepip.__main__ import main  # noqa: E402  (the entry point; here for who imports it from cli)
