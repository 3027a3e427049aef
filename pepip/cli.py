"""The command line: parse arguments, build ``Locations``, call one function, report.

User errors (``PepipError``) end as one ``pepip: error: ...`` line on stderr and exit 1, with
uv's own explanation after it when there is one; ``--verbose`` shows the traceback instead.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from pepip import __version__
from pepip.errors import PepipError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pepip",
    help="Install Python packages once into a shared store and wire venvs to it.",
    add_completion=False,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
)

_verbose = False


def _version(value: bool) -> None:
    if value:
        typer.echo("pepip %s" % __version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", help="Show tracebacks of errors."),
) -> None:
    global _verbose
    _verbose = verbose


@app.command("install")
def install_command(
    packages: Optional[List[str]] = typer.Argument(None, help="Requirements, as for pip."),
    requirement: List[Path] = typer.Option([], "-r", "--requirement", help="Requirements file."),
    venv: Optional[Path] = typer.Option(None, "--venv", help="The venv (default: .venv)."),
    python: Optional[str] = typer.Option(None, "--python", "-p", help="Interpreter for a new venv."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    index_url: Optional[str] = typer.Option(None, "--index-url", "-i"),
    extra_index_url: List[str] = typer.Option([], "--extra-index-url"),
    find_links: List[str] = typer.Option([], "--find-links", "-f"),
    no_index: bool = typer.Option(False, "--no-index"),
    pre: bool = typer.Option(False, "--pre", help="Allow pre-releases."),
    constraint: List[Path] = typer.Option([], "--constraint", "-c", help="Constraints file."),
    upgrade: bool = typer.Option(False, "--upgrade", "-U"),
) -> None:
    """Install packages into a venv through the shared store."""
    from pepip.install import InstallRequest, install
    from pepip.locations import Locations
    from pepip.report import Reporter
    from pepip.resolve import UvOptions

    options = UvOptions(
        index_url=index_url,
        extra_index_urls=tuple(extra_index_url),
        find_links=tuple(find_links),
        no_index=no_index,
        pre=pre,
        constraints=tuple(constraint),
        upgrade=upgrade,
    )
    request = InstallRequest(tuple(packages or ()), tuple(requirement), python, options)
    install(Locations.from_environment(venv), request, Reporter(quiet=quiet))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``pepip`` script: one stderr line per user error, exit 1."""
    try:
        app(args=argv, prog_name="pepip")
    except PepipError as error:
        if _verbose:
            raise
        sys.stderr.write("pepip: error: %s\n" % error.message)
        if error.detail:
            sys.stderr.write(error.detail + "\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
