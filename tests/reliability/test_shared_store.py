"""A store used by several machines (issue 17), on one box: the machine is PEPIP_MACHINE_ID,
and a venv that lives "on the other machine" is hidden by renaming it while the other
machine runs pepip. The real thing, with sshfs mounts in network namespaces, is
``tests/cluster/test_multi_machine.py``."""

from __future__ import annotations

import errno
import os
import shutil
import stat
import time
from pathlib import Path
from typing import Any

import pytest

from helpers import run_pepip, store_entries, venv_run
from pepip import fsops
from pepip.errors import PepipError
from pepip.store import publish, reserve
from pepip.venv import plan
from pepip.store.layout import Store
from pepip.store.registry import named_elsewhere


def _on(monkeypatch: pytest.MonkeyPatch, machine: str) -> None:
    monkeypatch.setenv("PEPIP_MACHINE_ID", machine)


def test_prune_keeps_the_entries_of_another_machines_venv(capsys, monkeypatch, venv, index_args, store_root):
    """Items 1 and 4: the venv's path means nothing on another machine."""
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    away = venv.with_name("on-machine-a")
    venv.rename(away)  # machine B cannot see machine A's disk
    _on(monkeypatch, "machine-b")
    pruned = run_pepip(["store", "prune"], capsys)
    assert pruned.exit_code == 0, pruned.stderr
    assert store_entries(store_root), "prune on machine B removed machine A's entries"
    # The same path on machine B is another venv, with a record of its own.
    assert run_pepip(["install", *index_args, "beta"], capsys).exit_code == 0
    assert len(os.listdir(store_root / "v2" / "venvs")) == 2
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    import shutil

    shutil.rmtree(venv)
    away.rename(venv)
    assert venv_run(venv, "import alpha; print(alpha.__name__)") == "alpha"


def test_another_machines_record_expires_after_the_ttl(capsys, monkeypatch, venv, index_args, store_root):
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    venv.rename(venv.with_name("on-machine-a"))
    _on(monkeypatch, "machine-b")
    monkeypatch.setenv("PEPIP_REGISTRATION_TTL", "3600")
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert store_entries(store_root)
    records = list((store_root / "v2" / "venvs").iterdir())
    past = time.time() - 7200
    for record in records:
        os.utime(record, (past, past))  # machine A ran no pepip command on it for 2 h
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert not store_entries(store_root)
    assert not list((store_root / "v2" / "venvs").iterdir())


def test_every_command_on_a_venv_renews_its_record(capsys, monkeypatch, venv, index_args, store_root):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    (record,) = (store_root / "v2" / "venvs").iterdir()
    os.utime(record, (1, 1))
    assert run_pepip(["list"], capsys).exit_code == 0
    assert record.stat().st_mtime > time.time() - 60


def test_a_shared_store_is_said_once_and_prune_spares_what_is_young(capsys, monkeypatch, venv, index_args, store_root):
    """Item 2: the lock may not span machines, so prune goes by time, and says so once."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    first = run_pepip(["install", *index_args, "alpha"], capsys)
    assert first.exit_code == 0
    assert [line for line in first.stderr.splitlines() if "shared by machines" in line], first.stderr
    second = run_pepip(["install", *index_args, "beta"], capsys)
    assert "shared by machines" not in second.stderr
    assert run_pepip(["uninstall", "alpha", "beta"], capsys).exit_code == 0
    (store_root / "v2" / "tmp" / "stage-another-machine").mkdir()
    pruned = run_pepip(["store", "prune"], capsys)
    assert pruned.exit_code == 0
    assert len(store_entries(store_root)) == 2, "prune removed entries younger than the grace period"
    assert (store_root / "v2" / "tmp" / "stage-another-machine").is_dir()
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert not store_entries(store_root)
    assert not (store_root / "v2" / "tmp" / "stage-another-machine").exists()


def test_one_venv_path_on_two_machines_is_two_registrations(capsys, monkeypatch, venv, index_args, store_root):
    """Item 4: ``/scratch/proj/.venv`` on two nodes is two venvs; one forgotten keeps the other."""
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    away = venv.with_name("on-machine-a")
    venv.rename(away)  # machine B has its own disk, with its own venv at the same path
    _on(monkeypatch, "machine-b")
    assert run_pepip(["install", *index_args, "versioned==1.0"], capsys).exit_code == 0
    records = sorted((store_root / "v2" / "venvs").iterdir())
    assert len(records) == 2, "the venvs at %s on machines A and B share one registry record" % venv
    shutil.rmtree(venv)  # machine B deletes its venv: its prune forgets it, not machine A's
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert [path.parent.parent.name for path in store_entries(store_root)] == ["alpha", "beta"]
    assert len(list((store_root / "v2" / "venvs").iterdir())) == 1
    _on(monkeypatch, "machine-a")
    away.rename(venv)
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert venv_run(venv, "import alpha; print(alpha.NAME)") == "alpha"


def _take_out(entry: Path, trash: Path) -> None:
    """What a prune does to an entry it judged unused: one rename out of ``entries/``."""
    os.chmod(entry, stat.S_IMODE(os.lstat(entry).st_mode) | stat.S_IWUSR)  # a directory's `..`
    os.rename(entry, trash)


def test_an_install_survives_another_machines_prune_taking_the_old_entry_it_found(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """Item 2: no lock spans the machines, so another machine's prune, which read the registry
    before this install listed the entry, can move out an old entry just after this install
    found it. The install must notice (reserve.py) and store it again, not link a ghost.

    The other machine's prune is its one rename, done when the lookup returns: on one box the
    store lock would exclude a real prune, as it does on one machine.
    """
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "60")
    work = isolated / "work"
    assert run_pepip(["install", *index_args, "--venv", "once", "beta"], capsys).exit_code == 0
    assert run_pepip(["uninstall", "--venv", "once", "beta"], capsys).exit_code == 0
    (entry,) = store_entries(store_root)
    long_ago = time.time() - 7200
    os.utime(entry, (long_ago, long_ago))  # published 2 h ago, and no venv or record names it
    trash = entry.parents[3] / "tmp" / "taken-by-machine-b"
    lookup = plan.find_entry

    def found_then_taken(store: Store, *args: Any) -> Any:
        found = lookup(store, *args)
        if found is not None and found.path == entry and not trash.exists():
            _take_out(entry, trash)
        return found

    monkeypatch.setattr(plan, "find_entry", found_then_taken)
    # The install waits until every machine sees its record (60 s for a store declared shared
    # on a filesystem pepip does not know); here the other machine has acted already.
    sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: sleep(min(seconds, 0.05)))
    done = run_pepip(["install", *index_args, "--venv", "new", "beta"], capsys)
    assert trash.exists(), "the other machine's prune never ran: the test missed its window"
    fsops.remove_tree(trash)  # the other prune's second step
    assert done.exit_code == 0, done.stderr
    assert venv_run(work / "new", "import beta; print(beta.NAME)") == "beta"
    verified = run_pepip(["store", "verify"], capsys)
    assert verified.exit_code == 0, verified.stdout + verified.stderr


class _LateMount:
    """This machine's view of a network share, made at the ``os`` level.

    sshfs (the real thing is ``tests/cluster``) refuses a rename onto a non-empty directory
    with EPERM, GlusterFS with EEXIST; a local disk says ENOTEMPTY, so the error is raised
    here. Its directory cache lists a directory as it was up to ~20 s before: an entry another
    machine published is missing from ``hidden`` listings, one another machine's prune took
    out still shows in ``ghosts``. Asked by name, a path is as it is on the server.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, already_there: int) -> None:
        self.hidden: set[Path] = set()
        self.ghosts: set[Path] = set()
        self.refused = 0
        rename, listdir = os.rename, os.listdir

        def held(descriptor: int) -> Path:  # pepip renames and lists in held directories
            return Path(os.readlink("/proc/self/fd/%d" % descriptor))

        def late_rename(source: Any, target: Any, *args: Any, dst_dir_fd: int | None = None, **kwargs: Any) -> None:
            where = target if dst_dir_fd is None else held(dst_dir_fd) / target
            if os.path.isdir(where) and not os.path.islink(where) and listdir(where):
                self.refused += 1
                raise OSError(already_there, os.strerror(already_there), os.fspath(source), None, os.fspath(where))
            rename(source, target, *args, dst_dir_fd=dst_dir_fd, **kwargs)

        def late_listdir(path: Any = ".") -> list[Any]:
            names = listdir(path)
            if isinstance(path, bytes):
                return names
            directory = held(path) if isinstance(path, int) else Path(path)
            names = [name for name in names if directory / name not in self.hidden]
            return names + [ghost.name for ghost in self.ghosts if ghost.parent == directory and ghost.name not in names]

        monkeypatch.setattr(os, "rename", late_rename)
        monkeypatch.setattr(os, "listdir", late_listdir)


@pytest.mark.parametrize("already_there", [errno.EPERM, errno.EEXIST], ids=["EPERM", "EEXIST"])
def test_a_mount_that_lists_late_and_refuses_renames_onto_entries(
    capsys, monkeypatch, isolated, index_args, store_root, already_there
):
    """Item 5: "already there" as a network share says it, and listings behind the server."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    work = isolated / "work"
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", "beta"], capsys).exit_code == 0
    (entry,) = store_entries(store_root)
    tmp = entry.parents[3] / "tmp"
    _on(monkeypatch, "machine-b")
    mount = _LateMount(monkeypatch, already_there)

    # Machine A's entry is not listed here yet: beta is stored again, and the rename onto
    # A's entry fails, which means "already there": A's entry is used, no second one made.
    mount.hidden.add(entry)
    done = run_pepip(["install", *index_args, "--venv", "b", "beta"], capsys)
    assert done.exit_code == 0, done.stderr
    assert mount.refused, "no rename met machine A's entry: the test missed its case"
    assert store_entries(store_root) == [entry]
    assert venv_run(work / "b", "import beta; print(beta.NAME)") == "beta"

    # Another machine's prune took the entry out, but this mount still lists it: stored again.
    mount.hidden.clear()
    _take_out(entry, tmp / "taken-by-machine-c")
    fsops.remove_tree(tmp / "taken-by-machine-c")
    mount.ghosts.add(entry)
    done = run_pepip(["install", *index_args, "--venv", "c", "beta"], capsys)
    assert done.exit_code == 0, done.stderr
    assert store_entries(store_root) == [entry]
    assert venv_run(work / "c", "import beta; print(beta.NAME)") == "beta"

    # This machine's prune meets a listed entry that is gone (unused, taken by machine C).
    assert run_pepip(["install", *index_args, "--venv", "d", "versioned==1.0"], capsys).exit_code == 0
    shutil.rmtree(work / "d")
    (unused,) = [path for path in store_entries(store_root) if path != entry]
    _take_out(unused, tmp / "taken-again")
    fsops.remove_tree(tmp / "taken-again")
    mount.ghosts.add(unused)
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    pruned = run_pepip(["store", "prune"], capsys)
    assert pruned.exit_code == 0, pruned.stderr
    assert store_entries(store_root) == [entry]
    assert not [path for path in tmp.iterdir() if path.name.startswith("stage-")], list(tmp.iterdir())
    for venv in ("a", "b", "c"):
        assert venv_run(work / venv, "import beta; print(beta.NAME)") == "beta"


def test_an_install_survives_a_prune_taking_the_entry_while_it_links(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """Another machine's prune can move an entry out half-way through linking it (its reading
    of the registry predates this venv's record): the entry is stored again, the half-made
    distribution linked afresh, and no launcher of its own is reported as replaced."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    work = isolated / "work"
    assert run_pepip(["install", *index_args, "--venv", "first", "tool"], capsys).exit_code == 0
    (entry,) = store_entries(store_root)
    trash = entry.parents[3] / "tmp" / "taken-by-machine-b"
    link_or_copy = fsops.link_or_copy
    linked: list[Path] = []

    def taken_midway(source: Path, target: Path, *args: Any) -> None:
        if source.is_relative_to(entry):
            linked.append(target)
            if len(linked) == 2 and not trash.exists():
                _take_out(entry, trash)  # after the launcher and one data file
        link_or_copy(source, target, *args)

    monkeypatch.setattr(fsops, "link_or_copy", taken_midway)
    done = run_pepip(["install", *index_args, "--venv", "second", "tool"], capsys)
    assert trash.exists(), "the other machine's prune never ran: the test missed its window"
    fsops.remove_tree(trash)
    assert done.exit_code == 0, done.stderr
    assert "replaces" not in done.stderr, done.stderr
    assert store_entries(store_root) == [entry]
    for venv in ("first", "second"):
        assert (work / venv / "share" / "tool" / "config.txt").read_text() == "config\n"
        assert venv_run(work / venv, "import tool; tool.main()") == "tool main"
    verified = run_pepip(["store", "verify"], capsys)
    assert verified.exit_code == 0, verified.stdout + verified.stderr


def test_a_winner_this_mount_still_believes_missing_is_waited_for(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """An entry a prune had out and put back: this mount was told ENTRY was missing and
    remembers it (a negative cache) for a while, and then a rename onto the entry is refused.
    The install waits for the mount to see the entry, and uses it."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", "beta"], capsys).exit_code == 0
    (entry,) = store_entries(store_root)
    _on(monkeypatch, "machine-b")
    mount = _LateMount(monkeypatch, errno.EPERM)
    mount.hidden.add(entry)
    read_entry, first_asked = publish.read_entry, []

    def remembered_missing(path: Path, *args: Any) -> Any:
        if path == entry:
            first_asked.append(time.monotonic())
            if time.monotonic() - first_asked[0] < 3.0:
                raise PepipError("store entry %s is damaged or incomplete" % path)
        return read_entry(path, *args)

    monkeypatch.setattr(publish, "read_entry", remembered_missing)
    done = run_pepip(["install", *index_args, "--venv", "b", "beta"], capsys)
    assert mount.refused and first_asked, "no rename met the entry: the test missed its case"
    assert done.exit_code == 0, done.stderr
    assert store_entries(store_root) == [entry]
    assert venv_run(isolated / "work" / "b", "import beta; print(beta.NAME)") == "beta"


def _record_of(store_root: Path, venv: Path) -> Path:
    (record,) = [path for path in (store_root / "v2" / "venvs").iterdir() if path.read_text().startswith("%s\n" % venv)]
    return record


def _age_record(record: Path, seconds: float) -> None:
    """Move a record's ``since`` and ``dropped`` times ``seconds`` into the past."""
    lines = []
    for line in record.read_text().splitlines():
        key, _, value = line.partition(" ")
        if key in ("since", "dropped"):
            when, _, rest = value.partition(" ")
            line = " ".join([key, "%d" % (float(when) - seconds)] + ([rest] if rest else []))
        lines.append(line)
    record.write_text("\n".join(lines) + "\n")


def _installed_long_ago(capsys: Any, monkeypatch: pytest.MonkeyPatch, index_args: list[str], store_root: Path, spec: str) -> Path:
    """Machine A installs ``spec`` into venv ``a``; its one entry is dated 2 h back."""
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", spec], capsys).exit_code == 0
    (entry,) = store_entries(store_root)
    long_ago = time.time() - 7200
    os.utime(entry, (long_ago, long_ago))
    return entry


def test_an_install_does_not_rely_on_a_record_other_machines_may_not_list_yet(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """Machine A's record is seconds old: a prune on machine C may not list it yet, nor this
    install's. So it does not keep the old entry from C's prune: B's install waits until
    every machine sees its own record, and stores the entry again if C's prune took it."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "60")
    work = isolated / "work"
    entry = _installed_long_ago(capsys, monkeypatch, index_args, store_root, "beta")
    trash = entry.parents[3] / "tmp" / "taken-by-machine-c"

    taken: list[float] = []

    def prune_blind_to_new_records() -> None:
        _take_out(entry, trash)
        fsops.remove_tree(trash)
        taken.append(time.time())

    sleep = time.sleep

    def waiting(seconds: float) -> None:
        if seconds >= 1 and not taken:
            prune_blind_to_new_records()  # during the wait for every machine to see B's record
        sleep(min(seconds, 0.05))

    monkeypatch.setattr(time, "sleep", waiting)
    _on(monkeypatch, "machine-b")
    done = run_pepip(["install", *index_args, "--venv", "b", "beta"], capsys)
    assert done.exit_code == 0, done.stderr
    if not taken:
        prune_blind_to_new_records()  # B did not wait: C's prune comes after the install
    assert venv_run(work / "b", "import beta; print(beta.NAME)") == "beta"


def test_a_record_keeps_listing_what_its_venv_dropped_while_machines_read_it_late(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """B's install relies on A's long-standing record naming versioned 1.0; A then moves to
    2.0. A prune on machine C, whose mount does not list B's new record yet, must still find
    1.0 listed by A's record."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    work = isolated / "work"
    old = _installed_long_ago(capsys, monkeypatch, index_args, store_root, "versioned==1.0")
    _on(monkeypatch, "machine-b")
    started = time.monotonic()
    with monkeypatch.context() as later:  # B installs 2 h later: A's record is listed everywhere
        later.setattr(reserve, "named_elsewhere", lambda store, venv: named_elsewhere(store, venv, time.time() + 7200))
        assert run_pepip(["install", *index_args, "--venv", "b", "versioned==1.0"], capsys).exit_code == 0
    assert time.monotonic() - started < 30, "B waited: A's record did not count"
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", "versioned==2.0"], capsys).exit_code == 0
    _on(monkeypatch, "machine-c")
    with monkeypatch.context() as patched:
        patched.setenv("PEPIP_PRUNE_GRACE", "0")
        mount = _LateMount(patched, errno.EPERM)
        mount.hidden.add(_record_of(store_root, work / "b"))
        assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert old in store_entries(store_root), "C's prune took the entry B's venv names"
    assert venv_run(work / "b", "import versioned; print(versioned.VERSION)") == "1.0"
    # Once every machine lists B's record, A's stops keeping 1.0.
    _age_record(_record_of(store_root, work / "a"), 100)
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", "alpha"], capsys).exit_code == 0
    assert "dropped" not in _record_of(store_root, work / "a").read_text()


def test_a_failed_upgrade_leaves_its_venv_listing_what_it_still_names(
    capsys, monkeypatch, isolated, index_args, store_root
):
    """The venv names versioned 1.0 until the upgrade's manifest replaces its own: an upgrade
    that fails (rolled back) must leave 1.0 in the record for other machines' prunes."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    work = isolated / "work"
    _on(monkeypatch, "machine-a")
    assert run_pepip(["install", *index_args, "--venv", "a", "versioned==1.0"], capsys).exit_code == 0
    (old,) = store_entries(store_root)
    import pepip.venv.wiring as wiring

    def broken_disk(*args: Any) -> Any:
        raise OSError(errno.EIO, "Input/output error")

    with monkeypatch.context() as patched:
        patched.setattr(wiring, "link_entry", broken_disk)
        failed = run_pepip(["install", *index_args, "--venv", "a", "versioned==2.0"], capsys)
    assert failed.exit_code == 1 and "Input/output error" in failed.stderr, failed.stderr
    _age_record(_record_of(store_root, work / "a"), 100)  # later than any dropped line is kept
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    _on(monkeypatch, "machine-b")
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert old in store_entries(store_root), "B's prune took the entry A's venv names"
    assert venv_run(work / "a", "import versioned; print(versioned.VERSION)") == "1.0"


@pytest.mark.parametrize("since", ["0", "1", "-1e300", "nan", "-inf", "garbage", None])
def test_a_record_written_just_now_is_not_relied_on_whatever_its_since_line_says(
    monkeypatch: pytest.MonkeyPatch, store_root: Path, since: str | None
) -> None:
    """R18: any member writes a record's ``since`` line; a record whose file changed a moment
    ago may still be missing from another mount's listing, back-dated or not."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    store = Store(store_root, machine="machine-b", shared_setting="1")
    store.ensure()
    entry = store.entries_dir / "beta" / "1.0" / "py3-none-any-0123456789abcdef"
    lines = [str(store_root / "elsewhere"), "machine machine-a"] + ([] if since is None else ["since " + since])
    (store.venvs_dir / "fresh").write_text("\n".join(lines + ["entry beta/1.0/" + entry.name]) + "\n")
    assert entry not in named_elsewhere(store, store_root / "mine")
    later = time.time() + store.sharing.visibility + 11  # once every mount lists it, it counts
    assert entry in named_elsewhere(store, store_root / "mine", later)


@pytest.mark.parametrize("line", ["since nan", "since inf", "since -inf", "since 1e400", "dropped inf beta/1.0/x",
                                  "dropped nan beta/1.0/x", "dropped 1e999 beta/1.0/x"])
def test_a_malformed_own_record_heals_on_the_next_install(
    capsys, monkeypatch: pytest.MonkeyPatch, isolated: Path, index_args: list[str], store_root: Path, line: str
) -> None:
    """R19: numbers in a record that are no time (a hand edit, a broken disk) crashed the
    install that rewrites the record; it is now written anew with what the venv names."""
    monkeypatch.setenv("PEPIP_SHARED_STORE", "1")
    venv = isolated / "work" / "a"
    assert run_pepip(["install", *index_args, "--venv", "a", "alpha"], capsys).exit_code == 0
    record = _record_of(store_root, venv)
    key = line.split(" ")[0]
    kept = [kept for kept in record.read_text().splitlines() if not kept.startswith(key + " ")]
    record.write_text("\n".join(kept + [line]) + "\n")
    done = run_pepip(["install", *index_args, "--venv", "a", "versioned==1.0"], capsys)
    assert done.exit_code == 0, done.stderr
    text = _record_of(store_root, venv).read_text()
    assert line not in text and "nan" not in text and "inf" not in text, text
    assert int(text.split("since ", 1)[1].split("\n")[0]) > 0
