"""What a venv holds, read as it stands: ``pepip list`` and ``pepip freeze`` without typer.

``pepip list`` should cost about what ``uv pip list`` does, some 10 ms beyond the
interpreter's start. Opening the venv as ``target.existing_venv`` does loads ``pathlib``,
dataclasses, ``typing`` and the store's code, each of which costs as much as the whole
listing. So ``read_venv`` reads the ordinary venv with ``os`` alone: the one pepip wired
(a manifest naming its interpreter, in site-packages below the venv), that no command is
changing or left half-changed. It finds the venv as ``Locations`` does (``pepip.places``),
keeps and finds distributions as ``existing_venv`` does (``foreign.scan_site``), and
renews the venv's registry record as every command does (``pepip.store.records``).

Anything else, it leaves to ``existing_venv`` (returns None): no venv, a plain venv
(whose interpreter must be asked), a damaged manifest, a moved venv, an interrupted
command to roll back, a store that is not there. That one explains, recovers or asks, in
one place.

The journal's marks are named here (``pepip.venv.journal`` writes them): a reader must see
a transaction without loading the journal.
"""

from __future__ import annotations

import os

from pepip.errors import PepipError
from pepip.machine import MACHINE_ID_ENV, machine_id
from pepip.manifest import load_manifest
from pepip.places import choose_store, choose_venv
from pepip.store.records import records_dir, renew_own_record
from pepip.venv.foreign import scan_site

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Final, Mapping

    from pepip.manifest import DistRecord
    from pepip.venv.foreign import Foreign

__all__ = ["TXN_DIR", "TXN_STARTING", "TXN_DONE", "unfinished", "venv_python", "Contents", "read_venv"]

TXN_DIR: Final = ".pepip-txn"
TXN_STARTING: Final = TXN_DIR + ".new"  # a transaction being set up: nothing changed yet
TXN_DONE: Final = TXN_DIR + ".done"  # a committed transaction being deleted


def unfinished(venv: str | os.PathLike[str]) -> bool:
    """Whether a command left a transaction in ``venv`` (running, or dead half-way)."""
    return any(os.path.lexists(os.path.join(venv, name)) for name in (TXN_DIR, TXN_STARTING, TXN_DONE))


def venv_python(venv: str | os.PathLike[str]) -> str:
    """The venv's interpreter path on this platform."""
    windows = os.path.join(venv, "Scripts", "python.exe")
    return windows if os.path.exists(windows) else os.path.join(venv, "bin", "python")


class Contents:
    """A venv's site-packages, its own distributions (still pepip's) and the foreign ones."""

    __slots__ = ("site", "dists", "foreign")

    def __init__(self, site: str, dists: list[DistRecord], foreign: list[Foreign]) -> None:
        self.site = site
        self.dists = dists
        self.foreign = foreign


def read_venv(venv: str | None, environ: Mapping[str, str], cwd: str) -> Contents | None:
    """The venv ``venv`` (``--venv``) or the environment names, as ``existing_venv``
    would find it, its record renewed; None where ``existing_venv`` must open it."""
    chosen, _source = choose_venv(venv, environ)
    path = os.path.realpath(os.path.join(cwd, chosen))
    store = os.path.realpath(os.path.join(cwd, choose_store(environ)))
    if not os.path.isdir(store) or path == store or path.startswith(os.path.join(store, "")):
        return None  # Locations refuses a venv inside the store, and explains a store that is a file
    if not os.path.isfile(os.path.join(path, "pyvenv.cfg")) or unfinished(path):
        return None
    try:
        manifest = load_manifest(path)
    except PepipError:
        return None
    if manifest is None or len(manifest.interpreter) != 5:
        return None  # a venv pepip has not wired (or an older pepip's): its interpreter is asked
    site = manifest.interpreter[4]
    if os.path.normpath(site) != site or not site.startswith(os.path.join(path, "")):
        return None  # moved here from elsewhere, or written by hand
    if not os.path.exists(venv_python(path)):
        return None
    kept, foreign = scan_site(site, manifest.dists)
    if not renew_own_record(records_dir(store), path, machine_id(environ.get(MACHINE_ID_ENV, ""))):
        return None
    return Contents(site, kept, foreign)
