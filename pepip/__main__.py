"""The ``pepip`` command and ``python -m pepip``: exit codes, Ctrl-C, and what loads when.

``pepip --version`` is answered before anything loads, a plain ``pepip install`` is read
without typer (``pepip.install_line``), and ``pepip list`` and ``pepip freeze`` of an ordinary
venv are answered without it (``pepip.list_line``): loading the command line (typer, click)
would cost several times the interpreter's own start-up, as much as a remembered install,
and ten times a listing.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing would double `pepip --version`
if TYPE_CHECKING:
    import signal as _signal  # the functions `_signal` has, typed
    from typing import Sequence
else:
    import _signal  # loaded at start-up; `signal` wraps it in enums, +30% of `pepip list`

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run one command and exit with its code.

    A user error is one stderr line and exit 1, a usage mistake exit 2, Ctrl-C 130, quietly.
    Once the command has finished, Ctrl-C is ignored: what it did stands, and the exit code
    says so.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if args in (["--version"], ["-V"]):
        from pepip import __version__

        sys.stdout.write("pepip %s\n" % __version__)
        return
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)
    try:
        code = _run(args)
    except KeyboardInterrupt:
        code = 130
    _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
    sys.exit(code)


def _run(args: list[str]) -> int:
    if args[:1] in (["list"], ["freeze"]):
        from pepip.list_line import parse_listing, run_listing

        listing = parse_listing(args)
        text = None if listing is None else run_listing(*listing)
        if text is not None:
            sys.stdout.write(text)
            return 0
    from pepip.install_line import parse_install, run_install

    install = parse_install(args)
    if install is not None:
        import os

        from pepip.locations import wants_color
        from pepip.report import exit_code

        def command() -> int:
            run_install(**install)  # type: ignore[arg-type]
            return 0

        verbose = install.get("verbose", 0)
        traceback = isinstance(verbose, int) and verbose >= 2  # -vv
        return exit_code(command, lambda: traceback, wants_color(os.environ, sys.stderr))
    from pepip.cli import run

    return run(args)


if __name__ == "__main__":
    main()
