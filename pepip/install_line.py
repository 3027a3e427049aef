"""``pepip install``'s command line, read without typer: the command people run most.

Importing typer and its click costs about as much as a whole install with a remembered
resolution (35 of ~150 ms, plus click's parsing). So ``pepip.__main__`` reads ``install``
with this parser when every argument is one it knows (``INSTALL_OPTIONS``, which a test
holds equal to typer's ``install`` command), and hands anything else (``--help``, a
misspelt option, ``-qU`` clusters) to typer, whose help and usage errors stay the only ones.
Both end in ``run_install``, so the two ways in cannot differ in what they do.
``list_line`` reads ``list`` and ``freeze`` with the same ``read_options``.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`'s: `pepip list` reads its options here too, before `typing` (and `re`) load
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Final, Mapping, Optional, Sequence

    from pepip.locations import Locations
    from pepip.report import Reporter
    from pepip.uv.resolve import UvOptions

__all__ = [
    "INSTALL_OPTIONS", "REFUSED_OPTIONS", "read_options", "parse_install", "run_install", "locations_for",
    "reporter_for", "uv_options",
]

# Option -> (parameter of run_install, takes a value, may repeat). Flags take none.
INSTALL_OPTIONS: Final = {
    "-r": ("requirement", True, True),
    "--requirement": ("requirement", True, True),
    "-e": ("editable", True, True),
    "--editable": ("editable", True, True),
    "--venv": ("venv", True, False),
    "-p": ("python", True, False),
    "--python": ("python", True, False),
    "-q": ("quiet", False, False),
    "--quiet": ("quiet", False, False),
    "-i": ("index_url", True, False),
    "--index-url": ("index_url", True, False),
    "--extra-index-url": ("extra_index_url", True, True),
    "-f": ("find_links", True, True),
    "--find-links": ("find_links", True, True),
    "--no-index": ("no_index", False, False),
    "--pre": ("pre", False, False),
    "-c": ("constraint", True, True),
    "--constraint": ("constraint", True, True),
    "-U": ("upgrade", False, False),
    "--upgrade": ("upgrade", False, False),
    "--require-hashes": ("require_hashes", False, False),
    "--refresh": ("refresh", False, False),
    "-P": ("upgrade_package", True, True),
    "--upgrade-package": ("upgrade_package", True, True),
    "--no-deps": ("no_deps", False, False),
    "--reinstall": ("reinstall", False, False),
    "--reinstall-package": ("reinstall_package", True, True),
    "--dry-run": ("dry_run", False, False),
    "--offline": ("offline", False, False),
    "--no-build-isolation": ("no_build_isolation", False, False),
    "--index-strategy": ("index_strategy", True, False),
    "--torch-backend": ("torch_backend", True, False),
    "--group": ("group", True, True),
    "--no-binary": ("no_binary", True, True),
    "--only-binary": ("only_binary", True, True),
    "--exclude-newer": ("exclude_newer", True, False),
    "-v": ("verbose", False, True),  # a flag that repeats: counted
    "--verbose": ("verbose", False, True),
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
    read = read_options(args[1:], INSTALL_OPTIONS)
    if read is None:
        return None
    values, packages = read
    values["packages"] = packages
    return values


def read_options(
    args: Sequence[str], options: Mapping[str, tuple[str, bool, bool]]
) -> tuple[dict[str, object], list[str]] | None:
    """A command's arguments as click reads them: the given options (``--name value``,
    ``--name=value``; a counted flag as its count), and the positional arguments. None
    when an argument is not one of ``options`` or a value is missing: typer must read it."""
    positional: list[str] = []
    values: dict[str, object] = {}
    repeated: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            positional += rest
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        option, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        known = options.get(option)
        if known is None:
            return None
        parameter, takes_value, repeats = known
        if not takes_value:
            if equals:
                return None
            counts[parameter] = counts.get(parameter, 0) + 1  # -v -v: 2
            values[parameter] = counts[parameter] if repeats else True
            continue
        if not equals:
            following = next(rest, None)
            if following is None:
                return None  # typer says which value is missing
            value = following
        if repeats:
            values[parameter] = repeated.setdefault(parameter, [])
            repeated[parameter].append(value)
        else:
            values[parameter] = value  # the last one wins, as with click
    return values, positional


def run_install(
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
    """``pepip install``, whichever parser read its command line.

    ``--reinstall`` implies ``--refresh``, as it does for uv.
    """
    from pathlib import Path

    from pepip.commands.install import InstallRequest, install

    options = uv_options(
        index_url, extra_index_url, find_links, no_index, pre, [Path(path) for path in constraint],
        upgrade, require_hashes, upgrade_packages=tuple(upgrade_package), no_deps=no_deps, offline=offline,
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
    from pepip.uv.resolve import UvOptions

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
