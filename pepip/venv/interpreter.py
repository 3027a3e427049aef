"""Facts about a venv's interpreter that pepip needs without running it every time.

They are asked once, when pepip first wires a venv, and kept in the manifest's
``interpreter`` line, so a later install does not start the interpreter again. The wheel
tags it accepts are remembered in the store (``interpreters/<key>.tags``): computing them
loads ``packaging.tags`` and ``logging``, a ninth of a remembered install.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

from pepip import fsops
from pepip.machine import machine_facts
from pepip.errors import PepipError
from pepip.venv import contents

TYPE_CHECKING = False
if TYPE_CHECKING:
    from packaging.tags import Tag

__all__ = ["Interpreter", "query_interpreter", "venv_python", "venv_version"]

_QUERY = (
    "import sys, sysconfig\n"
    "print(sys.implementation.name)\n"
    "print('%d.%d' % sys.version_info[:2])\n"
    "print(getattr(sys, 'abiflags', ''))\n"
    "print(sys.implementation.cache_tag)\n"
    "print(sysconfig.get_path('purelib'))\n"
)


@dataclass(frozen=True)
class Interpreter:
    """A venv interpreter: implementation, version, ABI flags, bytecode tag, site-packages."""

    implementation: str
    version: str
    abiflags: str
    cache_tag: str
    site_packages: Path

    def fields(self) -> tuple[str, ...]:
        """The manifest's ``interpreter`` fields."""
        return (self.implementation, self.version, self.abiflags, self.cache_tag, str(self.site_packages))

    @classmethod
    def from_fields(cls, fields: tuple[str, ...]) -> Interpreter | None:
        """Rebuild from manifest fields; ``None`` if they are from another format."""
        if len(fields) != 5:
            return None
        return cls(fields[0], fields[1], fields[2], fields[3], Path(fields[4]))

    def moved_from(self, venv: Path) -> Path | None:
        """The venv these facts were taken in, when it is not ``venv`` (moved by hand)."""
        try:
            self.site_packages.relative_to(venv)
        except ValueError:
            return self.site_packages.parents[2 if self.site_packages.parent.name != "Lib" else 1]
        return None

    def supported_tags(self) -> list[Tag]:
        """Wheel tags this interpreter accepts, most preferred first (as pip and uv order them)."""
        from packaging import tags

        major, minor = (int(part) for part in self.version.split("."))
        platforms = list(tags.platform_tags())
        if self.implementation == "cpython":
            abis = ["cp%d%d%s" % (major, minor, self.abiflags)]
            found = list(tags.cpython_tags((major, minor), abis, platforms))
            interpreter = "cp%d%d" % (major, minor)
        else:
            interpreter = "%s%d%d" % (tags.INTERPRETER_SHORT_NAMES.get(self.implementation, "xx"), major, minor)
            found = list(tags.generic_tags(interpreter, None, platforms))
        found.extend(tags.compatible_tags((major, minor), interpreter, platforms))
        return found

    def tag_priority(self, memory: Path, owner: fsops.Owner | None = None) -> dict[str, int]:
        """Wheel tag -> rank (0 the most preferred), remembered in the directory ``memory``.

        The platform part comes from pepip's own process (its machine, C library and
        ``packaging``), so all of that is in the file's key. Like every store file that
        decides what gets installed, a remembered list is used only if the user wrote it.
        """
        from packaging import __version__ as packaging_version

        key = "\0".join((
            self.implementation, self.version, self.abiflags, *machine_facts(), sys.executable,
            str(sys.maxsize), packaging_version,
        ))
        path = memory / (hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".tags")
        names: list[str] = []
        try:
            if fsops.owned(path):
                names = path.read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            pass
        if "py3-none-any" not in names or any(name.count("-") != 2 for name in names):
            names = []  # damaged or cut short: every Python 3 accepts py3-none-any, last of all
        if not names:
            names = [str(tag) for tag in self.supported_tags()]
            try:
                fsops.atomic_write_text(
                    path, "\n".join(names) + "\n", fsops.file_mode(others_write=False),
                    owner,  # root in a user's store: the user's file (Store.owner)
                )
            except OSError:
                pass  # a read-only store, or a teammate's file the sticky bit keeps
        return {name: rank for rank, name in enumerate(names)}


def venv_python(venv: Path) -> Path:
    """The venv's interpreter path on this platform."""
    return Path(contents.venv_python(venv))


def venv_version(venv: Path) -> str | None:
    """The venv's full Python version (``3.11.7``) from its ``pyvenv.cfg``, without running it.

    uv writes ``version_info``, ``python -m venv`` writes ``version``.
    """
    try:
        text = (venv / "pyvenv.cfg").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            found[key.strip()] = value.strip()
    return found.get("version_info") or found.get("version") or None


def query_interpreter(python: Path) -> Interpreter:
    """Run the interpreter once and read the facts ``Interpreter`` holds."""
    import subprocess

    try:
        completed = subprocess.run(
            [str(python), "-I", "-c", _QUERY], capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        raise PepipError(
            "cannot run the venv's interpreter %s (%s); recreate the venv" % (python, error)
        ) from None
    implementation, version, abiflags, cache_tag, purelib = completed.stdout.splitlines()[:5]
    return Interpreter(implementation, version, abiflags, cache_tag, Path(purelib))
