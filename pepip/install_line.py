"""``pepip install``'s command line, read without typer: the command people run most.

Importing typer and its click costs about as much as a whole install with a remembered
resolution (35 of ~150 ms, plus click's parsing). So ``pepip.__main__`` reads ``install``
with this parser when every argument is one it knows (``INSTALL_OPTIONS``, which a test
holds equal to typer's ``install`` command), and hands anything else (``--help``, a
misspelt option, ``-qU`` clusters) to typer, whose help and usage errors stay the only ones.
Both end in ``run_install``, so the two ways in cannot differ in what they do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final, Optional, Sequence

if TYPE_CHECKING:
    from pepip.locations import Locations
    from pepip.report import Reporter
    from pepip.uv.resolve import UvOptions

__all__ = ["INSTALL_OPTIONS", "parse_install", "run_install", "locations_for", "reporter_for", "uv_options"]

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
    "-v": ("verbose", False, True),  # a flag that repeats: counted
    "--verbose": ("verbose", False, True),
}


def parse_install(args: Sequence[str]) -> dict[str, object] | None:
    """``run_install``'s arguments for ``install ...``; None for what typer must read."""
    if not args or args[0] != "install":
        return None
    packages: list[str] = []
    values: dict[str, object] = {"packages": packages}
    repeated: dict[str, list[str]] = {}
    counts: dict[str, int] = {}
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--":
            packages += rest
            break
        if not arg.startswith("-") or arg == "-":
            packages.append(arg)
            continue
        option, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        known = INSTALL_OPTIONS.get(option)
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
    return values


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
    verbose: int = 0,
) -> None:
    """``pepip install``, whichever parser read its command line."""
    from pepip.commands.install import InstallRequest, install

    options = uv_options(
        index_url, extra_index_url, find_links, no_index, pre, [Path(path) for path in constraint],
        upgrade, require_hashes,
    )
    request = InstallRequest(
        tuple(packages), tuple(Path(path) for path in requirement), python, options, tuple(editable)
    )
    install(locations_for(None if venv is None else Path(venv), refresh, verbose), request, reporter_for(quiet))


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
