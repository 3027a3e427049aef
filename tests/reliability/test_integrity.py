"""A damaged store entry is named by `store verify`; the runtime never imports from an
entry that is not marked complete."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from helpers import pepip_process, store_entries

from pepip.store.entries import ENTRY_FILE


def _entry(store_root: Path, name: str) -> Path:
    (found,) = [path for path in store_entries(store_root) if path.parent.parent.name == name]
    os.chmod(found, 0o755)  # published entries are read-only; the test damages one on purpose
    return found


def _python(venv: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True)


def test_verify_names_modified_and_deleted_files(index_args, venv, store_root):
    assert pepip_process("install", "-q", *index_args, "alpha", "tool").returncode == 0
    alpha, tool = _entry(store_root, "alpha"), _entry(store_root, "tool")
    os.chmod(alpha / "site" / "alpha", 0o755)
    (alpha / "site" / "alpha" / "sub.py").unlink()
    os.chmod(tool / "site" / "tool", 0o755)
    (tool / "site" / "tool" / "__init__.py").unlink()  # not written through: uv's cache shares the inode
    (tool / "site" / "tool" / "__init__.py").write_text("raise SystemExit('tampered')\n")

    verified = pepip_process("store", "verify")
    assert verified.returncode == 1
    assert "%s: missing file site/alpha/sub.py" % alpha in verified.stdout + verified.stderr
    assert "%s: modified file site/tool/__init__.py" % tool in verified.stdout + verified.stderr


def test_runtime_refuses_an_entry_not_marked_complete(index_args, venv, store_root):
    assert pepip_process("install", "-q", *index_args, "alpha").returncode == 0
    beta = _entry(store_root, "beta")
    (beta / ENTRY_FILE).unlink()  # what an entry looks like before it is complete

    completed = _python(venv, "import beta")
    assert completed.returncode == 1
    assert "incomplete store entry: %s; run `pepip repair`" % beta in completed.stderr
    assert _python(venv, "import alpha.sub").returncode == 1  # alpha imports beta
    verified = pepip_process("store", "verify")
    assert verified.returncode == 1 and "missing file ENTRY" in verified.stdout + verified.stderr

    repaired = pepip_process("store", "verify", "--fix", *index_args)
    assert repaired.returncode == 0, repaired.stderr
    assert _python(venv, "import alpha, beta; print(beta.NAME)").stdout.strip() == "beta"


def test_verify_names_an_entry_whose_name_does_not_match_its_artifact(index_args, venv, store_root):
    assert pepip_process("install", "-q", *index_args, "versioned==1.0").returncode == 0
    (entry,) = store_entries(store_root)
    assert pepip_process("store", "verify").returncode == 0
    moved = entry.with_name(entry.name.rpartition("-")[0] + "-0123456789abcdef")  # another artifact's place
    entry.rename(moved)

    verified = pepip_process("store", "verify")
    assert verified.returncode == 1
    assert "%s: mismatched file ENTRY (not the artifact its name says)" % moved in verified.stdout
