"""A network share used by several simulated machines on one box (from the shared recipe
``network-share.sh``): one directory served by OpenSSH's sftp, and per machine a network
namespace with its *own* sshfs mount of it, so each has its own client caches as real nodes
do (flock local to the mount, a ~20 s directory cache, EPERM for a rename onto a non-empty
directory, absolute symlinks unreadable).

Every command "on" machine M runs through ``run_on``: ``ip netns exec`` (a fresh mount
namespace) binds that machine's sshfs mount at one store path, its private disk at one venv
path and its own ``/etc/machine-id``, as on a cluster where every node mounts the share and
its scratch disk at the same places.

Root only; needs /dev/fuse, iproute2, util-linux and Debian's sshfs and openssh-server
(installed with apt-get if missing, and only with CI=true or PEPIP_TEST_APT=1).
``NetShare.down`` removes mounts, sshd and namespaces.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers import APT_OPT_IN, may_install_with_apt

__all__ = ["NetShare", "unavailable"]


def unavailable() -> str:
    """Why the set-up cannot run here ("" if it can)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root"
    if not os.path.exists("/dev/fuse"):
        return "needs /dev/fuse"
    for tool in ("ip", "nsenter", "mount", "ssh-keygen"):
        if shutil.which(tool) is None:
            return "needs %s" % tool
    if shutil.which("sshfs") is None or not os.path.exists("/usr/sbin/sshd"):
        if not may_install_with_apt(os.environ):
            return "needs sshfs and openssh-server (CI=true or %s=1 installs them with apt-get)" % APT_OPT_IN
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        try:
            if shutil.which("apt-get") is None:
                return "needs sshfs and openssh-server (no apt-get)"
            subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=300, capture_output=True)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "sshfs", "openssh-server", "openssh-client"],
                env=env, timeout=600, capture_output=True, check=True,
            )
        except (OSError, subprocess.SubprocessError):
            return "cannot install sshfs and openssh-server"
    probe = "p17probe%d" % (os.getpid() % 10000)
    made = subprocess.run(["ip", "netns", "add", probe], capture_output=True)
    if made.returncode != 0:
        return "cannot make network namespaces"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return ""


@dataclass
class NetShare:
    """``machines`` machines sharing ``share`` through sshfs; see ``run_on``."""

    root: Path
    machines: int = 3
    prefix: str = "p17"
    store: Path = field(init=False)  # where every machine sees the share
    local: Path = field(init=False)  # where every machine sees its own private disk
    _sshd: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.store = self.root / "store"
        self.local = self.root / "local"
        self.prefix = "%s%x" % (self.prefix, os.getpid() % 4096)  # < 16 chars in every name

    def ns(self, machine: int) -> str:
        return "%sm%d" % (self.prefix, machine)

    def mount(self, machine: int) -> Path:
        return self.root / "mnt" / ("s%d" % machine)

    def disk(self, machine: int) -> Path:
        return self.root / ("disk%d" % machine)

    def up(self) -> None:
        """Namespaces, sshd listening inside them only, one sshfs mount per machine."""
        ssh = self.root / "ssh"
        for directory in (ssh, self.root / "share", self.store, self.local):
            directory.mkdir(parents=True, exist_ok=True)
        listen = []
        for m in range(1, self.machines + 1):
            ns, host, peer = self.ns(m), "%sh%d" % (self.prefix, m), "%sn%d" % (self.prefix, m)
            subnet = "10.%d.%d" % (170 + os.getpid() % 40, m)
            _run("ip", "netns", "add", ns)
            _run("ip", "link", "add", host, "type", "veth", "peer", "name", peer)
            _run("ip", "link", "set", peer, "netns", ns)
            _run("ip", "addr", "add", subnet + ".1/24", "dev", host)
            _run("ip", "link", "set", host, "up")
            _run("ip", "-n", ns, "addr", "add", subnet + ".2/24", "dev", peer)
            _run("ip", "-n", ns, "link", "set", peer, "up")
            _run("ip", "-n", ns, "link", "set", "lo", "up")
            listen.append("ListenAddress %s.1" % subnet)
            self.mount(m).mkdir(parents=True, exist_ok=True)
            self.disk(m).mkdir(parents=True, exist_ok=True)
            (self.root / ("machine-id%d" % m)).write_text("%032x\n" % (0x17000 + m))
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh / "host"))
        _run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(ssh / "client"))
        shutil.copy(ssh / "client.pub", ssh / "authorized_keys")
        (ssh / "sshd_config").write_text("\n".join([
            "Port 2222", *listen, "HostKey %s" % (ssh / "host"), "PidFile %s" % (ssh / "sshd.pid"),
            "AuthorizedKeysFile %s" % (ssh / "authorized_keys"), "PermitRootLogin prohibit-password",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no", "UsePAM no", "StrictModes no",
            "MaxStartups 100", "MaxSessions 100", "Subsystem sftp internal-sftp", "",
        ]))
        os.makedirs("/run/sshd", exist_ok=True)
        self._sshd = subprocess.Popen(
            ["/usr/sbin/sshd", "-D", "-f", str(ssh / "sshd_config"), "-E", str(ssh / "sshd.log")]
        )
        for m in range(1, self.machines + 1):
            subnet = "10.%d.%d" % (170 + os.getpid() % 40, m)
            for _attempt in range(10):
                done = subprocess.run([
                    "nsenter", "--net=/run/netns/%s" % self.ns(m), "sshfs", "-p", "2222", "-o",
                    "IdentityFile=%s,StrictHostKeyChecking=no,UserKnownHostsFile=/dev/null,LogLevel=ERROR"
                    % (ssh / "client"),
                    "root@%s.1:%s" % (subnet, self.root / "share"), str(self.mount(m)),
                ], capture_output=True)
                if done.returncode == 0:
                    break
                time.sleep(0.5)
            _run("mountpoint", "-q", str(self.mount(m)))

    def command(self, machine: int, argv: list[str]) -> list[str]:
        """``argv`` as run on ``machine``: its share mount, disk and machine id in place."""
        script = (
            'mount --bind "$1" "$2" && mount --bind "$3" "$4" && '
            '{ [ ! -e /etc/machine-id ] || mount --bind "$5" /etc/machine-id; } && shift 5 && exec "$@"'
        )
        return [
            "ip", "netns", "exec", self.ns(machine), "sh", "-c", script, "sh",
            str(self.mount(machine)), str(self.store), str(self.disk(machine)), str(self.local),
            str(self.root / ("machine-id%d" % machine)), *argv,
        ]

    def run_on(self, machine: int, argv: list[str], env: dict[str, str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command(machine, argv), env=env, capture_output=True, text=True, timeout=timeout)

    def down(self) -> None:
        """Everything ``up`` made, as far as it got."""
        for m in range(1, self.machines + 1):
            mount = self.mount(m)
            if os.path.ismount(mount):
                if subprocess.run(["fusermount", "-u", str(mount)], capture_output=True).returncode != 0:
                    subprocess.run(["umount", "-l", str(mount)], capture_output=True)
        if self._sshd is not None:
            self._sshd.terminate()
            try:
                self._sshd.wait(10)
            except subprocess.TimeoutExpired:
                self._sshd.kill()
        for m in range(1, self.machines + 1):
            for pid in subprocess.run(["ip", "netns", "pids", self.ns(m)], capture_output=True, text=True).stdout.split():
                try:
                    os.kill(int(pid), 9)  # started by us: the namespace is ours
                except OSError:
                    pass
            subprocess.run(["ip", "link", "del", "%sh%d" % (self.prefix, m)], capture_output=True)
            subprocess.run(["ip", "netns", "del", self.ns(m)], capture_output=True)


def _run(*argv: str) -> None:
    subprocess.run(list(argv), check=True, capture_output=True)
