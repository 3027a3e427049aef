"""The project a ``pyproject.toml`` or ``uv.lock`` sync installs itself, by uv's rules.

``uv sync`` installs the project as well as its dependencies, in editable mode, when it is a
package: ``[tool.uv] package = true``, or, without that key, a ``[build-system]`` table. A
project without either is virtual (its dependencies only), as is one with ``package = false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pepip.artifacts import NormalizedName, normalized
from pepip.errors import PepipError

__all__ = ["Project", "read_project", "PROJECT_FILES"]

# The files whose change makes uv build an editable project again (uv's default cache keys).
PROJECT_FILES: Final = ("pyproject.toml", "setup.py", "setup.cfg")


@dataclass(frozen=True)
class Project:
    """A project that is a package: its normalized name and its directory (resolved)."""

    name: NormalizedName
    directory: Path


def read_project(pyproject: Path) -> Project | None:
    """The project ``pyproject`` describes if uv would install it, else ``None``."""
    from pepip import toml
    try:
        data = toml.loads(pyproject.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, UnicodeDecodeError) as error:
        raise PepipError("cannot read %s: %s" % (pyproject, error)) from None
    project, tools = data.get("project"), data.get("tool")
    if not isinstance(project, dict) or not isinstance(project.get("name"), str):
        return None
    uv = tools.get("uv") if isinstance(tools, dict) else None
    packaged = uv.get("package") if isinstance(uv, dict) else None
    if packaged is None:
        packaged = "build-system" in data
    if not packaged:
        return None
    return Project(normalized(project["name"]), pyproject.parent.resolve())
