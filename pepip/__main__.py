"""The ``pepip`` command and ``python -m pepip``: ``--version`` answered before anything loads.

``pepip --version`` is what scripts and people run to check the tool is there; loading the
command line (typer, click) would cost several times the interpreter's own start-up.
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main() -> None:
    """Print the version for ``pepip --version``/``-V``; otherwise run the command line."""
    if sys.argv[1:] in (["--version"], ["-V"]):
        from pepip import __version__

        sys.stdout.write("pepip %s\n" % __version__)
        return
    from pepip.cli import main as run

    run()


if __name__ == "__main__":
    main()
