"""Console and GUI script launchers for a venv, generated from entry points.

A launcher names the venv's own interpreter, so it cannot live in the shared store: each
venv gets its own small file, as pip and uv write them.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Final

from pepip.errors import PepipError

__all__ = ["launcher_text", "shebang", "write_launcher", "with_interpreter"]

_MAX_SHEBANG: Final = 127  # Linux's limit; longer paths go through /bin/sh
_TARGET: Final = re.compile(r"^(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+))?\s*(\[.*\])?\s*$")


def shebang(python: Path) -> str:
    """The first line(s) that run a script with ``python``, even from a long or spaced path."""
    text = str(python)
    if len(text) + 2 <= _MAX_SHEBANG and " " not in text:
        return "#!%s\n" % text
    # /bin/sh runs the exec line; Python sees a string literal and ignores it.
    return "#!/bin/sh\n'''exec' '%s' \"$0\" \"$@\"\n' '''\n" % text.replace("'", "'\\''")


def launcher_text(python: Path, target: str, script: str) -> str:
    """A launcher for ``module:attr`` (pip's and uv's template)."""
    match = _TARGET.match(target)
    if match is None or match.group("attr") is None:
        raise PepipError("entry point %s = %s is not of the form module:function" % (script, target))
    module, attr = match.group("module"), match.group("attr")
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
    temp = path.with_name("." + path.name + ".pepip-tmp")
    temp.write_bytes(text)
    os.chmod(temp, 0o755)
    os.replace(temp, path)
