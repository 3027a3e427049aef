"""Finding the store entry built from a pin's artifact, for the venv's interpreter.

Entries are keyed by name, version and the artifact they were built from (``<tags>-<artifact
key>``, ``pepip.artifacts``); of the builds of that artifact, the one whose wheel tag the
interpreter ranks best is taken, in the writable store or a base store.
"""

from __future__ import annotations

import math
import stat
from pathlib import Path
from typing import Iterator

from pepip.artifacts import Pin
from pepip.dirhandle import DirHandle, NotInStore, stat_below
from pepip.errors import PepipError
from pepip.store.entries import ENTRY_FILE, StoreEntry, entry_present, read_entry
from pepip.store.layout import Store, open_entry_dir
from pepip.tag_sets import expand_tags

__all__ = ["find_entry"]


def find_entry(store: Store, pin: Pin, priority: dict[str, int]) -> StoreEntry | None:
    """The entry built from ``pin``'s artifact whose wheel tag ``priority`` ranks best.

    Every layer is searched; of equally ranked builds the writable store's wins. An
    entry whose ``ENTRY`` names another artifact than its directory name is refused.
    Each level is opened without following a link: a link a teammate planted at
    ``<name>``, ``<version>``, ``<build>`` or ``ENTRY`` is no entry (``store verify``
    names it), whatever it leads to.
    """
    if pin.artifact is None:
        return None
    found = _best_build(store, pin, priority)
    if found is None:
        return None
    best, layer = found
    try:
        complete = stat.S_ISREG(stat_below(best / ENTRY_FILE, layer.root).st_mode)
    except (OSError, NotInStore):
        complete = False
    if not complete:
        # Listed, but gone when asked by name: a prune (maybe another machine's) moved
        # it out, and this mount's directory cache still lists it. Store it again.
        # (Or ENTRY is a link: no entry of pepip's.)
        return None
    try:
        entry = read_entry(best)
    except PepipError:
        if entry_present(best):
            raise
        return None  # taken by a prune between the look and the read: store it again
    if entry.artifact != pin.identity:
        raise PepipError(
            "store entry %s says it was built from %s, not from %s as its name says; run "
            "`pepip store verify --fix`" % (best, entry.artifact or "nothing", pin.identity)
        )
    return entry


def _best_build(store: Store, pin: Pin, priority: dict[str, int]) -> tuple[Path, Store] | None:
    """The build directory of ``pin``'s artifact whose tags ``priority`` ranks best, and
    its layer; the writable store's of equally ranked ones."""
    assert pin.artifact is not None
    suffix = "-" + pin.artifact.key
    best: tuple[Path, Store] | None = None
    best_rank = math.inf
    for layer in store.layers():
        for directory, builds in _builds(layer, pin.name, pin.version):
            for build in builds:
                rank = _rank(build, suffix, priority)
                if rank < best_rank:
                    best, best_rank = (directory / build, layer), rank
    return best


def _rank(build: str, suffix: str, priority: dict[str, int]) -> float:
    """How ``priority`` ranks the best tag of a ``<tags>-<artifact key>`` build directory
    (infinite for another artifact's build or a name that is no tag set)."""
    if not build.endswith(suffix):
        return math.inf
    try:
        return min(priority.get(tag, math.inf) for tag in expand_tags(build[: -len(suffix)]))
    except ValueError:
        return math.inf


def _builds(layer: Store, name: str, version: str | None) -> Iterator[tuple[Path, list[str]]]:
    """``<version>/`` directories of ``name`` (all, or ``version``'s) and the builds
    (real directories) each holds; a link or a file in place of one is passed over."""
    try:
        name_dir = open_entry_dir(layer, name)
    except (FileNotFoundError, NotADirectoryError, NotInStore):
        return
    with name_dir:
        for version_name in [version] if version else name_dir.names():
            try:
                version_dir = open_entry_dir(layer, name, version_name, parent=name_dir)
            except (FileNotFoundError, NotADirectoryError, NotInStore):
                continue
            with version_dir:
                yield version_dir.path, [
                    build for build in version_dir.names() if _is_dir(version_dir, build)
                ]


def _is_dir(directory: DirHandle, name: str) -> bool:
    try:
        return stat.S_ISDIR(directory.stat(name).st_mode)
    except OSError:
        return False
