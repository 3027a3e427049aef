"""Which machine this is: the id a registry record names its venv's machine by.

The id is ``/etc/machine-id`` (systemd's, stable across reboots), else D-Bus's copy, else
the host name; ``PEPIP_MACHINE_ID`` overrides it. In a container (``in_container``) the
machine id means nothing: it is missing, empty, the image's or the host's own
(bind-mounted). There the machine is ``container-<host name>`` (Docker's host name is the
container's id), never the host's (docs/cluster.md, "Containers"; ``pepip.sharing`` says
what else a store shared by machines needs).

``pepip list`` renews its venv's record before anything heavy loads
(``pepip.commands.listing``), so this module imports ``os`` alone.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Final

__all__ = [
    "MACHINE_ID_ENV", "machine_id", "machine_facts", "in_container", "is_container", "venv_identity", "CONTAINER_PREFIX",
]

MACHINE_ID_ENV: Final = "PEPIP_MACHINE_ID"  # overrides the id (pepip.locations.SETTINGS says so)
_MACHINE_ID_FILES: Final = ("/etc/machine-id", "/var/lib/dbus/machine-id")
# Docker's and podman's marks in a container's root; cgroup paths of container runtimes (v1).
_CONTAINER_MARKS: Final = ("/.dockerenv", "/run/.containerenv")
_CONTAINER_CGROUPS: Final = ("docker", "kubepods", "containerd", "libpod", "lxc")
CONTAINER_PREFIX: Final = "container-"


def in_container() -> bool:
    """Whether this process runs in a container: ``/.dockerenv`` (Docker),
    ``/run/.containerenv`` (podman), or a container runtime's name in PID 1's cgroup."""
    if any(os.path.exists(mark) for mark in _CONTAINER_MARKS):
        return True
    try:
        with open("/proc/1/cgroup", encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return False
    return any(name in text for name in _CONTAINER_CGROUPS)


def is_container(machine: str) -> bool:
    """Whether a record's machine is a container (see ``machine_id``)."""
    return machine.startswith(CONTAINER_PREFIX)


def venv_identity(venv: str | os.PathLike[str]) -> str:
    """``<device>:<inode>`` of the venv directory: the same in every container that binds
    one project directory, though each names it ``/app/.venv``; ``""`` if it is missing."""
    try:
        info = os.stat(venv)
    except OSError:
        return ""
    return "%d:%d" % (info.st_dev, info.st_ino)


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
                with open(path, encoding="ascii", errors="replace") as handle:
                    text = handle.read().strip()
            except OSError:
                continue
            if text:
                break
    if not text:
        text = "host-" + _host_name()
    return _clean(text)


def _host_name() -> str:
    """``socket.gethostname()``, which is ``uname``'s node name where there is ``uname``:
    importing ``socket`` costs more than ``pepip list`` takes."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def _clean(text: str) -> str:
    return "".join(c for c in text if c.isalnum() or c in "-_.")[:64] or "unknown"


def machine_facts() -> tuple[str, ...]:
    """What decides which wheels fit this machine besides the interpreter: OS, CPU, OS
    release (macOS's minimum-version tags, ``platform_release`` markers) and C library."""
    if hasattr(os, "uname"):
        machine, release = os.uname().machine, os.uname().release
    else:  # Windows
        machine, release = os.environ.get("PROCESSOR_ARCHITECTURE", ""), ""
    libc = os.confstr("CS_GNU_LIBC_VERSION") if hasattr(os, "confstr") else None
    return sys.platform, machine, release, libc or ""
