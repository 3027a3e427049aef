"""``pepip list`` and ``pepip freeze``'s command lines, read and answered without typer.

``uv pip list`` takes some 10 ms beyond the interpreter's start; loading typer and click
alone costs several times that. So ``pepip.__main__`` reads these commands here when every
argument is one typer's command declares too (``LIST_OPTIONS``, ``FREEZE_OPTIONS``, which a
test holds equal to typer's), with ``pepip.arguments``' reader, and answers them from
``listing.list_quickly`` when the venv is an ordinary one. Anything else (``--help``, a
misspelt option, a format typer refuses, a venv ``existing_venv`` must open: a damaged,
moved or half-changed one, none at all) goes to typer as before, whose messages stay the
only ones; the rows and their formats are ``pepip.commands.listing``'s either way.

Settings only an install reads (``PEPIP_LINK_MODE``, ``PEPIP_UV``, the TTLs) are not
checked on this path: ``Locations`` checks them when typer answers.
"""

from __future__ import annotations

from pepip.arguments import read_options

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Final, Sequence

__all__ = ["LIST_OPTIONS", "FREEZE_OPTIONS", "parse_listing", "run_listing"]

# Option -> (parameter of typer's command, takes a value, may repeat), as in install_line.
FREEZE_OPTIONS: Final = {
    "--venv": ("venv", True, False),
    "-v": ("verbose", False, True),  # a flag that repeats: counted (-vv: typer's tracebacks)
    "--verbose": ("verbose", False, True),
}
LIST_OPTIONS: Final = {**FREEZE_OPTIONS, "--format": ("output_format", True, False)}
_FORMATS: Final = ("table", "json")


def parse_listing(args: Sequence[str]) -> tuple[str, str | None, str] | None:
    """``(command, venv, format)`` for ``list ...`` or ``freeze ...``; None for what typer must read."""
    if not args or args[0] not in ("list", "freeze"):
        return None
    read = read_options(args[1:], LIST_OPTIONS if args[0] == "list" else FREEZE_OPTIONS)
    if read is None or read[1]:
        return None  # typer says which argument it did not expect
    values = read[0]
    venv, output_format = values.get("venv"), values.get("output_format", "table")
    if output_format not in _FORMATS or not isinstance(venv, (str, type(None))):
        return None
    return args[0], venv, str(output_format)


def run_listing(command: str, venv: str | None, output_format: str) -> str | None:
    """The list or the requirement lines to print (``pepip.__main__`` prints them); None
    for a venv that ``existing_venv`` must open, through typer."""
    import os

    from pepip.commands.listing import format_freeze, format_json, format_table, list_quickly
    from pepip.errors import PepipError

    try:
        rows = list_quickly(venv, os.environ, os.getcwd())
    except (OSError, PepipError):
        return None  # typer's way says what went wrong, as it would have
    if rows is None:
        return None
    if command == "freeze":
        text = format_freeze(rows)
        return text + "\n" if text else ""  # nothing for an empty venv, as pip does
    return (format_json(rows) if output_format == "json" else format_table(rows)) + "\n"
