"""dirhandle: changes in a tree others may write never go through a link at any level."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Callable

import pytest

from helpers import snapshot
from pepip import fsops
from pepip.dirhandle import FD_CALLS, DirHandle, NotInStore, stat_below

pytestmark = pytest.mark.posix("symlinks a user may plant")

# Each operation on <top>/a/b/c, given with <top> as the directory the caller trusts.
OPERATIONS: dict[str, Callable[[Path, Path], object]] = {
    "remove_tree": lambda top, path: fsops.remove_tree(path, below=top),
    "chmod_dir": lambda top, path: fsops.chmod_dir(path, 0o700, below=top),
    "stat_below": lambda top, path: stat_below(path / "file", top),
    "open": lambda top, path: DirHandle.open(path, below=top).close(),
}


def _outside(tmp_path: Path) -> Path:
    """A directory outside the tree, holding what a link would lead to: b/c/file."""
    outside = tmp_path / "outside"
    (outside / "b" / "c").mkdir(parents=True)
    (outside / "b" / "c" / "file").write_text("keep\n")
    (outside / "c").mkdir()
    (outside / "c" / "file").write_text("keep\n")
    for directory in (outside / "b", outside / "b" / "c", outside / "c"):
        os.chmod(directory, 0o755)
    return outside


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("linked", ["a", "a/b"])
def test_a_link_at_any_level_below_the_trusted_directory_is_never_followed(
    tmp_path: Path, operation: str, linked: str
) -> None:
    top = tmp_path / "store"
    outside = _outside(tmp_path)
    (top / "a").mkdir(parents=True)
    if linked == "a":
        os.rmdir(top / "a")
        os.symlink(outside, top / "a")
    else:
        os.symlink(outside, top / "a" / "b")
    before = snapshot(outside), stat.S_IMODE(os.stat(outside / "b" / "c").st_mode)
    with pytest.raises(NotInStore):
        OPERATIONS[operation](top, top / "a" / "b" / "c")
    assert (snapshot(outside), stat.S_IMODE(os.stat(outside / "b" / "c").st_mode)) == before


def test_remove_deletes_links_and_read_only_directories_but_not_what_links_lead_to(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    root = tmp_path / "tree"
    (root / "site" / "pkg").mkdir(parents=True)
    (root / "site" / "pkg" / "mod.py").write_text("")
    os.symlink(outside, root / "site" / "linked-dir")
    os.symlink(outside / "c" / "file", root / "site" / "linked-file")
    fsops.make_tree_readonly(root)
    before = snapshot(outside)
    fsops.remove_tree(root)
    assert not os.path.lexists(root)
    assert snapshot(outside) == before


def test_a_missing_tree_or_parent_is_removed_quietly(tmp_path: Path) -> None:
    fsops.remove_tree(tmp_path / "none")
    fsops.remove_tree(tmp_path / "no" / "parent", below=tmp_path)


@pytest.mark.skipif(not FD_CALLS, reason="descriptor calls only")
def test_a_held_directory_keeps_working_on_the_directory_it_opened(tmp_path: Path) -> None:
    """A directory renamed away and replaced by a link after it was opened: the held one is
    changed, not the link's target."""
    outside = _outside(tmp_path)
    top = tmp_path / "store"
    (top / "v" / "entry").mkdir(parents=True)
    with DirHandle.open(top / "v", below=top) as held:
        os.rename(top / "v", top / "v.real")
        os.symlink(outside / "b", top / "v")
        held.remove("entry")
        held.make_dir("new").close()
    assert not (top / "v.real" / "entry").exists() and (top / "v.real" / "new").is_dir()
    assert not (outside / "b" / "new").exists() and (outside / "b" / "c" / "file").read_text() == "keep\n"


@pytest.mark.parametrize("planted", ["file", "dangling link", "link to a directory"])
def test_make_dir_refuses_a_file_or_link_in_its_place(tmp_path: Path, planted: str) -> None:
    outside = _outside(tmp_path)
    top = tmp_path / "store"
    top.mkdir()
    if planted == "file":
        (top / "name").write_text("")
    else:
        os.symlink(outside / ("gone" if planted == "dangling link" else "b"), top / "name")
    with DirHandle.open(top) as held, pytest.raises(NotInStore, match="remove it$"):
        held.make_dir("name")
