"""The registry's record files, read with ``os`` alone (what they mean: ``pepip.store.registry``).

Every pepip command on a venv renews the venv's record, ``pepip list`` and ``pepip freeze``
too, and those answer before anything heavy loads (``pepip.commands.listing``): so reading
records and renewing one needs no ``pathlib``, dataclasses or ``typing`` (each of which
costs about as much as the listing), and the registry reads records through this module.

A record is text: the venv's path on the first line, then ``key value`` lines::

    /home/me/proj/.venv
    machine <id>
    venv-id <device>:<inode>     a container's venv (``pepip.machine.venv_identity``)
    ephemeral                    in the container's own layer
    since <time>                 on a shared store: when the record was first written
    dropped <time> <entry>       on a shared store: an entry the venv no longer names
    entry <name>/<version>/<dir> an entry the venv names, relative to ``entries/``
"""

from __future__ import annotations

import math
import os
import stat

from pepip.store import STORE_VERSION

TYPE_CHECKING = False  # not `typing`'s: importing typing loads `re`
if TYPE_CHECKING:
    from typing import Final

__all__ = ["RECORDS_DIR", "records_dir", "RecordText", "parse_record", "read_records", "renew_own_record"]

# The registry's directory in the store's layout (``Store.venvs_dir`` is built from it).
RECORDS_DIR: Final = "venvs"


def records_dir(store_root: str) -> str:
    """``Store(store_root).venvs_dir``, without the store's code."""
    return os.path.join(store_root, STORE_VERSION, RECORDS_DIR)


class RecordText:
    """What one record file says (``pepip.store.registry.Record`` adds the file's facts)."""

    __slots__ = ("venv", "machine", "since", "entries", "dropped", "venv_id", "ephemeral")

    def __init__(
        self, venv: str, machine: str, since: float, entries: tuple[str, ...],
        dropped: tuple[tuple[float, str], ...], venv_id: str, ephemeral: bool,
    ) -> None:
        self.venv = venv
        self.machine = machine  # "" in a record of a pepip before machines were named
        self.since = since  # 0: not said
        self.entries = entries
        self.dropped = dropped
        self.venv_id = venv_id
        self.ephemeral = ephemeral


def parse_record(text: str) -> RecordText | None:
    """The record ``text`` holds; None if it is not a record."""
    lines = text.splitlines()
    if not lines or not os.path.isabs(lines[0]) or lines[0] != lines[0].strip():
        return None
    machine, since, venv_id, ephemeral = "", 0.0, "", False
    entries: list[str] = []
    dropped: list[tuple[float, str]] = []
    for line in lines[1:]:
        key, _, value = line.partition(" ")
        if key == "machine":
            machine = value
        elif key == "venv-id":
            venv_id = value
        elif key == "ephemeral":
            ephemeral = True
        elif key == "since":
            since = _number(value) or 0.0  # not a time: as if not said (its writer's next write heals it)
        elif key == "dropped":
            when, _, value = value.partition(" ")
            moment = _number(when)
            if _entry_name(value) and moment is not None:
                dropped.append((moment, value))
        elif key == "entry" and _entry_name(value):
            entries.append(value)
    return RecordText(lines[0], machine, since, tuple(entries), tuple(dropped), venv_id, ephemeral)


def _entry_name(value: str) -> bool:
    return bool(value) and ".." not in value.split("/") and not os.path.isabs(value)


def _number(text: str) -> float | None:
    """A time in a record: a finite number, else None (``nan``, ``inf``, garbage)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def read_records(directory: str) -> list[tuple[str, os.stat_result, RecordText]]:
    """Every readable regular record file in ``directory``, sorted by name: its path, its
    ``lstat`` and what it says."""
    found = []
    try:
        names = sorted(os.listdir(directory))
    except (FileNotFoundError, NotADirectoryError):
        return []
    for name in names:
        path = os.path.join(directory, name)
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or name.startswith("."):
                continue  # a stray directory, a link, a temp file being written
            with open(path, encoding="utf-8") as handle:
                record = parse_record(handle.read())
        except (OSError, UnicodeDecodeError):
            continue  # unreadable, or removed since the listing (another machine's prune)
        if record is not None:
            found.append((path, info, record))
    return found


def renew_own_record(directory: str, venv: str, machine: str) -> bool:
    """Mark the running user's record of ``venv`` on ``machine`` as used now; True when that
    is done (or there is no such record), False when root must ask the store whose files it
    acts for (``Store.acts_for``: root in a user's personal store takes the user's records).

    The record is the first (by name) that names the venv and machine and is the user's,
    as ``registry`` finds it; a read-only store leaves it as it is (the next install renews it).
    """
    user = os.geteuid() if hasattr(os, "geteuid") else None
    for path, info, record in read_records(directory):
        if record.venv != venv or record.machine != machine:
            continue
        if user is None or info.st_uid == user:
            try:
                os.utime(path)
            except OSError:
                pass
            return True
        if user == 0:
            return False
    return True
