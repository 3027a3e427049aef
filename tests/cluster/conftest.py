"""Fixtures of the multi-machine tests: ``netshare`` (3 machines, one sshfs share)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from netshare import NetShare, unavailable


@pytest.fixture(scope="module")
def netshare() -> Iterator[NetShare]:
    """Three machines, each with its own sshfs mount of one share; torn down even on failure.

    ``PEPIP_TEST_NETSHARE_ROOT`` picks the directory it lives in (default: a temp dir).
    """
    why = unavailable()
    if why:
        pytest.skip("multi-machine share: %s" % why)
    parent = os.environ.get("PEPIP_TEST_NETSHARE_ROOT") or None
    if parent:
        os.makedirs(parent, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="netshare-", dir=parent))
    share = NetShare(root)
    try:
        try:
            share.up()
        except Exception as error:  # noqa: BLE001 - a box without veth, sshd refusing: skip
            pytest.skip("multi-machine share could not be set up: %s" % error)
        yield share
    finally:
        share.down()
        shutil.rmtree(root, ignore_errors=True)
