"""Real applications that tell a pepip venv from a plain one, from the index (network).

OpenCV's loader puts its own directory on ``sys.path`` and imports ``cv2`` again: it fails
with "recursion is detected" unless the store answers at site-packages' place in ``sys.path``.
JupyterLab's server (tornado) refuses, with 403, a static file whose real path leaves its
static root: its files under ``share/jupyter/lab`` must be files inside the venv.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from helpers import run_pepip, venv_run

_STARTUP_TIMEOUT = 90.0


@pytest.mark.network
def test_opencv_imencode_round_trip(capsys, venv):
    result = run_pepip(["install", "-q", "opencv-python-headless"], capsys)
    assert result.exit_code == 0, result.stderr
    code = (
        "import cv2, numpy as np\n"
        "image = np.zeros((16, 24, 3), np.uint8)\n"
        "image[4:9, 5:17] = (10, 200, 30)\n"
        "ok, encoded = cv2.imencode('.png', image)\n"
        "back = cv2.imdecode(encoded, cv2.IMREAD_COLOR)\n"
        "print(ok, back.shape, bool((back == image).all()))"
    )
    assert venv_run(venv, code) == "True (16, 24, 3) True"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


@pytest.mark.network
def test_jupyterlab_serves_lab_and_its_static_files(capsys, venv, isolated):
    result = run_pepip(["install", "-q", "jupyterlab"], capsys)
    assert result.exit_code == 0, result.stderr
    port = _free_port()
    home = isolated / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "JUPYTER"))},
        "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"), "JUPYTER_PLATFORM_DIRS": "1",
    }
    server = subprocess.Popen(
        [str(venv / "bin" / "jupyter-lab"), "--no-browser", "--allow-root", "--ip=127.0.0.1", "--port=%d" % port,
         "--port-retries=0", "--ServerApp.token=", "--ServerApp.password=", "--ServerApp.root_dir=" + str(isolated)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=isolated,
    )
    try:
        base = "http://127.0.0.1:%d" % port
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        status, page = 0, b""
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = _get(base + "/lab")
                break
            except OSError:  # not listening yet
                time.sleep(0.5)
        assert status == 200, "no /lab within %ss (exit %s)" % (_STARTUP_TIMEOUT, server.poll())
        assets = re.findall(rb'src="(/static/lab/[^"?]+)', page)
        assert assets, page[:2000]
        status, body = _get(base + assets[0].decode())
        assert status == 200 and body  # 403 when the file is a symlink out of the venv
        # the file the server read is inside the venv, not a link into the store
        lab_static = venv / "share" / "jupyter" / "lab" / "static"
        served = lab_static / Path(assets[0].decode()).name
        assert served.is_file() and not served.is_symlink()
        assert venv_run(venv, "import jupyterlab, jupyter_server; print('ok')") == "ok"
    finally:
        server.terminate()
        try:
            server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
