"""The registry: which venvs use a store, on which machine, naming which entries.

Every command that changes a venv registers it: one small file in ``venvs/`` holding the
venv's canonical path, the machine it lives on (``sharing.machine_id``) and the entries it
names, named after a digest of machine and path (``/scratch/proj/.venv`` on two nodes is two
venvs). A venv of this machine counts only while its manifest is there: a venv deleted with
``rm -rf`` stops counting; one moved by hand counts again once a pepip command runs in it.

A venv of another machine cannot be looked at from here (its path means nothing on this
disk), so its record is believed: the entries it lists are kept until that machine forgets
the venv, or until the record has gone ``PEPIP_REGISTRATION_TTL`` seconds without being
renewed (every pepip command on a venv renews it). An install also lists the entries it is
about to link before it links them (``pepip.commands.apply``), which is what keeps another machine's
prune away from them (docs/reliability.md, "A store shared by machines"). On a shared store a
record also says since when it exists, and keeps listing an entry its venv dropped for as
long as another machine may still be reading the record as it was (``dropped`` lines):
an install that saw the entry listed there relies on that.

In a team store anyone in the group may add files to ``venvs/``, so a record is trusted
only as far as it can do no harm: any record keeps the entries its venv names from
``store prune`` (a teammate's fake record can only waste space), but a venv counts as
registered for its user only through a record that user owns. A record file another user
wrote first under the name a venv's record would have (squatting it) is passed over: the
user's record then goes to a name of their own with a random part nobody can take first.

The files are read, and a venv's own record renewed, by ``records``, with ``os`` alone:
``pepip list`` renews its venv's record before anything heavy loads.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Iterable

from pepip import fsops
from pepip.dirhandle import DirHandle, NotInStore
from pepip.errors import PepipError
from pepip.manifest import Manifest, manifest_path, read_manifest
from pepip.sharing import in_container_layer, is_container, venv_identity
from pepip.store.layout import Store
from pepip.store.records import RecordText, parse_record, read_records, renew_own_record

__all__ = [
    "Registry",
    "Record",
    "scan_registry",
    "records_elsewhere",
    "register_venv",
    "renew_registration",
    "named_elsewhere",
    "registered_venvs",
    "forget_venv",
    "forget_record",
    "is_registered",
]


# Seconds beyond a mount's delay that a dropped entry stays listed, and that a record must
# exist before an install relies on it: for clocks a little apart, and a prune's slow rename.
_MARGIN: Final = 10.0
# Seconds a record of a venv in a container's own layer counts on other machines unrenewed:
# such a venv goes with its container, and each container writes a record of its own.
CONTAINER_LAYER_TTL: Final = 86400.0


def _key(venv: Path, machine: str) -> str:
    return hashlib.sha256(("%s\0%s" % (machine, venv)).encode("utf-8")).hexdigest()[:16]


def _record_name(store: Store, venv: Path) -> str:
    """The venv's record file name: by machine and path; in a container by the venv's
    identity instead of the machine, so that each ``docker run`` of one bind-mounted
    project (a new host name each time) renews one record rather than adding one."""
    if is_container(store.machine):
        return _key(venv, "container\0" + venv_identity(venv))
    return _key(venv, store.machine)


@dataclass(frozen=True)
class Record:
    """One registry record: a venv on a machine, and the entries it names (or will name)."""

    file: Path
    venv: Path
    machine: str  # "" in a record of a pepip before machines were named: taken as this one's
    uid: int
    mtime: float  # when a pepip command on the venv last renewed it
    entries: tuple[str, ...]  # paths relative to ``entries/``
    since: float = 0.0  # when the record was first written, as it says (0: not said)
    dropped: tuple[tuple[float, str], ...] = ()  # (when, entry) its venv no longer names
    changed: float = 0.0  # its file's ctime: when it was last written or renewed
    venv_id: str = ""  # a container's record: the venv's ``sharing.venv_identity`` there
    ephemeral: bool = False  # a container's venv in the container's own layer

    def ttl(self, store: Store) -> float:
        """Seconds the record counts on other machines without renewal."""
        if self.ephemeral:
            return min(store.registration_ttl, CONTAINER_LAYER_TTL)
        return store.registration_ttl

    @property
    def listed_since(self) -> float:
        """Since when every mount may list the record, as far as anyone can tell: its
        ``since`` line is its writer's word (a teammate may write ``since 0``), but no
        record is older than its file's last change, which the server dates."""
        return max(self.since, self.changed)

    def here(self, store: Store) -> bool:
        """Whether the venv lives on this machine (only then can its path be looked at).

        A container's record does not where its path leads to another venv: another
        container of the same host name (``--hostname``) may have its own ``/app/.venv``.
        Where nothing is there the venv is gone, as on any machine.
        """
        if self.machine not in ("", store.machine):
            return False
        return not self.venv_id or venv_identity(self.venv) in ("", self.venv_id)


def _parse(text: str, file: Path, info: os.stat_result) -> Record | None:
    """The record ``file`` holds (``text``, ``info`` its lstat); None if it is not a record."""
    said = parse_record(text)
    return None if said is None else _record(file, info, said)


def _record(file: Path, info: os.stat_result, said: RecordText) -> Record:
    return Record(
        file, Path(said.venv), said.machine, info.st_uid, info.st_mtime, said.entries, said.since, said.dropped,
        info.st_ctime, said.venv_id, said.ephemeral,
    )


def _records(store: Store) -> list[Record]:
    """Every readable regular record file."""
    return [_record(Path(path), info, said) for path, info, said in read_records(str(store.venvs_dir))]


def records_elsewhere(store: Store, now: float | None = None) -> list[Record]:
    """Records of venvs on other machines, renewed within ``PEPIP_REGISTRATION_TTL``."""
    now = time.time() if now is None else now
    return [
        record for record in _records(store)
        if not record.here(store) and now - record.mtime <= store.registration_ttl
    ]


def is_registered(store: Store, venv: Path) -> bool:
    """Whether ``venv`` on this machine has a record of the running user's, or of the
    venv's owner (root's ``doctor`` on a member's venv finds the member's record)."""
    if _own_record(store, venv) is not None:
        return True
    try:
        owner = os.stat(venv).st_uid
    except OSError:
        return False
    return any(
        record.venv == venv and record.machine == store.machine and record.uid == owner
        for record in _records(store)
    )


def _own_record(store: Store, venv: Path) -> Record | None:
    for record in _records(store):
        if record.venv == venv and record.machine == store.machine and store.acts_for(record.uid):
            return record
    return None


def _text(store: Store, venv: Path, entries: Iterable[Path], previous: Record | None, now: float) -> str:
    """The record's text; on a shared store with when it began, and the entries ``previous``
    listed that ``entries`` drops, kept for as long as another machine may read it late."""
    names = sorted({
        store.canonical(entry).relative_to(store.entries_dir).as_posix()
        for entry in entries
        if store.owns(entry)  # a base store's entries are never pruned
    })
    lines = [str(venv), "machine " + store.machine]
    if is_container(store.machine):
        lines.append("venv-id " + venv_identity(venv))
        if in_container_layer(venv):
            lines.append("ephemeral")
    if store.sharing.shared:
        lines.append("since %d" % (previous.since if previous is not None and previous.since else now))
        if previous is not None:
            remembered = {name: when for when, name in previous.dropped}
            remembered.update((name, now) for name in previous.entries)
            lines += [
                "dropped %d %s" % (when, name)
                for name, when in sorted(remembered.items())
                if name not in names and when > now - store.sharing.visibility - _MARGIN
            ]
    return "\n".join(lines + ["entry " + name for name in names]) + "\n"


def register_venv(store: Store, venv: Path, entries: Iterable[Path] = ()) -> None:
    """Record that ``venv`` on this machine uses ``entries``, in the user's own record file.

    Rewriting the record renews it: another machine's prune counts a record until it has
    gone ``PEPIP_REGISTRATION_TTL`` seconds without renewal.
    """
    now = time.time()
    path = store.venvs_dir / _record_name(store, venv)
    try:
        info: os.stat_result | None = os.lstat(path)
    except FileNotFoundError:
        info = None
    old, previous = "", None
    if info is not None and store.acts_for(info.st_uid) and stat.S_ISREG(info.st_mode):
        old = path.read_text(encoding="utf-8", errors="replace")
        previous = _parse(old, path, info)
    elif info is not None:
        # The name is another user's (or holds something else): a record of our own beside it.
        previous = _own_record(store, venv)
        path = previous.file if previous else store.venvs_dir / ("%s-%s" % (path.name, os.urandom(8).hex()))
    text = _text(store, venv, entries, previous, now)
    if text == old:
        os.utime(path)  # renewed; no rewrite
        return
    fsops.atomic_write_text(path, text, fsops.file_mode(others_write=False), store.owner)


def renew_registration(store: Store, venv: Path) -> None:
    """Mark the venv's record as used now (any pepip command on the venv does)."""
    if renew_own_record(str(store.venvs_dir), str(venv), store.machine):
        return
    own = _own_record(store, venv)  # root: its own record, or the store owner's (``Store.acts_for``)
    if own is not None:
        try:
            os.utime(own.file)
        except OSError:
            pass  # a read-only store: the record ages, and the next install renews it


def named_elsewhere(store: Store, venv: Path, now: float | None = None) -> set[Path]:
    """Entries that records of other venvs (renewed within the TTL) list, and that every
    machine's prune sees them list: on a shared store, records older than the mount's delay
    (a new record's name may be missing from another mount's listing for that long)."""
    now = time.time() if now is None else now
    seen_by_all = now - store.sharing.visibility - _MARGIN
    named: set[Path] = set()
    for record in _records(store):
        if record.venv == venv and record.here(store):
            continue
        if record.listed_since > seen_by_all:
            continue
        if record.here(store) or now - record.mtime <= record.ttl(store) / 2:
            named.update(store.entries_dir / name for name in record.entries)
    return named


def registered_venvs(store: Store) -> list[Path]:
    """Every venv a record of this machine names (a deleted or moved one included: check
    before use). Other machines' venvs are theirs to judge."""
    return sorted({record.venv for record in _records(store) if record.here(store)})


def forget_venv(store: Store, venv: Path) -> bool:
    """Drop this machine's records naming a venv that no longer exists; False if one is
    another user's (the sticky bit keeps it: their own prune forgets it)."""
    forgotten = True
    for record in _records(store):
        if record.venv != venv or not record.here(store):
            continue
        forgotten = forget_record(store, record) and forgotten
    return forgotten


def forget_record(store: Store, record: Record) -> bool:
    """Remove a record (another machine's expired one, or one of a deleted venv); False
    where the OS refuses (a teammate's).

    By its name in ``venvs/`` held open below the store root: root's prune must not unlink
    a file of the same name wherever a link put in place of ``venvs/`` or ``v2/`` leads.
    """
    try:
        with DirHandle.open(record.file.parent, below=store.root) as venvs:
            venvs.unlink(record.file.name)
    except PermissionError:
        return False
    except (FileNotFoundError, NotInStore):
        pass  # gone already, or no record of this store any more
    return True


@dataclass
class Registry:
    """Registered venvs sorted by state, and how many live venvs use each entry."""

    live: dict[Path, Manifest] = field(default_factory=dict)
    gone: list[Path] = field(default_factory=list)
    damaged: list[Path] = field(default_factory=list)
    unreadable: list[Path] = field(default_factory=list)  # the damaged ones we may not read
    # Entries named by records: of another machine's venvs (renewed within the TTL), and
    # those a running install on any machine is about to link (see pepip/commands/apply.py).
    named: dict[Path, set[Path]] = field(default_factory=dict)  # venv (or record) -> entries
    expired: list[Record] = field(default_factory=list)  # other machines', unrenewed for the TTL

    # Entries each live venv's manifest names, as the store spells them (Store.canonical).
    linked: dict[Path, set[Path]] = field(default_factory=dict)

    def users(self) -> Counter[Path]:
        """Store entry directory -> number of venvs that name it."""
        counts: Counter[Path] = Counter()
        for user in set(self.linked) | set(self.named):
            counts.update(self.named.get(user, set()) | self.linked.get(user, set()))
        return counts


def scan_registry(store: Store, now: float | None = None) -> Registry:
    """Read every registered venv's manifest on this machine and every record's entries."""
    registry = Registry()
    now = time.time() if now is None else now
    local: dict[Path, list[Record]] = {}
    kept_since = now - store.sharing.visibility - _MARGIN
    listed: dict[Path, set[Path]] = {}
    for record in _records(store):
        named = {store.entries_dir / name for name in record.entries}
        named.update(store.entries_dir / name for when, name in record.dropped if when > kept_since)
        listed[record.file] = named
        if record.here(store):
            local.setdefault(record.venv, []).append(record)
            continue
        if record.machine in ("", store.machine) and os.path.isdir(record.venv):
            # A container's record whose path holds another venv now: replaced (restored,
            # recreated), or another container's. Both count: what the record lists, and
            # what the venv there uses, as its manifest says.
            local.setdefault(record.venv, [])
        if now - record.mtime > record.ttl(store):
            registry.expired.append(record)
        else:
            registry.named[record.file] = named
    # This machine's venvs are judged by their manifests alone: the store lock orders this
    # machine's installs against its prune, and a record may list what a killed install
    # was linking (the venv rolled back since).
    for venv in sorted(local):
        try:
            manifest = read_manifest(venv)
        except PepipError:
            if not _answerable(store, venv, local[venv]):
                # Another user's venv, or a path a teammate's (maybe fake) record names: its
                # damage is theirs to fix, and stops nobody's prune; what its records list stays.
                registry.named.update((record.file, listed[record.file]) for record in local[venv])
                continue
            registry.damaged.append(venv)
            if not os.access(manifest_path(venv), os.R_OK):
                registry.unreadable.append(venv)  # ours, yet closed to us
            continue
        if manifest is None:
            registry.gone.append(venv)
        else:
            registry.live[venv] = manifest
            registry.linked[venv] = {store.canonical(record.entry_dir) for record in manifest.dists}
    return registry


def _answerable(store: Store, venv: Path, records: list[Record]) -> bool:
    """Whether the running user answers for ``venv``: a record of it or the venv is theirs."""
    return any(store.acts_for(record.uid) for record in records) or fsops.owned(venv)
