"""``pepip list`` and ``pepip freeze``: what a venv holds, and where each came from.

A venv can mix distributions pepip linked from the store with ones pip or uv installed into
site-packages; both are listed, each with its origin. A pepip distribution whose dist-info
``pip uninstall`` removed is not listed (the runtime does not import it either).

``pepip list`` answers without typer (``pepip.list_line``) from ``list_quickly``, which
reads an ordinary venv with ``os`` alone (``pepip.venv.contents``), and from
``list_venv`` for every other one (``target.existing_venv``); both make their rows
with ``list_rows``. So this module loads nothing heavy itself: no dataclasses, and ``json``
only for ``--format json``.
"""

from __future__ import annotations

import os

from pepip.venv.contents import read_venv

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Mapping, Sequence

    from pepip.manifest import DistRecord
    from pepip.venv.foreign import Foreign
    from pepip.venv.target import OpenVenv

__all__ = ["Listed", "list_venv", "list_quickly", "list_rows", "format_table", "format_json", "format_freeze"]

_FIELDS = ("name", "version", "origin", "location", "editable", "url")


class Listed:
    """One installed distribution (a frozen value; a plain class: dataclasses load ``re``)."""

    __slots__ = _FIELDS

    def __init__(
        self, name: str, version: str, origin: str, location: str, editable: str | None = None,
        url: str | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.origin = origin  # "store" or "site-packages"
        self.location = location
        self.editable = editable
        self.url = url  # a direct reference's URL (a local project or archive, say)

    def fields(self) -> dict[str, str | None]:
        """The row as JSON shows it, in this order."""
        return {field: getattr(self, field) for field in _FIELDS}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Listed) and self.fields() == other.fields()

    def __hash__(self) -> int:
        return hash(tuple(self.fields().values()))

    def __repr__(self) -> str:
        return "Listed(%s)" % ", ".join("%s=%r" % item for item in self.fields().items())


def list_venv(target: OpenVenv) -> list[Listed]:
    """Every distribution of the venv's site-packages, sorted by name."""
    return list_rows(str(target.interpreter.site_packages), target.manifest.dists, target.foreign)


def list_quickly(venv: str | None, environ: Mapping[str, str], cwd: str) -> list[Listed] | None:
    """``list_venv`` of the venv ``--venv`` or the environment names, read with ``os`` alone;
    None for a venv only ``existing_venv`` can open (``contents.read_venv``)."""
    contents = read_venv(venv, environ, cwd)
    return None if contents is None else list_rows(contents.site, contents.dists, contents.foreign)


def list_rows(site: str, dists: Sequence[DistRecord], foreign: Sequence[Foreign]) -> list[Listed]:
    """The rows of the venv's own distributions and the foreign ones, sorted by name."""
    found = [
        Listed(
            record.name, record.version, "store", _parent(record.site_dir), None,
            record.url or None,
        )
        for record in dists
    ]
    found += [
        Listed(f.name, f.version, "site-packages", site, f.url if f.editable else None, f.url)
        for f in foreign
    ]
    return sorted(found, key=lambda listed: listed.name)


def _parent(path: str) -> str:
    """``str(Path(path).parent)``: the store entry of a ``site`` directory."""
    return os.path.dirname(os.path.normpath(path)) or "."


def format_table(rows: list[Listed]) -> str:
    """An aligned table like ``pip list``, with each distribution's origin."""
    table = [("Package", "Version", "Origin")] + [
        (row.name, row.version, row.origin + (" (editable)" if row.editable else "")) for row in rows
    ]
    widths = [max(len(line[column]) for line in table) for column in range(3)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_json(rows: list[Listed]) -> str:
    """The rows as a JSON array of objects."""
    import json  # loads `re`: only for this format

    return json.dumps([row.fields() for row in rows], indent=2)


def format_freeze(rows: list[Listed]) -> str:
    """pip-compatible requirement lines; editables as ``-e URL``, direct references as
    ``name @ URL`` (as ``pip freeze`` prints them)."""
    return "\n".join(
        "-e %s" % row.editable if row.editable
        else "%s @ %s" % (row.name, row.url) if row.url
        else "%s==%s" % (row.name, row.version)
        for row in rows
    )
