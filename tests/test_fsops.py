"""fsops: removing read-only trees (store entries) also where Windows guards read-only files."""

from __future__ import annotations

import os
import stat

import pytest

from pepip.fsops import make_tree_readonly, remove_tree


@pytest.mark.windows
def test_remove_tree_deletes_read_only_files_and_directories(tmp_path):
    """Windows refuses to delete a read-only file (WinError 5); prune, repair and staging must."""
    root = tmp_path / "entry"
    (root / "site" / "pkg").mkdir(parents=True)
    (root / "site" / "pkg" / "__init__.py").write_text("")
    (root / "ENTRY").write_text("")
    make_tree_readonly(root)
    os.chmod(root, stat.S_IREAD | stat.S_IEXEC)
    assert not os.access(root / "ENTRY", os.W_OK) or getattr(os, "geteuid", lambda: 1)() == 0
    remove_tree(root)
    assert not os.path.lexists(root)
