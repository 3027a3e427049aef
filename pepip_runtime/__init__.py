"""pepip's import-time runtime: loaded by the venv's ``_pepip.pth`` (or ``_pepip.start``).

``install()`` reads the venv's manifest and puts one ``StoreFinder`` in ``sys.meta_path``,
right before ``PathFinder``. It must be cheap (it runs in every Python process of the venv),
idempotent (``site`` runs a venv's ``.pth`` import lines twice) and must never raise: on a
broken manifest it writes one line to stderr and leaves ``sys.meta_path`` as it was.

This package is stdlib-only and supports Python 3.8+; it never imports ``pepip``.
"""

from __future__ import annotations

import os
import sys

from pepip_runtime.finder import StoreFinder
from pepip_runtime.index import MANIFEST_NAME, DistRecord, parse_manifest

__all__ = ["install", "venv_root", "PTH_NAME", "START_NAME", "PTH_LINE", "START_LINE"]

PTH_NAME = "_pepip.pth"
START_NAME = "_pepip.start"
PTH_LINE = "import pepip_runtime; pepip_runtime.install()\n"
START_LINE = "pepip_runtime:install\n"

_installed = False


def install() -> None:
    """Put the store finder into ``sys.meta_path`` and apply stored ``.pth`` files, once."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        _install()
    except Exception as error:  # start-up must go on whatever the manifest holds
        sys.stderr.write("pepip: venv manifest not loaded (%s); run `pepip doctor`\n" % error)


def _install() -> None:
    site_packages = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    manifest_path = os.path.join(venv_root(site_packages), MANIFEST_NAME)
    try:
        with open(manifest_path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return
    # A dist-info removed by `pip uninstall` means the distribution is gone: don't import it.
    present = set(os.listdir(site_packages))
    dists = [d for d in parse_manifest(text).dists if d.dist_info in present]
    locations: dict[str, list[str]] = {}
    owners: dict[str, str] = {}
    for dist in dists:
        owners[dist.site_dir] = dist.name + "==" + dist.version
        for name in dist.top_level:
            locations.setdefault(name, []).append(dist.site_dir)
    finder = StoreFinder(locations, owners)
    position = len(sys.meta_path)
    for index, entry in enumerate(sys.meta_path):
        if getattr(entry, "__name__", None) == "PathFinder":
            position = index
            break
    sys.meta_path.insert(position, finder)
    _apply_pth_files(dists)


def venv_root(site_packages: str) -> str:
    """The venv holding ``site_packages`` (``lib/pythonX.Y/site-packages``, or Windows'
    ``Lib/site-packages``). Not ``sys.prefix``: under ``python -S`` that is the base
    interpreter's, yet a PEP 829 ``.start`` entry or a manual ``install()`` still needs it."""
    levels = 2 if os.name == "nt" else 3
    for _ in range(levels):
        site_packages = os.path.dirname(site_packages)
    return site_packages


def _apply_pth_files(dists: list[DistRecord]) -> None:
    """Process ``.pth`` files shipped inside stored distributions, as ``site`` would.

    ``site`` only reads ``.pth`` files of site directories, and store entries are not, so a
    distribution like setuptools (``distutils-precedence.pth``) needs this to behave as usual.
    Files run in name order, like ``site``; an error ends that file only.
    """
    pth_files = sorted(
        (name, dist.site_dir) for dist in dists for name in dist.pth_files
    )
    for name, site_dir in pth_files:
        try:
            with open(os.path.join(site_dir, name), encoding="utf-8") as handle:
                lines = handle.read().splitlines()
            for line in lines:
                if not line or line.startswith("#"):
                    continue
                if line.startswith(("import ", "import\t")):
                    exec(line)
                    continue
                path = os.path.join(site_dir, line.rstrip())
                if path not in sys.path and os.path.exists(path):
                    sys.path.append(path)
        except Exception as error:
            sys.stderr.write("pepip: error in %s of %s: %s\n" % (name, site_dir, error))
