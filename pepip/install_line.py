"""``pepip install``'s command line: its options, declared once, and a reader without typer.

Importing typer and its click costs about as much as a whole install with a remembered
resolution (35 of ~150 ms, plus click's parsing). So ``pepip.__main__`` reads ``install``
with this parser when every argument is one it knows, and hands anything else (``--help``,
a misspelt option, ``-qU`` clusters) to typer, whose help and usage errors stay the only
ones. Both parsers are built from ``INSTALL_OPTIONS`` (``pepip.cli`` builds typer's
``install`` command from it, and the options other commands share), so they cannot accept
different options; both end in ``run_install``, so they cannot differ in what they do.
This module imports nothing that an install does not load anyway (no typer, no click);
the reading itself is ``pepip.arguments``', which ``list`` and ``freeze`` use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Optional, Sequence

from pepip.arguments import read_options

if TYPE_CHECKING:
    from pepip.locations import Locations
    from pepip.report import Reporter
    from pepip.uv.options import UvOptions

__all__ = [
    "Option", "INSTALL_OPTIONS", "REFUSED_OPTIONS", "install_option", "parse_install", "run_install",
    "locations_for", "reporter_for", "uv_options",
]


@dataclass(frozen=True)
class Option:
    """One command-line option: the parameter it sets, its names, what it takes, its help."""

    parameter: str  # run_install's keyword, typer's parameter name
    names: tuple[str, ...]  # --long and -s, in any order (help lists the short one first)
    help: str
    kind: Literal["flag", "count", "value", "values"] = "flag"  # count: a flag that repeats (-vv is 2)
    path: bool = False  # its values are paths (typer shows <path> and gives Path objects)

    @property
    def takes_value(self) -> bool:
        """Whether the option reads a value (``--venv v`` or ``--venv=v``)."""
        return self.kind in ("value", "values")

    @property
    def repeats(self) -> bool:
        """Whether giving it again adds to it (a list, or a count) rather than replacing it."""
        return self.kind in ("values", "count")


# In the order ``pepip install --help`` lists them.
INSTALL_OPTIONS: Final = (
    Option("requirement", ("-r", "--requirement"), "Requirements file.", "values", path=True),
    Option("editable", ("-e", "--editable"),
           "A project to install in editable mode (into the venv, never the store).", "values"),
    Option("venv", ("--venv",), "The venv (default: the activated one, $VIRTUAL_ENV, else .venv here).",
           "value", path=True),
    Option("python", ("--python", "-p"), "Interpreter for a new venv (an existing venv's must match).", "value"),
    Option("quiet", ("--quiet", "-q"), "Print nothing but errors."),
    Option("index_url", ("--index-url", "-i"), "Base URL of the package index.", "value"),
    Option("extra_index_url", ("--extra-index-url",), "More package indexes.", "values"),
    Option("find_links", ("--find-links", "-f"), "Directories or pages of wheels.", "values"),
    Option("no_index", ("--no-index",), "Use only --find-links locations."),
    Option("pre", ("--pre",), "Allow pre-releases."),
    Option("constraint", ("--constraint", "-c"), "Constraints file.", "values", path=True),
    Option("upgrade", ("--upgrade", "-U"), "Prefer the newest versions."),
    Option("require_hashes", ("--require-hashes",), "Require a --hash for every requirement (as uv and pip do)."),
    Option("refresh", ("--refresh",), "Resolve anew instead of reusing a recent identical resolution."),
    Option("upgrade_package", ("--upgrade-package", "-P"), "Allow this package to move to its newest version.",
           "values"),
    Option("no_deps", ("--no-deps",), "Install the named packages without their dependencies."),
    Option("reinstall", ("--reinstall",), "Link every resolved package again from the store (implies --refresh)."),
    Option("reinstall_package", ("--reinstall-package",), "Link this package again from the store.", "values"),
    Option("dry_run", ("--dry-run",), "Say what would change; change nothing."),
    Option("offline", ("--offline",), "Use the store, uv's cache and local files only."),
    Option("no_build_isolation", ("--no-build-isolation",), "Build source distributions with the venv's packages."),
    Option("index_strategy", ("--index-strategy",),
           "first-index, unsafe-first-match or unsafe-best-match (as uv).", "value"),
    Option("torch_backend", ("--torch-backend",),
           "Where PyTorch packages come from: auto, cpu, cu126... (as uv).", "value"),
    Option("group", ("--group",), "A dependency group of ./pyproject.toml, or PATH:NAME (PEP 735).", "values"),
    Option("no_binary", ("--no-binary",), "Build this package (or :all:) from its source distribution (as uv).",
           "values"),
    Option("only_binary", ("--only-binary",), "Take this package (or :all:) from wheels only (as uv).", "values"),
    Option("exclude_newer", ("--exclude-newer",),
           "Leave out distributions uploaded after this date or time (as uv).", "value"),
    Option("verbose", ("--verbose", "-v"), "Show uv's whole output, as `uv -v` does (-vv: tracebacks too).",
           "count"),
)


def install_option(parameter: str) -> Option:
    """The option of ``pepip install`` that sets ``parameter`` (other commands share it)."""
    for option in INSTALL_OPTIONS:
        if option.parameter == parameter:
            return option
    raise KeyError(parameter)


# Option name -> (parameter, takes a value, repeats): ``read_options``' view of ``INSTALL_OPTIONS``.
_BY_NAME: Final = {
    name: (option.parameter, option.takes_value, option.repeats) for option in INSTALL_OPTIONS for name in option.names
}

# uv's options that mean nothing for a venv wired to a store: each refused with its reason
# (``pepip.cli`` prints it instead of click's "No such option"; docs/commands.md lists them).
REFUSED_OPTIONS: Final = {
    "--target": "pepip installs into venvs only; a target directory has no runtime to find the store",
    "-t": "pepip installs into venvs only; a target directory has no runtime to find the store",
    "--prefix": "pepip installs into venvs only; a prefix has no runtime to find the store",
    "--system": "pepip wires venvs only, never a system interpreter",
    "--break-system-packages": "pepip wires venvs only, never a system interpreter",
    "--user": "pepip wires venvs only, never a user site directory",
    "--link-mode": "the store decides how files reach the venv; set PEPIP_LINK_MODE instead",
    "--compile-bytecode": "the store compiles bytecode once for every venv; set PEPIP_BYTECODE instead",
    "--no-compile-bytecode": "the store compiles bytecode once for every venv; set PEPIP_BYTECODE instead",
    "--exact": "`pepip sync` makes a venv hold exactly what a file asks for",
}


def parse_install(args: Sequence[str]) -> dict[str, object] | None:
    """``run_install``'s arguments for ``install ...``; None for what typer must read."""
    if not args or args[0] != "install":
        return None
    read = read_options(args[1:], _BY_NAME)
    if read is None:
        return None
    values, packages = read
    values["packages"] = packages
    return values


def run_install(
    *,
    packages: Sequence[str] = (),
    requirement: Sequence[Path | str] = (),
    editable: Sequence[str] = (),
    venv: Optional[Path | str] = None,
    python: Optional[str] = None,
    quiet: bool = False,
    index_url: Optional[str] = None,
    extra_index_url: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    pre: bool = False,
    constraint: Sequence[Path | str] = (),
    upgrade: bool = False,
    require_hashes: bool = False,
    refresh: bool = False,
    upgrade_package: Sequence[str] = (),
    no_deps: bool = False,
    reinstall: bool = False,
    reinstall_package: Sequence[str] = (),
    dry_run: bool = False,
    offline: bool = False,
    no_build_isolation: bool = False,
    index_strategy: Optional[str] = None,
    torch_backend: Optional[str] = None,
    group: Sequence[str] = (),
    verbose: int = 0,
    no_binary: Sequence[str] = (),
    only_binary: Sequence[str] = (),
    exclude_newer: Optional[str] = None,
) -> None:
    """``pepip install``, whichever parser read its command line: one keyword parameter per
    option of ``INSTALL_OPTIONS``, and ``packages``.

    ``--reinstall`` implies ``--refresh``, as it does for uv.
    """
    from pepip.commands.install import InstallRequest, install

    options = uv_options(
        index_url=index_url, extra_index_url=extra_index_url, find_links=find_links, no_index=no_index, pre=pre,
        constraint=[Path(path) for path in constraint], upgrade=upgrade, require_hashes=require_hashes,
        upgrade_packages=tuple(upgrade_package), no_deps=no_deps, offline=offline,
        no_build_isolation=no_build_isolation, index_strategy=index_strategy, torch_backend=torch_backend,
        groups=tuple(group), no_binary=tuple(no_binary), only_binary=tuple(only_binary),
        exclude_newer=exclude_newer,
    )
    request = InstallRequest(
        tuple(packages), tuple(Path(path) for path in requirement), python, options, tuple(editable),
        reinstall=reinstall, reinstall_packages=tuple(reinstall_package), dry_run=dry_run,
    )
    locations = locations_for(None if venv is None else Path(venv), refresh or reinstall, verbose)
    install(locations, request, reporter_for(quiet))


def locations_for(venv: Optional[Path], refresh: bool = False, verbose: int = 0) -> Locations:
    """The command's ``Locations`` (``--refresh`` ignores remembered resolutions; ``verbose``
    is ``-v`` counted: uv's own output shown)."""
    from pepip.locations import Locations

    locations = Locations.from_environment(venv, verbose=verbose)
    return locations.refreshed() if refresh else locations


def reporter_for(quiet: bool) -> Reporter:
    """Result lines on stderr, warnings coloured as uv colours them (``wants_color``)."""
    import os
    import sys

    from pepip.locations import wants_color
    from pepip.report import Reporter

    return Reporter(quiet=quiet, color=wants_color(os.environ, sys.stderr))


def uv_options(
    index_url: Optional[str] = None,
    extra_index_url: Sequence[str] = (),
    find_links: Sequence[str] = (),
    no_index: bool = False,
    pre: bool = False,
    constraint: Sequence[Path] = (),
    upgrade: bool = False,
    require_hashes: bool = False,
    **selection: object,
) -> UvOptions:
    """The index and resolution options every resolving command passes to uv."""
    from pepip.uv.options import UvOptions

    return UvOptions(
        index_url=index_url,
        extra_index_urls=tuple(extra_index_url),
        find_links=tuple(find_links),
        no_index=no_index,
        pre=pre,
        constraints=tuple(constraint),
        upgrade=upgrade,
        require_hashes=require_hashes,
        **selection,  # type: ignore[arg-type]
    )
