"""Which machine this is, and whether the store's filesystem is shared with other machines.

A store on a network share (NFS, Lustre, CephFS, GlusterFS, sshfs) is used by several
machines at once, each with venvs on its own disk. Two facts decide what pepip may assume:

- **The machine.** A registry record names the machine its venv lives on, so that
  ``store prune`` judges only its own machine's venvs (a path another machine registered
  means nothing here). ``pepip.machine`` decides the id (re-exported here): in a container
  it is ``container-<host name>``, and a record names the venv by its device and inode too
  (``venv_identity``): every container of one venv (a bind-mounted project) writes one
  record, and a venv in the container's own layer dies with it (``ephemeral``).
  docs/cluster.md, "Containers".
- **How late other machines see a change.** ``flock`` on sshfs and NFS without lockd
  excludes only processes of one mount, i.e. one machine, and a new directory or file made
  on one mount can stay invisible on another for as long as the client caches directory
  listings (sshfs: 20 s; NFS: ``acdirmax``, 60 s by default). pepip then orders prune
  against installs of other machines by time instead (docs/reliability.md, "A store shared
  by machines"), and needs that delay: ``visibility``.

What makes a machine's wheels differ is another fact of it (``machine_facts``: OS, CPU, OS
release, C library): part of the key of what is remembered per interpreter and resolution.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pepip.machine import CONTAINER_PREFIX, in_container, is_container, machine_facts, machine_id, venv_identity

__all__ = [
    "machine_id", "machine_facts", "filesystem_type", "Sharing", "detect_sharing", "SHARED_FILESYSTEMS", "in_container",
    "is_container", "venv_identity", "in_container_layer", "CONTAINER_PREFIX",
]

# fs type (as /proc/self/mountinfo names it) -> seconds another client may see an old
# directory listing or attributes (default mount options).
SHARED_FILESYSTEMS: Final = {
    "nfs": 60.0, "nfs4": 60.0, "cifs": 1.0, "smb3": 1.0, "lustre": 1.0, "ceph": 1.0,
    "fuse.ceph-fuse": 1.0, "fuse.glusterfs": 1.0, "glusterfs": 1.0, "fuse.sshfs": 20.0,
    "gpfs": 1.0, "beegfs": 1.0, "9p": 1.0, "virtiofs": 1.0, "fuse.s3fs": 60.0,
}
# Filesystems whose flock excludes only processes of the same client (mount).
_LOCAL_LOCKS: Final = frozenset({"fuse.sshfs", "fuse.s3fs", "9p"})


def in_container_layer(path: Path) -> bool:
    """Whether ``path`` is on the container's own root filesystem (not a bind mount or a
    volume): it goes when the container goes."""
    return _mount_of(path)[0] == "/"


def filesystem_type(path: Path) -> str:
    """The filesystem type of the mount holding ``path`` (``""`` where unknown: not Linux)."""
    return _mount_of(path)[1]


def _mount_of(path: Path) -> tuple[str, str]:
    """The mount point holding ``path`` and its filesystem type (``""`` where unknown)."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "", ""
    real = os.path.realpath(path)
    while not os.path.exists(real) and real != os.path.dirname(real):
        real = os.path.dirname(real)  # a store not made yet: its nearest existing parent
    best, best_type = "", ""
    for line in lines:
        fields = line.split()
        try:
            separator = fields.index("-")
        except ValueError:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = real == mount_point or real.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best) and separator + 1 < len(fields):
            best, best_type = mount_point, fields[separator + 1]
    return best, best_type


@dataclass(frozen=True)
class Sharing:
    """What pepip assumes about other machines using the store."""

    shared: bool  # other machines may use the store at the same time
    fs_type: str
    visibility: float  # seconds until another machine surely sees a change made here
    declared: bool  # from PEPIP_SHARED_STORE rather than detected

    @property
    def lock_is_local(self) -> bool:
        """Whether the store lock orders only this machine's processes."""
        return self.shared and (self.fs_type in _LOCAL_LOCKS or self.fs_type not in SHARED_FILESYSTEMS or self.declared)


def detect_sharing(store_root: Path, setting: str) -> Sharing:
    """``PEPIP_SHARED_STORE`` (``1``/``0``), else whether the store is on a network filesystem."""
    fs_type = filesystem_type(store_root)
    known = SHARED_FILESYSTEMS.get(fs_type)
    if setting.lower() in ("1", "yes", "true", "on"):
        return Sharing(True, fs_type, known if known is not None else 60.0, True)
    if setting.lower() in ("0", "no", "false", "off"):
        return Sharing(False, fs_type, 0.0, True)
    if known is None and fs_type.startswith("fuse."):
        known = 20.0  # a FUSE filesystem pepip does not know: assume a network one
    return Sharing(known is not None, fs_type, known or 0.0, False)
