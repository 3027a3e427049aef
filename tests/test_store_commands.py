"""`pepip store path|ls|status|verify|prune`, `pepip repair`, `pepip doctor`, `pepip venv`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from helpers import WIRED, run_pepip, site_packages, snapshot, store_entries, venv_python, venv_run
from pepip.fsops import remove_tree
from pepip.locations import Locations
from pepip.store.layout import Store
from pepip.store.registry import scan_registry


def installed_in(capsys, index_args, *venvs_and_packages: tuple[str, list[str]]) -> None:
    for venv, packages in venvs_and_packages:
        result = run_pepip(["install", *index_args, "--venv", venv, *packages], capsys)
        assert result.exit_code == 0, result.stderr


def entry_of(store_root: Path, name: str) -> Path:
    [entry] = [p for p in store_entries(store_root) if p.parent.parent.name == name]
    return entry


def writable(path: Path) -> None:
    """Open a read-only entry file for a test that damages it on purpose."""
    for parent in [path.parent, *path.parent.parents][:4]:
        os.chmod(parent, os.stat(parent).st_mode | stat.S_IWUSR)
    if path.exists():
        os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


@pytest.mark.windows
def test_store_path_ls_and_status(capsys, index_args, store_root):
    installed_in(capsys, index_args, ("one", ["alpha"]), ("two", ["alpha", "versioned"]))
    assert run_pepip(["store", "path"], capsys).stdout.strip() == str(store_root)
    rows = [line.split() for line in run_pepip(["store", "ls"], capsys).stdout.splitlines()]
    assert rows[0] == ["Package", "Version", "Tags", "Size", "Venvs"]
    assert {(r[0], r[1], r[2], r[-1]) for r in rows[1:]} == {
        ("alpha", "1.0", "py3-none-any", "2"), ("beta", "1.0", "py3-none-any", "2"),
        ("versioned", "2.0", "py3-none-any", "1"),
    }
    status = run_pepip(["store", "status"], capsys).stdout
    assert "Entries:          3" in status and "Venvs:            2 live of 2 registered" in status


@pytest.mark.windows
def test_prune_keeps_what_live_venvs_use_and_forgets_deleted_venvs(capsys, isolated, index_args, store_root):
    installed_in(capsys, index_args, ("keep", ["alpha"]), ("gone", ["versioned"]))
    shutil.rmtree(isolated / "work" / "gone")
    leftover = store_root / "v2" / "tmp" / "stage-interrupted"
    leftover.mkdir()
    dry = run_pepip(["store", "prune", "--dry-run"], capsys)
    assert "Would remove 1 entry" in dry.stdout and "1 temp leftover," in dry.stdout
    assert entry_of(store_root, "versioned").is_dir() and leftover.is_dir()
    result = run_pepip(["store", "prune"], capsys)
    assert result.exit_code == 0 and "Removed 1 entry" in result.stdout
    assert sorted(p.parent.parent.name for p in store_entries(store_root)) == ["alpha", "beta"]
    assert not leftover.exists() and not (store_root / "v2" / "entries" / "versioned").exists()
    assert len(list((store_root / "v2" / "venvs").iterdir())) == 1
    assert venv_run(isolated / "work" / "keep", "import alpha; print('ok')") == "ok"


def test_prune_refuses_when_a_manifest_is_damaged(capsys, isolated, index_args, store_root):
    installed_in(capsys, index_args, ("one", ["alpha"]))
    (isolated / "work" / "one" / "pepip-manifest.txt").write_text("bad\n")
    before = snapshot(store_root)
    result = run_pepip(["store", "prune"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and "damaged" in result.stderr
    assert snapshot(store_root) == before


@pytest.mark.windows
def test_verify_names_modified_deleted_and_extra_files_then_fix(capsys, isolated, index_args, store_root):
    installed_in(capsys, index_args, ("one", ["alpha", "tool"]))
    assert run_pepip(["store", "verify"], capsys).stdout.strip() == "All entries verified"
    alpha, tool = entry_of(store_root, "alpha"), entry_of(store_root, "tool")
    modified = alpha / "site" / "alpha" / "sub.py"
    writable(modified)
    modified.write_text("X = 'tampered'\n")
    deleted = tool / "prefix" / "share" / "tool" / "config.txt"
    writable(deleted)
    deleted.unlink()
    (alpha / "site" / "alpha" / "intruder.py").write_text("")
    result = run_pepip(["store", "verify"], capsys)
    assert result.exit_code == 1
    assert sorted(result.stdout.splitlines()) == sorted([
        "%s: modified file site/alpha/sub.py" % alpha,
        "%s: extra file site/alpha/intruder.py" % alpha,
        "%s: missing file prefix/share/tool/config.txt" % tool,
    ])
    fixed = run_pepip(["store", "verify", "--fix", *index_args], capsys)
    assert fixed.exit_code == 0, fixed.stderr
    assert run_pepip(["store", "verify"], capsys).stdout.strip() == "All entries verified"
    assert venv_run(isolated / "work" / "one", "import alpha.sub; print(alpha.sub.X)") == "1"


@pytest.mark.windows
def test_missing_entry_import_error_then_repair(capsys, venv, index_args, store_root):
    installed_in(capsys, index_args, (str(venv), ["alpha"]))
    remove_tree(entry_of(store_root, "beta"))
    completed = subprocess.run([str(venv_python(venv)), "-c", "import beta"], capture_output=True, text=True)
    assert completed.returncode == 1
    assert "beta (from beta==1.0) is missing from the store" in completed.stderr
    assert "pepip repair" in completed.stderr
    doctor = run_pepip(["doctor", "--venv", str(venv)], capsys)
    assert doctor.exit_code == 1 and "pepip: error: beta 1.0: store entry" in doctor.stderr
    repaired = run_pepip(["repair", "--venv", str(venv), *index_args], capsys)
    assert repaired.exit_code == 0, repaired.stderr
    assert "Repairing 1 of 2 packages" in repaired.stderr
    assert venv_run(venv, "import alpha, beta; print(beta.NAME)") == "beta"
    assert run_pepip(["doctor", "--venv", str(venv)], capsys).stdout.strip() == "No problems found"


@pytest.mark.windows
def test_doctor_reports_without_changing_anything(capsys, venv, index_args, store_root):
    installed_in(capsys, index_args, (str(venv), ["alpha"]))
    site = site_packages(venv)
    shutil.rmtree(site / "beta-1.0.dist-info")
    (site / "_pepip.pth").unlink()
    before = (snapshot(venv), snapshot(store_root))
    result = run_pepip(["doctor", "--venv", str(venv)], capsys)
    assert result.exit_code == 1
    assert any("_pepip.pth is missing" in line for line in result.stderr.splitlines())
    assert any("beta 1.0: its dist-info was removed" in line for line in result.stderr.splitlines())
    assert (snapshot(venv), snapshot(store_root)) == before


def test_venv_command_creates_an_empty_wired_venv(capsys, venv, index_args):
    result = run_pepip(["venv"], capsys)
    assert result.exit_code == 0, result.stderr
    assert (venv / "pepip-manifest.txt").is_file()
    assert venv_run(venv, WIRED) == "1 1"
    again = run_pepip(["venv"], capsys)
    assert again.exit_code == 1 and "already exists" in again.stderr and len(again.error_lines) == 1


def test_damaged_entry_met_by_install_is_one_line_and_verify_fix_mends_it(capsys, isolated, index_args, store_root):
    installed_in(capsys, index_args, ("one", ["alpha"]))
    beta = entry_of(store_root, "beta")
    meta = beta / "meta"
    writable(meta / "x")
    remove_tree(meta)
    venv_two = isolated / "work" / "two"
    result = run_pepip(["install", *index_args, "--venv", str(venv_two), "alpha"], capsys)
    errors = [line for line in result.error_lines if line.startswith("pepip: error:")]
    assert result.exit_code == 1 and len(errors) == 1 and "Traceback" not in result.stderr
    assert errors[0].endswith("is damaged or incomplete; run `pepip store verify --fix`")
    assert not venv_two.exists()
    assert run_pepip(["store", "verify", "--fix", *index_args], capsys).exit_code == 0
    assert run_pepip(["install", *index_args, "--venv", str(venv_two), "alpha"], capsys).exit_code == 0
    assert venv_run(venv_two, "import alpha; print('ok')") == "ok"


def test_venv_moved_by_hand_is_detected_not_trusted(capsys, isolated, index_args, store_root):
    installed_in(capsys, index_args, ("before", ["alpha"]))
    (isolated / "work" / "before").rename(isolated / "work" / "after")
    moved = isolated / "work" / "after"
    doctor = run_pepip(["doctor", "--venv", str(moved)], capsys)
    assert doctor.exit_code == 1 and len(doctor.stderr.splitlines()) == 1 and not doctor.stdout
    assert "was moved here from %s" % (isolated / "work" / "before") in doctor.stderr
    before = (snapshot(moved), snapshot(store_root))
    result = run_pepip(["install", *index_args, "--venv", str(moved), "versioned"], capsys)
    assert result.exit_code == 1 and len(result.error_lines) == 1 and "not relocatable" in result.stderr
    assert (snapshot(moved), snapshot(store_root)) == before


def _spelled(store_root: Path, spelling: str) -> str:
    """``store_root`` named another way: the same directory, other text."""
    work = store_root.parent / "work"
    if spelling == "symlink":
        link = store_root.parent / "store-link"
        store_root.mkdir(exist_ok=True)
        if not link.is_symlink():
            link.symlink_to(store_root, target_is_directory=True)
        return str(link)
    if spelling == "dotdot":
        (work / "sub").mkdir(exist_ok=True)
        return str(work / "sub" / ".." / ".." / store_root.name)
    if spelling == "trailing slash":
        return str(store_root) + os.sep
    if spelling == "relative":
        return os.path.join("..", store_root.name)
    return str(store_root)


@pytest.mark.posix("a symlinked store root needs symlink privilege")
@pytest.mark.parametrize("installed_as", ["as is", "symlink"])
@pytest.mark.parametrize("named_as", ["symlink", "dotdot", "trailing slash", "relative"])
def test_prune_and_doctor_see_the_same_store_under_any_spelling(
    capsys, isolated, index_args, store_root, monkeypatch, installed_as, named_as
):
    """R1: prune under another spelling of PEPIP_HOME had removed every entry in use."""
    monkeypatch.setenv("PEPIP_HOME", _spelled(store_root, installed_as))
    installed_in(capsys, index_args, ("one", ["alpha", "versioned==1.0"]))
    before = snapshot(store_root / "v2" / "entries")
    monkeypatch.setenv("PEPIP_HOME", _spelled(store_root, named_as))
    result = run_pepip(["store", "prune"], capsys)
    assert result.exit_code == 0 and "Removed 0 entries" in result.stdout, result.stdout
    assert snapshot(store_root / "v2" / "entries") == before
    doctor = run_pepip(["doctor", "--venv", "one"], capsys)
    assert doctor.stdout.strip() == "No problems found", doctor.stdout + doctor.stderr
    assert venv_run(isolated / "work" / "one", "import alpha, versioned; print('ok')") == "ok"


@pytest.mark.posix("symlinks a teammate may plant")
def test_forgetting_a_deleted_venv_never_unlinks_through_a_link_put_in_place_of_venvs(store_root, tmp_path):
    """The owner of v2/ swaps venvs/ for a link to a directory holding a file named like a
    record that prune is about to forget (its venv is gone): that file stays."""
    from pepip.store.registry import forget_venv

    store = Store(store_root)
    store.ensure()
    gone = tmp_path / "gone-venv"
    (store.venvs_dir / "passwd").write_text("%s\nmachine %s\n" % (gone, store.machine))
    outside = tmp_path / "etc"
    outside.mkdir()
    (outside / "passwd").write_text("%s\nmachine %s\n" % (gone, store.machine))
    os.rename(store.venvs_dir, store.layout_root / "venvs.real")
    os.symlink(outside, store.venvs_dir)
    forget_venv(store, gone)
    assert (outside / "passwd").exists()


def test_store_clean_names_the_venvs_using_it_and_asks_for_yes(capsys, isolated, index_args, store_root):
    """`rm -rf ~/.pepip` fails for its (non-root) owner: entries are read-only. `store clean`
    removes it, as `uv cache clean` removes uv's cache, after naming the venvs it breaks."""
    one, two = isolated / "one", isolated / "two"
    for venv in (one, two):
        assert run_pepip(["install", "--venv", str(venv), *index_args, "alpha"], capsys).exit_code == 0
    assert all(not p.stat().st_mode & 0o200 for p in store_entries(store_root))  # why rm -rf fails
    before = snapshot(store_root)
    refused = run_pepip(["store", "clean"], capsys)
    assert refused.exit_code == 1 and len(refused.error_lines) == 1, refused.stderr
    assert "2 venvs still use the store" in refused.stderr and "--yes" in refused.stderr
    assert refused.stdout.split() == [str(one), str(two)]
    assert snapshot(store_root) == before
    cache = Path(os.environ["PEPIP_CACHE_DIR"])
    assert any(path.name == "__init__.py" and path.parent.name == "alpha" for path in cache.rglob("*"))
    done = run_pepip(["store", "clean", "--yes"], capsys)
    assert done.exit_code == 0, done.stderr
    assert not os.path.lexists(store_root)
    # pepip's uv cache held the entries' files under other names: gone with them
    assert not any(path.name == "__init__.py" and path.parent.name == "alpha" for path in cache.rglob("*"))
    assert "Clearing store at: %s" % store_root in done.stderr and "Removed " in done.stderr
    assert "2 venvs used the store" in done.stderr
    broken = subprocess.run([str(venv_python(one)), "-c", "import alpha"], capture_output=True, text=True)
    assert "run `pepip repair`" in broken.stderr
    assert run_pepip(["repair", "--venv", str(one), *index_args], capsys).exit_code == 0
    assert venv_run(one, "import alpha; print(alpha.NAME)") == "alpha"
    shutil.rmtree(one)
    shutil.rmtree(two)
    unused = run_pepip(["store", "clean"], capsys)  # nothing uses it: no question asked
    assert unused.exit_code == 0 and not os.path.lexists(store_root), unused.stderr


def test_store_clean_never_follows_a_link_out_of_the_store(capsys, isolated, index_args, store_root):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    outside = isolated / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "precious.txt").write_text("keep me\n")
    os.chmod(outside / "deep", 0o555)
    (store_root / "v2" / "entries" / "evil").symlink_to(outside)
    (store_root / "v2" / "tmp" / "evil-file").symlink_to(outside / "deep" / "precious.txt")
    (store_root / "v2" / "link-to-deep").symlink_to(outside / "deep")
    before = snapshot(outside)
    done = run_pepip(["store", "clean", "--yes"], capsys)
    assert done.exit_code == 0, done.stderr
    assert not os.path.lexists(store_root)
    assert snapshot(outside) == before and stat.S_IMODE((outside / "deep").stat().st_mode) == 0o555


def test_a_venv_put_back_from_a_copy_in_a_container_keeps_its_entries(capsys, isolated, index_args, monkeypatch):
    """In a container records go by the venv's identity (device and inode): a venv put back
    at its path from a copy is another inode. Prune still reads its manifest there, so what
    it uses stays (what the old record lists stays too, until that record expires)."""
    monkeypatch.setenv("PEPIP_MACHINE_ID", "container-test")
    monkeypatch.setenv("PEPIP_PRUNE_GRACE", "0")
    venv, saved = isolated / "v", isolated / "saved"
    assert run_pepip(["install", "--venv", str(venv), *index_args, "versioned==1.0"], capsys).exit_code == 0
    shutil.copytree(venv, saved, symlinks=True)
    assert run_pepip(["install", "--venv", str(venv), *index_args, "versioned==2.0"], capsys).exit_code == 0
    venv.rename(isolated / "replaced")  # kept: its inode is not reused for the copy
    shutil.copytree(saved, venv, symlinks=True)
    later = time.time() + 60  # after the record's "dropped" lines stop counting
    store = Store.of(Locations.from_environment(venv))
    used = {path.parent.parent.name + "-" + path.parent.name for path in scan_registry(store, later).users()}
    assert "versioned-1.0" in used
    assert run_pepip(["store", "prune"], capsys).exit_code == 0
    assert venv_run(venv, "import versioned; print(versioned.VERSION)") == "1.0"
