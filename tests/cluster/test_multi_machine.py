"""One store on an sshfs share used by three machines at once (issue 17).

Each machine has its own sshfs mount (own caches, flock that does not reach the others), its
own disk for venvs and uv's cache, and its own machine id; venvs sit at the *same* path on
every machine, as ``/scratch/proj/.venv`` on cluster nodes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from netshare import NetShare
from pepip.manifest import read_manifest

_SETS = [
    (["alpha", "beta"], "import alpha, beta"),
    (["dependent", "versioned==1.0"], "import dependent, versioned; assert versioned.VERSION == '1.0'"),
    (["nsa", "nsb", "beta"], "import nsroot.a, nsroot.b, beta"),
    (["alpha", "versioned==2.0"], "import alpha, versioned; assert versioned.VERSION == '2.0'"),
]


def _env(share: NetShare, wheelhouse: Path, **extra: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(share.local),
        "PEPIP_HOME": str(share.store),
        "UV_CACHE_DIR": str(share.local / "uv-cache"),
        "UV_NO_CONFIG": "1",
        "UV_OFFLINE": "1",
        "UV_PYTHON_DOWNLOADS": "never",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if os.environ.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]  # to run another tree's pepip
    env.update(extra)
    return env


def _pepip(*args: str) -> list[str]:
    return [sys.executable, "-m", "pepip", *args]


def _index(wheelhouse: Path) -> list[str]:
    return ["--no-index", "--find-links", str(wheelhouse)]


def _install(share: NetShare, machine: int, venv: Path, packages: list[str], wheelhouse: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    argv = share.command(machine, _pepip("install", "-q", "--venv", str(venv), *_index(wheelhouse), *packages))
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _named_entries(share: NetShare, machine: int, venv: Path) -> list[Path]:
    """The entries ``venv`` on ``machine`` names, as paths on the share's server side."""
    host_venv = share.disk(machine) / venv.relative_to(share.local)
    manifest = read_manifest(host_venv)
    assert manifest is not None, host_venv
    return [share.root / "share" / record.entry_dir.relative_to(share.store) for record in manifest.dists]


def test_three_machines_four_installs_two_rounds_with_prune_looping(netshare: NetShare, wheelhouse: Path) -> None:
    share = netshare
    env = _env(share, wheelhouse, PEPIP_PRUNE_GRACE="120")
    # Old entries nobody uses: stored on machine 1 by venvs since deleted, published "2 h ago".
    for number, (packages, _check) in enumerate(_SETS + [(["pkgns-a", "pkgns-b"], "")]):
        old = share.local / ("old%d" % number) / ".venv"
        done = share.run_on(1, _pepip("install", "-q", "--venv", str(old), *_index(wheelhouse), *packages), env)
        assert done.returncode == 0, done.stdout + done.stderr
        share.run_on(1, ["rm", "-rf", str(old.parent)], env)
    long_ago = time.time() - 7200
    for entry in (share.root / "share" / "v2" / "entries").glob("*/*/*"):
        os.utime(entry, (long_ago, long_ago))
    stop = share.root / "stop-prune"
    loop = share.command(1, ["sh", "-c", 'n=0; while [ ! -e "$0" ]; do "$@" store prune >/dev/null 2>>"$0.err" '
                             '|| echo "prune failed" >>"$0.err"; n=$((n+1)); sleep 0.5; done; echo $n >"$0.count"',
                             str(stop), sys.executable, "-m", "pepip"])
    pruning = subprocess.Popen(loop, env=env)
    venvs = [share.local / ("proj%d" % i) / ".venv" for i in range(4)]
    failed_installs, failed_imports, outputs = 0, 0, []
    started = time.time()
    try:
        for round_number in range(2):
            running = []
            for machine in (1, 2, 3):
                for i, venv in enumerate(venvs):
                    packages, check = _SETS[(i + round_number + machine) % len(_SETS)]
                    running.append((machine, venv, check, _install(share, machine, venv, packages, wheelhouse, env)))
            for machine, venv, check, process in running:
                out, _ = process.communicate(timeout=600)
                if process.returncode != 0:
                    failed_installs += 1
                    outputs.append("m%d %s: %s" % (machine, venv, out))
                    continue
                python = str(venv / "bin" / "python")
                imported = share.run_on(machine, [python, "-c", check], env)
                if imported.returncode != 0:
                    failed_imports += 1
                    outputs.append("m%d %s import: %s" % (machine, venv, imported.stderr))
    finally:
        stop.touch()
        pruning.wait(120)
    took = time.time() - started
    prunes = int((share.root / "stop-prune.count").read_text() or 0) if (share.root / "stop-prune.count").exists() else 0
    prune_errors = (share.root / "stop-prune.err").read_text() if (share.root / "stop-prune.err").exists() else ""
    # A wait for the lock an install of the same machine holds is a notice, not an error.
    prune_errors = "".join(line for line in prune_errors.splitlines(True) if "waiting for the store lock" not in line)
    final = share.run_on(1, _pepip("store", "prune"), env)
    missing, verify_failures = [], []
    for machine in (1, 2, 3):
        for venv in venvs:
            for entry in _named_entries(share, machine, venv):
                if not (entry / "ENTRY").is_file():
                    missing.append("m%d %s: %s" % (machine, venv, entry))
            packages, check = _SETS[(venvs.index(venv) + 1 + machine) % len(_SETS)]
            imported = share.run_on(machine, [str(venv / "bin" / "python"), "-c", check], env)
            if imported.returncode != 0:
                failed_imports += 1
                outputs.append("m%d %s final import: %s" % (machine, venv, imported.stderr))
        verified = share.run_on(machine, _pepip("store", "verify"), env)
        if verified.returncode != 0:
            verify_failures.append("m%d: %s%s" % (machine, verified.stdout, verified.stderr))
    removed_old = not list((share.root / "share" / "v2" / "entries").glob("pkgns-a/*/*"))
    print(
        "multi-machine: 3 machines x 4 installs x 2 rounds in %.0f s; %d prunes meanwhile (%s); "
        "failed installs %d, failed imports %d, verify failures %d, named entries missing %d; "
        "unused old entries removed: %s" % (
            took, prunes, prune_errors.strip()[:300] or "no prune errors", failed_installs, failed_imports,
            len(verify_failures), len(missing), removed_old,
        )
    )
    assert (failed_installs, failed_imports) == (0, 0), "\n".join(outputs)
    assert not verify_failures, verify_failures
    assert not missing, missing
    assert final.returncode == 0, final.stderr
    assert removed_old, "prune removed nothing: the test did not exercise it"
    assert "Traceback" not in prune_errors, prune_errors


def test_a_venv_is_created_with_the_store_on_sshfs(netshare: NetShare, wheelhouse: Path) -> None:
    """Item 3: creating a venv runs nothing from the store's filesystem.

    sshfs refuses to read an absolute symlink such as a venv's ``bin/python``: a template venv
    built (and run) inside the store made every install that creates a venv fail. A store of
    its own, so the venv template is built here whichever test runs first.
    """
    share = netshare
    env = _env(share, wheelhouse, PEPIP_HOME=str(share.store / "fresh"))
    for name in ("first", "second"):  # the first builds the venv template, the second copies it
        venv = share.local / "created" / name / ".venv"
        share.run_on(2, ["mkdir", "-p", str(venv.parent)], env)
        done = share.run_on(2, _pepip("install", "-q", "--venv", str(venv), *_index(wheelhouse), "alpha"), env)
        assert done.returncode == 0, done.stdout + done.stderr
        imported = share.run_on(2, [str(venv / "bin" / "python"), "-c", "import alpha, beta"], env)
        assert imported.returncode == 0, imported.stderr
