"""``pepip list`` and ``pepip freeze``: what a venv holds, and where each came from.

A venv can mix distributions pepip linked from the store with ones pip or uv installed into
site-packages; both are listed, each with its origin. A pepip distribution whose dist-info
``pip uninstall`` removed is not listed (the runtime does not import it either).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from pepip.venv.target import OpenVenv

__all__ = ["Listed", "list_venv", "format_table", "format_json", "format_freeze"]


@dataclass(frozen=True)
class Listed:
    """One installed distribution."""

    name: str
    version: str
    origin: str  # "store" or "site-packages"
    location: str
    editable: str | None = None
    url: str | None = None  # a direct reference's URL (a local project or archive, say)


def list_venv(target: OpenVenv) -> list[Listed]:
    """Every distribution of the venv's site-packages, sorted by name."""
    found = [
        Listed(
            record.name, record.version, "store", str(record.entry_dir), None,
            record.url or None,
        )
        for record in target.manifest.dists
    ]
    site = str(target.interpreter.site_packages)
    found += [
        Listed(f.name, f.version, "site-packages", site, f.url if f.editable else None, f.url)
        for f in target.foreign
    ]
    return sorted(found, key=lambda listed: listed.name)


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
    return json.dumps([asdict(row) for row in rows], indent=2)


def format_freeze(rows: list[Listed]) -> str:
    """pip-compatible requirement lines; editables as ``-e URL``, direct references as
    ``name @ URL`` (as ``pip freeze`` prints them)."""
    return "\n".join(
        "-e %s" % row.editable if row.editable
        else "%s @ %s" % (row.name, row.url) if row.url
        else "%s==%s" % (row.name, row.version)
        for row in rows
    )
