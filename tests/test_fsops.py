"""fsops: removing read-only trees (store entries) also where Windows guards read-only files."""

from __future__ import annotations

import os
import stat

import pytest

from pepip.fsops import make_temp_dir, make_temp_file, make_tree_readonly, remove_tree


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


@pytest.mark.posix("SIGINT sent by a thread with os.kill")
def test_ctrl_c_while_a_staging_directory_is_removed_waits_until_it_is_gone(tmp_path):
    """R24: Ctrl-C (which stops uv too, so it often comes during cleanup) had left tmp/stage-*."""
    import signal
    import threading
    import time

    from pepip.store.layout import Store

    store = Store(tmp_path / "store")
    store.tmp_dir.mkdir(parents=True)
    interrupted = False
    try:
        with store.staging() as work:
            for number in range(3000):  # long enough to remove that Ctrl-C lands meanwhile
                (work / str(number)).mkdir()
                (work / str(number) / "f").write_text("x")
            threading.Timer(0.02, os.kill, (os.getpid(), signal.SIGINT)).start()
    except KeyboardInterrupt:
        interrupted = True
    time.sleep(0.1)  # a late signal is a test failure, not a passing run
    assert interrupted, "the interrupt came after the directory was gone: make it larger"
    assert list(store.tmp_dir.iterdir()) == []


@pytest.mark.posix("POSIX permission bits")
def test_temporary_files_and_directories_are_new_private_and_named_as_asked(tmp_path):
    """What tempfile's mkstemp and mkdtemp give, without loading tempfile: a fresh name each
    time, only the user may read the file or enter the directory."""
    fd, path = make_temp_file(tmp_path, ".manifest.", ".tmp")
    os.write(fd, b"x")
    os.close(fd)
    again, other = make_temp_file(tmp_path, ".manifest.", ".tmp")
    os.close(again)
    assert path != other and path.parent == other.parent == tmp_path
    assert path.name.startswith(".manifest.") and path.name.endswith(".tmp") and path.read_bytes() == b"x"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    made = make_temp_dir(tmp_path, "stage-")
    assert made.is_dir() and made.name.startswith("stage-") and stat.S_IMODE(made.stat().st_mode) == 0o700
    assert make_temp_dir(tmp_path, "stage-") != made
