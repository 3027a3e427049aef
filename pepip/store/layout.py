"""The store's layout: where its entries and other files live, making it, its lock, and
walking its entry directories without following a link (the layout is drawn in
``pepip/store/__init__.py``; each directory is named once, as a member of ``Store``).

A ``Store`` is one root with its read-only base stores; finding the entry built from a pin's
artifact is ``lookup.find_entry``, reading one is ``entries.read_entry``, publishing one is
``publish.publish_entry``, the registry of venvs using the store is ``registry``.
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Final, Iterator


from pepip import fsops
from pepip.store import STORE_VERSION
from pepip.store.records import RECORDS_DIR
from pepip.dirhandle import DirHandle
from pepip.errors import PepipError
from pepip.locations import DEFAULT_REGISTRATION_TTL, Locations
from pepip.locking import flock_waiting
from pepip.report import warn
from pepip.sharing import Sharing, detect_sharing, machine_id
from pepip.users import is_running_user, user_name

__all__ = ["Store", "STORE_VERSION", "iter_entries", "iter_dirs", "iter_links", "open_entry_dir"]

_OLD_VERSIONS: Final = ("v1",)
_SHARED_GRACE: Final = 3600.0  # default prune grace period on a store other machines use
_CACHEDIR_TAG: Final = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pepip.\n"
)


class Store:
    """The store at one root; every method keeps published entries complete and immutable."""

    def __init__(
        self,
        root: Path,
        base_stores: tuple[Path, ...] = (),
        machine: str = "",
        registration_ttl: float = DEFAULT_REGISTRATION_TTL,
        prune_grace: float | None = None,
        shared_setting: str = "",
    ) -> None:
        self.root = root
        self.layout_root = root / STORE_VERSION  # this layout version's directories are below it
        self.entries_dir = self.layout_root / "entries"  # <name>/<version>/<tags>-<artifact key>/
        self.tmp_dir = self.layout_root / "tmp"  # staging: uv's --prefix installs, entries being built
        self.venvs_dir = self.layout_root / RECORDS_DIR  # the registry: a record per venv and machine
        self.base_stores = tuple(Store(path) for path in base_stores)  # read-only layers, searched after
        self.machine = machine or machine_id()
        self.registration_ttl = registration_ttl
        self._prune_grace = prune_grace
        self._shared_setting = shared_setting
        self._sharing: Sharing | None = None
        self._lock_warned = False
        self._real_entries: Path | None = None
        self._owner: list[fsops.Owner | None] = []

    @property
    def resolutions_dir(self) -> Path:
        """Remembered resolutions, a file per request (``pepip.uv.resolutions``), e.g.
        ``v2/resolutions/3f2a...``."""
        return self.layout_root / "resolutions"

    @property
    def interpreters_dir(self) -> Path:
        """Remembered interpreter facts: which interpreter a ``--python`` request found
        (``<digest>.txt``, ``pepip.venv.templates``) and its wheel tags in order
        (``<digest>.tags``, ``pepip.venv.interpreter``)."""
        return self.layout_root / "interpreters"

    @property
    def templates_dir(self) -> Path:
        """Wired template venvs, one per interpreter, copied to make a new venv
        (``pepip.venv.templates``), e.g. ``v2/venv-templates/9c1e.../``."""
        return self.layout_root / "venv-templates"

    @property
    def machines_dir(self) -> Path:
        """A file per machine that was told the store is shared (said once), e.g.
        ``v2/machines/<machine id>``."""
        return self.layout_root / "machines"

    @property
    def locks_dir(self) -> Path:
        """Venv locks where a venv cannot hold its own (Windows; ``pepip.venv.target``)."""
        return self.layout_root / "locks"

    @property
    def lock_file(self) -> Path:
        """The store lock (``locked``): installs hold it shared, prune exclusively."""
        return self.layout_root / "lock"

    @property
    def owner(self) -> fsops.Owner | None:
        """Who gets what this process makes in the store: the store's owner when root works
        in a personal store of another user (``fsops.heir``), else None (files stay ours)."""
        if not self._owner:
            self._owner.append(fsops.heir(self.root))
        return self._owner[0]

    def acts_for(self, uid: int) -> bool:
        """Whether files of ``uid`` in the store are this process's own: the running
        user's, and for root in a user's personal store that user's (root gives them its
        records: its next command must find them its own)."""
        return is_running_user(uid) or (self.owner is not None and uid == self.owner[0])

    @classmethod
    def of(cls, locations: Locations) -> Store:
        """The writable store of ``locations`` with its read-only base stores."""
        return cls(
            locations.store_root, locations.base_stores, locations.machine,
            locations.registration_ttl, locations.prune_grace, locations.shared_store,
        )

    @property
    def sharing(self) -> Sharing:
        """Whether other machines use this store too, and how late they see changes."""
        if self._sharing is None:
            self._sharing = detect_sharing(self.root, self._shared_setting)
        return self._sharing

    @property
    def prune_grace(self) -> float:
        """Seconds during which prune leaves a new entry or temp directory alone.

        On one machine the store lock orders prune against installs, so nothing needs to
        wait (0). With other machines the lock may not reach them: an entry another
        machine just published, or a staging directory it is filling, is younger than this.
        """
        if self._prune_grace is not None:
            return self._prune_grace
        return _SHARED_GRACE if self.sharing.shared else 0.0

    def layers(self) -> tuple[Store, ...]:
        """This store, then its base stores: the order lookups search them in."""
        return (self, *self.base_stores)

    def in_layout(self, entry: Path) -> bool:
        """Whether ``entry`` is an entry of this layout, in this store or a base store (not
        in the ``v1/`` of an older pepip, say)."""
        return any(layer.owns(entry) for layer in self.layers())

    def owns(self, entry: Path) -> bool:
        """Whether ``entry`` is in this (writable) store rather than a base store."""
        return self.canonical(entry).is_relative_to(self.entries_dir)

    def canonical(self, entry: Path) -> Path:
        """``entry`` as this store spells it. A manifest written while the store was named
        another way (through a symlink, with ``..``) names the same entries under that
        spelling; compared as text, prune would take them for unused."""
        if entry.is_relative_to(self.entries_dir):
            return entry
        if self._real_entries is None:
            self._real_entries = Path(os.path.realpath(self.entries_dir))
        real = Path(os.path.realpath(entry))
        if real.is_relative_to(self._real_entries):
            return self.entries_dir / real.relative_to(self._real_entries)
        return entry

    def ensure(self) -> None:
        """Create the layout; a store that cannot be written is a user error."""
        for layer in self.base_stores:
            if not layer.entries_dir.is_dir():
                raise PepipError(
                    "the base store %s holds no pepip store (no %s); fix PEPIP_BASE_STORES"
                    % (layer.root, layer.entries_dir)
                )
        try:
            if not fsops.make_shared_dir(self.root):
                warn(
                    "others can write the store directory %s, which lacks the sticky bit, so "
                    "they can rename its %s/ with every entry in it; its owner should run "
                    "`chmod +t %s`" % (self.root, STORE_VERSION, self.root)
                )
            for directory in (self.layout_root, self.entries_dir, self.tmp_dir, self.venvs_dir, *self._other_dirs()):
                fsops.make_shared_dir(directory)
                if self.owner is not None:
                    with DirHandle.open(directory, below=self.root) as made:
                        fsops.give(made, self.owner)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                try:
                    fsops.atomic_write_text(tag, _CACHEDIR_TAG, fsops.file_mode(others_write=False), self.owner)
                except PermissionError:
                    if not tag.exists():
                        raise  # else a teammate wrote it first, in a root with the sticky bit
            # Not in tmp/: `store prune` empties that, and would pull the probe from under us.
            probe, probe_path = fsops.make_temp_file(self.layout_root, ".probe-")
            os.close(probe)
            os.unlink(probe_path)
            self._report_old_layouts()
            self._report_sharing()
        except OSError as error:
            raise PepipError(
                "the store at %s is not usable (%s); set PEPIP_HOME to a writable directory"
                % (self.root, error.strerror or error)
            ) from None

    def _report_old_layouts(self) -> None:
        """One line about a layout of an earlier pepip in the root: not read, not migrated.

        Its entries were matched without the artifact they came from, so they cannot be
        trusted to be what a pin asks for. Venvs wired to them keep working; a command that
        changes such a venv (install, sync, repair) re-links it to this layout.
        """
        for old in _OLD_VERSIONS:
            if (self.root / old / "entries").is_dir():
                warn(
                    "%s holds entries of an older pepip that this one does not use; run "
                    "`pepip repair` in each venv made with it, then remove %s"
                    % (self.root / old, self.root / old)
                )

    def _report_sharing(self) -> None:
        """Say once per machine that the store is shared and what pepip does about it.

        Once: a file named after the machine in ``machines/`` remembers that it was said.
        """
        sharing = self.sharing
        if not sharing.shared:
            return
        said = self.machines_dir / self.machine
        if said.exists():
            return
        how = "PEPIP_SHARED_STORE says so" if sharing.declared else "it is on %s" % (sharing.fs_type or "a network filesystem")
        warn(
            "the store %s is shared by machines (%s); %s, so prune leaves entries younger "
            "than %d s alone and keeps other machines' venvs' entries (docs/cluster.md)"
            % (self.root, how,
               "its lock excludes only this machine's processes" if sharing.lock_is_local
               else "pepip does not rely on its lock across machines",
               self.prune_grace),
            kind="note",
        )
        try:
            fsops.make_shared_dir(said.parent)
            if self.owner is not None:
                with DirHandle.open(said.parent, below=self.root) as made:
                    fsops.give(made, self.owner)
            fsops.atomic_write_text(said, "%s\n" % sharing.fs_type, fsops.file_mode(others_write=False), self.owner)
        except OSError:
            pass  # said again next time: better than failing the command

    def _other_dirs(self) -> tuple[Path, ...]:
        """Directories other modules keep their files in; made here so they are shared ones."""
        return self.resolutions_dir, self.interpreters_dir, self.templates_dir

    @contextmanager
    def locked(self, exclusive: bool = False) -> Iterator[None]:
        """Hold the store lock: shared by installs, exclusive for prune.

        An install holds it from its first store lookup until its manifest names what it
        linked, so prune never sees a published entry that a venv is about to use. Where the
        filesystem offers no locks (some network shares), pepip warns and goes on unlocked.
        """
        fd = _open_lock(self.lock_file)
        try:
            if self.owner is not None and os.fstat(fd).st_uid == 0:
                os.fchown(fd, *self.owner)
            try:
                flock_waiting(fd, exclusive, "the store lock of %s" % self.root)
            except OSError as error:
                if not self._lock_warned:
                    self._lock_warned = True
                    warn(
                        "the store at %s cannot be locked (%s); do not run `pepip store prune` "
                        "while installing" % (self.root, error.strerror)
                    )
            yield
        finally:
            os.close(fd)

    def staging_dir(self) -> Path:
        """A new private directory on the store's filesystem, for uv and entry building."""
        return fsops.make_temp_dir(self.tmp_dir, "stage-")

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A ``staging_dir`` removed when the block ends, however it ends: Ctrl-C, which
        also stops uv and so often comes while the directory is being removed, waits until
        it is gone."""
        made: list[Path] = []
        try:
            with fsops.interrupts_deferred():
                made.append(self.staging_dir())
            yield made[0]
        finally:
            with fsops.interrupts_deferred():
                for path in made:
                    fsops.remove_tree(path, below=self.root)

def open_entry_dir(
    store: Store, name: str, version: str | None = None, create: bool = False, parent: DirHandle | None = None
) -> DirHandle:
    """``entries/<name>/`` (or ``<name>/<version>/``), every level from the store root down
    opened without following a link; made where missing with ``create``.

    ``parent``, if given, is ``<name>/`` held already. ``NotInStore`` for a link or a file
    where a directory belongs (one line naming who put it there); ``PepipError`` for a
    directory others may write that lacks the sticky bit and is not the running user's
    (any member could replace the entries in it: it is given the bit if it is ours).
    """
    if parent is None:
        with DirHandle.open(store.entries_dir, below=store.root) as entries:
            name_dir = _shared_child(entries, name, create, store.owner)
        if version is None:
            return name_dir
        with name_dir:
            return _shared_child(name_dir, version, create, store.owner)
    assert version is not None
    return _shared_child(parent, version, create, store.owner)


def _shared_child(parent: DirHandle, name: str, create: bool, owner: fsops.Owner | None = None) -> DirHandle:
    child = parent.make_dir(name) if create else parent.child(name)
    try:
        if create:
            fsops.give(child, owner)  # root in a user's store: the user's, like all of it
        if child.fd is not None:
            _check_guarded(child)
    except BaseException:
        child.close()
        raise
    return child


def _check_guarded(directory: DirHandle) -> None:
    """Refuse a directory of entries that others may write, lacking the sticky bit, that is
    another user's: anyone of the group could rename an entry in it and put theirs in its
    place. The running user's own gets the bit. (Its owner can rename what it holds, bit or
    not: docs/security.md.)"""
    info = directory.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & (stat.S_IWGRP | stat.S_IWOTH) or mode & stat.S_ISVTX:
        return
    if is_running_user(info.st_uid):
        try:
            directory.chmod(mode | stat.S_ISVTX)
        except OSError:
            pass  # a read-only mount (a base store of ours, say): nobody renames anything in it
        return
    if directory.fd is not None and os.fstatvfs(directory.fd).f_flag & os.ST_RDONLY:
        return  # a read-only mount: nobody renames anything in it
    owner = user_name(info.st_uid)
    raise PepipError(
        "others may write the store directory %s, which lacks the sticky bit, so any of them "
        "could replace the entries in it; its owner %s or the store's admin should run "
        "`chmod +t %s`" % (directory.path, owner, directory.path)
    )


def _open_lock(path: Path) -> int:
    """The lock file, for writing where allowed (NFS wants that for an exclusive flock).

    A teammate's lock file may be read-only to us, or (``fs.protected_regular``) refuse
    ``O_CREAT``: flock works on a read-only descriptor too.
    """
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as error:
        if not isinstance(error, PermissionError) and error.errno != errno.EROFS:
            raise
        return os.open(path, os.O_RDONLY)  # a teammate's, or a read-only mount


def _listdir(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []


def iter_dirs(directory: Path) -> list[Path]:
    """The real directories in ``directory``, sorted: no symlink, no stray file (a teammate's
    ``.DS_Store``, a link planted to lead pepip out of the store) is ever walked into."""
    found = []
    for name in sorted(_listdir(directory)):
        path = directory / name
        try:
            if stat.S_ISDIR(os.lstat(path).st_mode):
                found.append(path)
        except FileNotFoundError:
            continue
    return found


def iter_entries(store: Store) -> Iterator[Path]:
    """Every published entry directory."""
    for name_dir in iter_dirs(store.entries_dir):
        for version_dir in iter_dirs(name_dir):
            yield from iter_dirs(version_dir)


def iter_links(store: Store) -> list[Path]:
    """Links in ``entries/`` where pepip keeps directories (``<name>``, ``<version>``,
    ``<build>``): lookups pass them over, whatever they lead to; verify names them."""
    found = _links_in(store.entries_dir)
    for name_dir in iter_dirs(store.entries_dir):
        found += _links_in(name_dir)
        for version_dir in iter_dirs(name_dir):
            found += _links_in(version_dir)
    return found


def _links_in(directory: Path) -> list[Path]:
    return [directory / name for name in sorted(_listdir(directory)) if os.path.islink(directory / name)]

