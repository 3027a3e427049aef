"""Which machine this is, and whether the store's filesystem is shared with other machines.

A store on a network share (NFS, Lustre, CephFS, GlusterFS, sshfs) is used by several
machines at once, each with venvs on its own disk. Two facts decide what pepip may assume:

- **The machine.** A registry record names the machine its venv lives on, so that
  ``store prune`` judges only its own machine's venvs (a path another machine registered
  means nothing here). The id is ``/etc/machine-id`` (systemd's, stable across reboots),
  else D-Bus's copy, else the host name; ``PEPIP_MACHINE_ID`` overrides it. In a
  container (``in_container``) the machine id means nothing: it is missing, empty, the
  image's or the host's own (bind-mounted). There the machine is ``container-<host name>``
  (Docker's host name is the container's id), never the host's, and a record names the
  venv by its device and inode too (``venv_identity``): every container of one venv
  (a bind-mounted project) writes one record, and a venv in the container's own layer
  dies with it (``ephemeral``). docs/cluster.md, "Containers".
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
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

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
_MACHINE_ID_FILES: Final = (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id"))
# Docker's and podman's marks in a container's root; cgroup paths of container runtimes (v1).
_CONTAINER_MARKS: Final = (Path("/.dockerenv"), Path("/run/.containerenv"))
_CONTAINER_CGROUPS: Final = ("docker", "kubepods", "containerd", "libpod", "lxc")
CONTAINER_PREFIX: Final = "container-"


def in_container() -> bool:
    """Whether this process runs in a container: ``/.dockerenv`` (Docker),
    ``/run/.containerenv`` (podman), or a container runtime's name in PID 1's cgroup."""
    if any(mark.exists() for mark in _CONTAINER_MARKS):
        return True
    try:
        text = Path("/proc/1/cgroup").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(name in text for name in _CONTAINER_CGROUPS)


def is_container(machine: str) -> bool:
    """Whether a record's machine is a container (see ``machine_id``)."""
    return machine.startswith(CONTAINER_PREFIX)


def venv_identity(venv: Path) -> str:
    """``<device>:<inode>`` of the venv directory: the same in every container that binds
    one project directory, though each names it ``/app/.venv``; ``""`` if it is missing."""
    try:
        info = os.stat(venv)
    except OSError:
        return ""
    return "%d:%d" % (info.st_dev, info.st_ino)


def in_container_layer(path: Path) -> bool:
    """Whether ``path`` is on the container's own root filesystem (not a bind mount or a
    volume): it goes when the container goes."""
    return _mount_of(path)[0] == "/"


def machine_id(override: str = "") -> str:
    """A stable id of this machine: ``override``, ``/etc/machine-id``, or the host name.

    Only characters safe in a record line are kept (no newline can end up in a record).
    """
    text = override.strip()
    if not text and in_container():
        return CONTAINER_PREFIX + _clean(_host_name())
    if not text:
        for path in _MACHINE_ID_FILES:
            try:
                text = path.read_text(encoding="ascii", errors="replace").strip()
            except OSError:
                continue
            if text:
                break
    if not text:
        text = "host-" + _host_name()
    return _clean(text)


def machine_facts() -> tuple[str, ...]:
    """What decides which wheels fit this machine besides the interpreter: OS, CPU, OS
    release (macOS's minimum-version tags, ``platform_release`` markers) and C library."""
    if hasattr(os, "uname"):
        machine, release = os.uname().machine, os.uname().release
    else:  # Windows
        machine, release = os.environ.get("PROCESSOR_ARCHITECTURE", ""), ""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    return sys.platform, machine, release, libc or ""


def _host_name() -> str:
    """``socket.gethostname()`` without loading ``socket`` where ``uname`` says the same."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _clean(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_.")[:64] or "unknown"


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
