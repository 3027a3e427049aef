"""pepip's own uv cache: one for resolving and for fetching, whose files the entries share.

Resolving a ``--find-links`` wheel makes uv unpack it to hash it, and fetching unpacks it
into the staging prefix. With the user's uv cache for the one and a private cache for the
other, torch lay on disk twice (once in ``~/.cache/uv``, once in the store) and was unpacked
twice. pepip gives uv one cache of its own instead (``PEPIP_CACHE_DIR``, default
``~/.cache/pepip/uv``): the resolution unpacks a wheel once, the fetch hardlinks its files
into the staging prefix, and the entry keeps them by rename, so the cache and the store
share every file. The user's uv cache is never written.

The entries' files are made read-only, and with a shared inode the cache's name for the
file is read-only too: harmless in a cache pepip alone uses. So the fetch shares the cache
only where nobody else can be affected and a hardlink is possible; elsewhere (a team
store, another filesystem, Windows, where the read-only flag and deleting a link interact)
it fetches through a private cache deleted afterwards, as before.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import Final, Mapping

from pepip.users import is_running_user

__all__ = ["CACHE_ENV", "cache_dir", "shares_files", "usable"]

CACHE_ENV: Final = "PEPIP_CACHE_DIR"


def cache_dir(env: Mapping[str, str]) -> Path:
    """The uv cache pepip runs uv with: ``$PEPIP_CACHE_DIR``, else the user's cache directory's
    ``pepip/uv`` (``$XDG_CACHE_HOME``, ``~/.cache``; ``%LOCALAPPDATA%`` on Windows)."""
    explicit = env.get(CACHE_ENV)
    if explicit:
        return Path(os.path.realpath(Path(explicit).expanduser()))
    if sys.platform == "win32" and env.get("LOCALAPPDATA"):
        base = Path(env["LOCALAPPDATA"])
    elif env.get("XDG_CACHE_HOME"):
        base = Path(env["XDG_CACHE_HOME"])
    else:
        base = Path.home() / ".cache"
    return Path(os.path.realpath(base)) / "pepip" / "uv"


def usable(cache: Path) -> bool:
    """Whether ``cache`` exists or can be made, and this user may write it (a container run
    with ``--user`` often has a ``HOME`` nobody can write): else uv gets a private one."""
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(cache, os.W_OK | os.X_OK)


def shares_files(cache: Path, store_root: Path) -> bool:
    """Whether fetches may hardlink the entries' files from ``cache``: POSIX, a store that
    only its owner (this user) writes, and the cache on the store's filesystem."""
    if sys.platform == "win32" or not hasattr(os, "geteuid"):
        return False
    if not usable(cache):
        return False
    try:
        store = os.stat(store_root)
        cached = os.stat(cache)
    except OSError:
        return False
    personal = is_running_user(store.st_uid) and not stat.S_IMODE(store.st_mode) & 0o022
    return personal and cached.st_dev == store.st_dev and is_running_user(cached.st_uid)
