"""Bytecode for new store entries, compiled after the command returns.

Compiling every stored module before ``pepip install`` returns made a cold install several
times slower than ``uv pip install``, which compiles nothing by default. So entries are
published with empty ``__pycache__`` directories only their owner may write. In one user's
store (``PEPIP_BYTECODE=auto`` picks ``lazy``) Python writes a module's bytecode there at its
first import, once for every venv, and nothing is compiled that nobody imports. In a team
store (``auto`` picks ``background``; see ``written_by_others``) the other members
cannot write the entry, so a detached process of its owner, started right after publishing,
compiles it with the venv's interpreter, then takes the write permission away, as the
entries of ``PEPIP_BYTECODE=compile`` have it from the start. An import that comes first
compiles in memory once; from then on every venv and every user of the store reads the
bytecode.

``compile`` (compile while storing, before returning) remains for who prefers it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Final, Sequence

from pepip.store.layout import Store

__all__ = ["compile_later", "bytecode_mode", "written_by_others", "BACKGROUND_COMPILE"]

# Run by the venv's interpreter with -I: stdlib only. Compiles each entry's site/ (the same
# files `uv pip install --compile-bytecode` compiles), then makes its __pycache__ read-only.
BACKGROUND_COMPILE: Final = """
import compileall, os, stat, sys
for entry in sys.argv[1:]:
    site = os.path.join(entry, "site")
    compileall.compile_dir(site, quiet=2, workers=1)
    for directory, subdirs, files in os.walk(site):
        if os.path.basename(directory) == "__pycache__":
            mode = stat.S_IMODE(os.lstat(directory).st_mode)
            os.chmod(directory, mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
"""


def written_by_others(store: Store) -> bool:
    """Whether others may add entries to ``store``: a team store (group-writable root).

    Then the bytecode of an entry must be compiled by its owner (``PEPIP_BYTECODE=auto``
    picks ``background``): nobody else can write it, and they would import from source.
    In a store of one user Python writes it at the first import, as in a plain venv.
    """
    if os.name == "nt":
        return False  # ACLs, not modes: a Windows store is one user's
    try:
        return bool(os.stat(store.root).st_mode & (stat.S_IWGRP | stat.S_IWOTH))
    except OSError:
        return False


def bytecode_mode(store: Store, setting: str) -> str:
    """``PEPIP_BYTECODE`` for ``store``: ``auto`` becomes ``background`` in a team store,
    ``lazy`` in one user's (see ``written_by_others``)."""
    if setting != "auto":
        return setting
    return "background" if written_by_others(store) else "lazy"


def compile_later(python: Path, entries: Sequence[Path]) -> None:
    """Start compiling ``entries`` for ``python`` in a detached, low-priority process.

    Bytecode is an optimisation: if the process cannot start, imports compile in memory.
    """
    if not entries:
        return
    import subprocess

    command = [str(python), "-I", "-c", BACKGROUND_COMPILE, *map(str, entries)]
    options: dict[str, object] = {}
    if os.name == "nt":
        options["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(
            subprocess, "CREATE_NEW_PROCESS_GROUP", 0
        )
    else:
        options["start_new_session"] = True  # Ctrl-C at the terminal does not reach it
        options["preexec_fn"] = _lower_priority
    try:
        subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            close_fds=True, **options,  # type: ignore[call-overload]
        )
    except OSError:
        pass  # no bytecode yet: imports compile in memory, Python may write it itself


def _lower_priority() -> None:
    os.nice(10)
