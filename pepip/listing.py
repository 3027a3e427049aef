"""``pepip list`` and ``pepip freeze``: what a venv holds, and where each came from.

A venv can mix distributions pepip linked from the store with ones pip or uv installed into
site-packages; both are listed, each with its origin. A pepip distribution whose dist-info
``pip uninstall`` removed is not listed (the runtime does not import it either).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from email.parser import HeaderParser
from pathlib import Path

from packaging.utils import canonicalize_name

from pepip.target import Target

__all__ = ["Listed", "list_venv", "format_table", "format_json", "format_freeze"]


@dataclass(frozen=True)
class Listed:
    """One installed distribution."""

    name: str
    version: str
    origin: str  # "store" or "site-packages"
    location: str
    editable: str | None = None


def list_venv(target: Target) -> list[Listed]:
    """Every distribution of the venv's site-packages, sorted by name."""
    site = target.interpreter.site_packages
    wired = {record.dist_info: record for record in target.manifest.dists}
    found: list[Listed] = []
    for dist_info in sorted(site.glob("*.dist-info")):
        record = wired.get(dist_info.name)
        if record is not None:
            found.append(Listed(record.name, record.version, "store", str(Path(record.site_dir).parent)))
            continue
        name, version = _name_version(dist_info)
        found.append(Listed(name, version, "site-packages", str(site), _editable_url(dist_info)))
    return sorted(found, key=lambda listed: listed.name)


def _name_version(dist_info: Path) -> tuple[str, str]:
    try:
        headers = HeaderParser().parsestr((dist_info / "METADATA").read_text(encoding="utf-8"))
        return canonicalize_name(headers["Name"]), str(headers["Version"])
    except (OSError, TypeError):
        stem = dist_info.name[: -len(".dist-info")]
        name, _, version = stem.partition("-")
        return canonicalize_name(name), version


def _editable_url(dist_info: Path) -> str | None:
    try:
        direct = json.loads((dist_info / "direct_url.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(direct, dict) and direct.get("dir_info", {}).get("editable"):
        return str(direct.get("url"))
    return None


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
    """pip-compatible requirement lines; editables as ``-e URL``."""
    return "\n".join(
        "-e %s" % row.editable if row.editable else "%s==%s" % (row.name, row.version) for row in rows
    )
