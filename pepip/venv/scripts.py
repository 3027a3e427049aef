"""Console and GUI script launchers for a venv, generated from entry points.

A launcher names the venv's own interpreter, so it cannot live in the shared store: each
venv gets its own small file, as pip and uv write them.

On Windows a launcher is ``Scripts\\<name>.exe``: ``cmd`` and PowerShell run no shebang
script. The ``.exe`` format (a small launcher program, then ``#!<python.exe>``, then a zip
whose ``__main__.py`` calls the entry point) is the one pip's distlib and uv write; pepip
takes it from pypa/installer (``installer.scripts.Script``), which ships distlib's launcher
binaries, rather than keeping launcher programs of its own.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Final, Literal

from pepip import fsops
from pepip.errors import PepipError

__all__ = ["launcher_text", "entry_point_launcher", "shebang", "write_launcher", "with_interpreter"]

_MAX_SHEBANG: Final = 127  # Linux's limit; longer paths go through /bin/sh
_TARGET: Final = re.compile(r"^(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+))?\s*(\[.*\])?\s*$")


def shebang(python: Path) -> str:
    """The first line(s) that run a script with ``python``, even from a long or spaced path."""
    text = str(python)
    if sys.platform == "win32":  # read by the py launcher and by pip's and uv's .exe: no length limit
        return '#!"%s"\n' % text if " " in text else "#!%s\n" % text
    if len(text) + 2 <= _MAX_SHEBANG and " " not in text:
        return "#!%s\n" % text
    # /bin/sh runs the exec line; Python sees a string literal and ignores it.
    return "#!/bin/sh\n'''exec' '%s' \"$0\" \"$@\"\n' '''\n" % text.replace("'", "'\\''")


def _module_attr(target: str, script: str) -> tuple[str, str]:
    match = _TARGET.match(target)
    if match is None or match.group("attr") is None:
        raise PepipError("entry point %s = %s is not of the form module:function" % (script, target))
    return match.group("module"), match.group("attr")


def launcher_text(python: Path, target: str, script: str) -> str:
    """A launcher for ``module:attr`` (pip's and uv's template)."""
    module, attr = _module_attr(target, script)
    head = attr.split(".")[0]
    return (
        shebang(python)
        + "# -*- coding: utf-8 -*-\n"
        + "import re\nimport sys\n"
        + "from %s import %s\n" % (module, head)
        + "if __name__ == \"__main__\":\n"
        + "    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n"
        + "    sys.exit(%s())\n" % attr
    )


def entry_point_launcher(
    python: Path, target: str, script: str, gui: bool, windows: bool = sys.platform == "win32"
) -> tuple[str, bytes]:
    """The file name and contents of the launcher for entry point ``script = target``.

    ``windows``: an ``.exe`` (``gui``: one that opens no console window and runs
    ``pythonw.exe``), made by pypa/installer for this machine's architecture. Elsewhere a
    shebang script; ``gui`` makes no difference there, as with pip.
    """
    if not windows:
        return script, launcher_text(python, target, script).encode("utf-8")
    from installer.scripts import Script

    module, attr = _module_attr(target, script)
    executable = str(python)
    if " " in executable:  # the launcher splits its #! line at spaces unless quoted
        executable = '"%s"' % executable
    return Script(script, module, attr, "gui" if gui else "console").generate(executable, _launcher_kind())


def _launcher_kind() -> Literal["win-ia32", "win-amd64", "win-arm64"]:
    """Which of installer's launcher binaries runs on this machine."""
    import sysconfig

    platform = sysconfig.get_platform()
    if platform == "win32":
        return "win-ia32"
    return "win-arm64" if platform == "win-arm64" else "win-amd64"


def with_interpreter(data: bytes, python: Path) -> bytes | None:
    """A ``#!python`` script (wheel ``.data/scripts``) with ``python`` filled in, else None."""
    if not data.startswith(b"#!python"):
        return None
    first_end = data.find(b"\n")
    rest = b"" if first_end < 0 else data[first_end + 1 :]
    return shebang(python).encode() + rest


def write_launcher(path: Path, text: bytes) -> None:
    """Write an executable script, replacing what was there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # A short temp name of its own: a console script may be named with up to 255 bytes (uv
    # installs those), and the name plus a suffix would not fit.
    temp = path.with_name(".pepip-launcher-%d.tmp" % os.getpid())
    fsops.unlink_if_present(temp)  # left by a killed process of the same pid
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text)
        os.chmod(temp, 0o755)
        os.replace(temp, path)
    except BaseException:
        fsops.unlink_if_present(temp)
        raise
