"""The shared store: one immutable directory per distribution build, published atomically.

Layout (the format version is in the path: a new layout gets ``v3/`` beside it)::

    $PEPIP_HOME/
    ├── CACHEDIR.TAG
    └── v2/
        ├── entries/<name>/<version>/<tags>-<artifact key>/   one entry per distribution build
        │   ├── ENTRY     pepip's facts about the entry, derived from its files (``entries``);
        │   │             present in every published entry
        │   ├── BYTECODE  the bytecode compiled when it was stored, with hashes (RECORD format)
        │   ├── site/     importable root: the modules and packages the wheel puts in site-packages
        │   ├── meta/     its <name>-<version>.dist-info; RECORD paths are relative to the entry
        │   └── prefix/   what it puts elsewhere, relative to the venv root: bin/, share/, include/
        ├── tmp/          staging: uv's --prefix installs and entries still being built
        ├── venvs/<hash>  registry: one file per venv and machine: its path, machine, entries
        ├── machines/<id> a machine that was told the store is shared (said once)
        ├── resolutions/, interpreters/, venv-templates/   see uv/resolutions.py, venv/templates.py
        └── lock          flock: installs hold it shared, prune exclusively

An entry is found by name, version and the *artifact* it was built from (``pepip.artifacts``):
``artifact key`` is a digest of the artifact's identity (its sha256, and for a direct
reference its URL too), which ``ENTRY`` holds in full. Different builds of one version (a
locally patched wheel beside the index's, cp311 and cp312 builds of one sdist) live side by
side, and a pin is served only by an entry built from the artifact it names. An entry is
built in ``tmp/``, made read-only and renamed into place; a process that loses a publishing
race finds the winner's entry, built from the same artifact, there and uses it. The layout
``v1/`` of earlier pepip versions (entries keyed by name, version and tag alone) is not read.

A team shares a store by making its root group-owned, group-writable, setgid and sticky
(``chmod 3775``) and using umask 002: every directory pepip makes is then group-writable and
gets the sticky bit too, so teammates add entries beside each other's but cannot rename or
delete them (pepip warns about a root others may write that lacks the sticky bit).
Published entries are writable by nobody; store files (registry, remembered resolutions) by
their writer only. A teammate's file pepip cannot replace is used as it is, or not at all.

The modules: ``layout`` (the ``Store``: each directory above named once, its lock),
``lookup`` (the entry built from a pin's artifact), ``publish`` (putting a built entry in
place), ``staging`` (building entries from what uv installed), ``entries`` (an entry's
``ENTRY`` read and its facts and RECORD), ``registry`` and ``reserve`` (which venvs use
which entries), ``prune``, ``verify``, ``inventory``, ``native``, ``bytecode`` and ``offline``
(the entries an offline resolution may take).
The store knows nothing of venvs beyond their manifests (``pepip.manifest``).
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing`'s: `pepip list` finds the registry before `typing` (and `re`) load
if TYPE_CHECKING:
    from typing import Final

__all__ = ["STORE_VERSION"]

STORE_VERSION: Final = "v2"  # the layout's version: the root's subdirectory drawn above
