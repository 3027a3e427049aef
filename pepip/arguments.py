"""A command's arguments read as click reads them, without click: the typer-free paths.

``pepip.__main__`` answers the commands people run most (``install``, ``list``, ``freeze``)
without loading typer and click, which cost several times the interpreter's start-up. Each
of those paths (``install_line``, ``list_line``) reads its arguments here, with a table of
the options its typer command declares, and hands anything the table does not know to
typer. Imports nothing: ``pepip list`` reads its options before ``typing`` (and ``re``) load.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`'s: see above
if TYPE_CHECKING:
    from typing import Mapping, Sequence

__all__ = ["read_options"]


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
