"""The shared store: one immutable directory per distribution build, published atomically.

Layout (the format version is in the path: a new layout gets ``v2/`` beside it)::

    $PEPIP_HOME/
    ├── CACHEDIR.TAG
    └── v1/
        ├── entries/<name>/<version>/<tags>-<digest>/   one entry per distribution build
        │   ├── ENTRY     pepip's facts about the entry; present in every published entry
        │   ├── site/     importable root: the modules and packages the wheel puts in site-packages
        │   ├── meta/     its <name>-<version>.dist-info; RECORD paths are relative to the entry
        │   └── prefix/   what it puts elsewhere, relative to the venv root: bin/, share/, include/
        ├── tmp/          staging: uv's --prefix installs and entries still being built
        ├── venvs/<hash>  registry: one file per venv wired to the store, holding its path
        └── lock          flock: installs hold it shared, prune exclusively

Entries are found by name and version (one ``listdir``) and chosen by wheel tag, so two builds
of one version (cp311 and cp312, say) live side by side. ``digest`` is a sha256 over the
entry's RECORD, which lists a hash of every file: two different builds never share a name.
An entry is built in ``tmp/``, made read-only and renamed into place; a process that loses a
publishing race finds the winner's identical entry there and uses it.
"""

from __future__ import annotations

import base64
import configparser
import csv
import errno
import hashlib
import io
import math
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Iterable, Iterator

from packaging.tags import parse_tag

from pepip import fsops
from pepip.errors import PepipError
from pepip.native import NativeReach
from pepip.resolve import NormalizedName

__all__ = [
    "Store",
    "StoreEntry",
    "STORE_VERSION",
    "record_hash",
    "file_record_hash",
    "ENTRY_FILE",
    "read_entry",
    "read_record",
    "iter_entries",
    "entry_point_scripts",
]

STORE_VERSION: Final = "v1"
ENTRY_FILE: Final = "ENTRY"
_CACHEDIR_TAG: Final = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by pepip.\n"
)


def record_hash(data: bytes) -> str:
    """A RECORD hash field (``sha256=`` urlsafe base64 without padding)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def file_record_hash(path: Path) -> str:
    """``record_hash`` of a file's content, read in chunks (entries hold GB-sized libraries)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return "sha256=" + base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class StoreEntry:
    """A published entry: one build of one distribution."""

    path: Path
    name: NormalizedName
    version: str
    dist_info: str
    top_level: tuple[str, ...]
    pth_files: tuple[str, ...]
    scripts: tuple[str, ...]
    native: NativeReach | None = None

    @property
    def site_dir(self) -> Path:
        """The entry's importable root (what site-packages would hold)."""
        return self.path / "site"

    @property
    def prefix_dir(self) -> Path:
        """Scripts and data files, relative to a venv root."""
        return self.path / "prefix"

    @property
    def dist_info_dir(self) -> Path:
        """The stored dist-info; its RECORD lists every file with a path relative to the entry."""
        return self.path / "meta" / self.dist_info


class Store:
    """The store at one root; every method keeps published entries complete and immutable."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = root / STORE_VERSION
        self.entries_dir = self.base / "entries"
        self.tmp_dir = self.base / "tmp"
        self.venvs_dir = self.base / "venvs"
        self._lock_warned = False

    def ensure(self) -> None:
        """Create the layout; a store that cannot be written is a user error."""
        try:
            for directory in (self.entries_dir, self.tmp_dir, self.venvs_dir):
                directory.mkdir(parents=True, exist_ok=True)
            tag = self.root / "CACHEDIR.TAG"
            if not tag.exists():
                fsops.atomic_write_text(tag, _CACHEDIR_TAG)
            # Not in tmp/: `store prune` empties that, and would pull the probe from under us.
            probe = tempfile.NamedTemporaryFile(dir=self.base, prefix=".probe-")
            probe.close()
        except OSError as error:
            raise PepipError(
                "the store at %s is not usable (%s); set PEPIP_HOME to a writable directory"
                % (self.root, error.strerror or error)
            ) from None

    @contextmanager
    def locked(self, exclusive: bool = False) -> Iterator[None]:
        """Hold the store lock: shared by installs, exclusive for prune.

        An install holds it from its first store lookup until its manifest names what it
        linked, so prune never sees a published entry that a venv is about to use. Where the
        filesystem offers no locks (some network shares), pepip warns and goes on unlocked.
        """
        try:
            import fcntl
        except ImportError:  # Windows: no flock; prune and installs are not serialised
            yield
            return
        with open(self.base / "lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            except OSError as error:
                if not self._lock_warned:
                    self._lock_warned = True
                    sys.stderr.write(
                        "pepip: warning: the store at %s cannot be locked (%s); do not run "
                        "`pepip store prune` while installing\n" % (self.root, error.strerror)
                    )
            yield

    def staging_dir(self) -> Path:
        """A new private directory on the store's filesystem, for uv and entry building."""
        return Path(tempfile.mkdtemp(prefix="stage-", dir=self.tmp_dir))

    def lookup(self, name: str, version: str, priority: dict[str, int]) -> StoreEntry | None:
        """The stored build of ``name==version`` whose wheel tag ``priority`` ranks best."""
        directory = self.entries_dir / name / version
        try:
            builds = os.listdir(directory)
        except (FileNotFoundError, NotADirectoryError):
            return None
        best, best_rank = None, math.inf
        for build in builds:
            tag_text = build.rpartition("-")[0]
            try:
                rank = min(priority.get(str(tag), math.inf) for tag in parse_tag(tag_text))
            except ValueError:
                continue
            if rank < best_rank:
                best, best_rank = build, rank
        return None if best is None else read_entry(directory / best)

    def publish(self, temp: Path, entry: StoreEntry, lazy_bytecode: bool) -> StoreEntry:
        """Make a built entry read-only and rename it into place; reuse a winner's entry.

        With ``lazy_bytecode`` the entry gets empty ``__pycache__`` directories that stay
        writable by their owner, for Python to fill on first import (``PEPIP_BYTECODE=lazy``).
        """
        if lazy_bytecode:
            for directory in {path.parent for path in (temp / "site").rglob("*.py")}:
                (directory / "__pycache__").mkdir(exist_ok=True)
        fsops.make_tree_readonly(temp, "__pycache__" if lazy_bytecode else None)
        entry.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(temp, entry.path)
        except OSError as error:
            if error.errno not in (errno.EEXIST, errno.ENOTEMPTY) or not entry.path.is_dir():
                raise
            fsops.remove_tree(temp)  # another process published the same build first
            return read_entry(entry.path)
        os.chmod(entry.path, 0o555)
        return entry

    def register_venv(self, venv: Path) -> None:
        """Record that ``venv`` uses the store (one small file per venv)."""
        path = self.venvs_dir / _venv_key(venv)
        if not path.exists():
            fsops.atomic_write_text(path, str(venv) + "\n")

    def registered_venvs(self) -> list[Path]:
        """Every venv ever registered (a deleted or moved one included: check before use)."""
        try:
            files = sorted(self.venvs_dir.iterdir())
        except FileNotFoundError:
            return []
        return [Path(path.read_text(encoding="utf-8").strip()) for path in files]

    def forget_venv(self, venv: Path) -> None:
        """Drop a venv that no longer exists from the registry."""
        fsops.unlink_if_present(self.venvs_dir / _venv_key(venv))


def _venv_key(venv: Path) -> str:
    return hashlib.sha256(str(venv).encode("utf-8")).hexdigest()[:16]


def read_entry(path: Path) -> StoreEntry:
    """Load a published entry's ``ENTRY`` file."""
    try:
        text = (path / ENTRY_FILE).read_text(encoding="utf-8")
    except OSError:
        raise PepipError(
            "store entry %s is incomplete or missing; run `pepip repair`" % path
        ) from None
    facts = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    if not (path / "meta" / facts.get("dist_info", "?")).is_dir():
        raise PepipError("store entry %s is damaged; run `pepip store verify --fix`" % path)

    def listed(key: str) -> tuple[str, ...]:
        value = facts.get(key, "")
        return tuple(value.split(",")) if value else ()

    return StoreEntry(
        path=path,
        name=NormalizedName(facts["name"]),
        version=facts["version"],
        dist_info=facts["dist_info"],
        top_level=listed("top_level"),
        pth_files=listed("pth"),
        scripts=listed("scripts"),
        native=NativeReach.from_fact(facts["native"]) if facts.get("native") else None,
    )


def read_record(path: Path) -> list[tuple[str, str, str]]:
    """Rows of a RECORD file as (path, hash, size).

    Linking a venv reads every distribution's RECORD, torch's has 15,000 rows: lines without
    CSV quoting (nearly all) are split directly, the ``csv`` module reads the rest.
    """
    rows: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if '"' in line:
            for row in csv.reader(io.StringIO(line)):
                rows.append((row[0], row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else ""))
        elif line:
            head, _, size = line.rpartition(",")
            name, _, hash_field = head.rpartition(",")
            rows.append((name, hash_field, size) if name else (line, "", ""))
    return rows


def entry_point_scripts(dist_info: Path) -> dict[str, dict[str, str]]:
    """``console_scripts`` and ``gui_scripts`` of a dist-info: group -> script -> target."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string((dist_info / "entry_points.txt").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except configparser.Error as error:
        raise PepipError("entry_points.txt of %s is invalid: %s" % (dist_info.name, error)) from None
    return {
        group: dict(parser[group])
        for group in ("console_scripts", "gui_scripts")
        if parser.has_section(group)
    }


def iter_entries(store: Store) -> Iterable[Path]:
    """Every published entry directory."""
    if not store.entries_dir.is_dir():
        return
    for name_dir in sorted(store.entries_dir.iterdir()):
        for version_dir in sorted(name_dir.iterdir()):
            yield from sorted(version_dir.iterdir())
