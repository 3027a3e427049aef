"""Where a command's venv and store are, as ``--venv`` and the environment name them.

``Locations.from_environment`` starts from these, and so does ``pepip list``, which answers
before anything heavy loads (``pepip.commands.listing``): so this module uses ``os.path``
alone (``pathlib`` would load ``re``, which costs about as much as the listing). It reads
only the environment it is given, like ``pepip.locations``.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Final, Mapping

__all__ = ["HOME_ENV", "VIRTUAL_ENV", "DEFAULT_VENV", "choose_store", "choose_venv"]

HOME_ENV: Final = "PEPIP_HOME"
VIRTUAL_ENV: Final = "VIRTUAL_ENV"  # set by a venv's activate script (and by uv, conda's venvs)
DEFAULT_VENV: Final = ".venv"


def choose_store(environ: Mapping[str, str]) -> str:
    """The store root as given: ``PEPIP_HOME`` (``~`` expanded), else ``~/.pepip``; relative
    to the current directory when it is not absolute."""
    home = environ.get(HOME_ENV)
    return os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".pepip")


def choose_venv(venv: str | os.PathLike[str] | None, environ: Mapping[str, str]) -> tuple[str, str]:
    """The venv a command works on, and why: ``--venv``, else the activated venv
    (``VIRTUAL_ENV``), else ``.venv`` in the current directory.

    This is ``uv pip install``'s order (with ``--venv`` as its explicit target): the
    README's ``pip install . && pepip install numpy`` in an activated venv installs into
    that venv, where ``python`` will look for numpy, not into a ``.venv`` beside it.
    """
    if venv is not None:
        return os.fspath(venv), "--venv"
    active = environ.get(VIRTUAL_ENV)
    if active:
        return os.path.expanduser(active), VIRTUAL_ENV
    return DEFAULT_VENV, "default"
