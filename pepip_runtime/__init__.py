"""pepip's import-time runtime: loaded by the venv's ``_pepip.pth`` (or ``_pepip.start``).

``install()`` loads the venv's runtime index (written by pepip beside the manifest) and puts
one ``StoreFinder`` in ``sys.meta_path``, right before ``PathFinder``. It also lists the store
roots on ``sys.path`` for tools that read it (mypy, pyright), hidden from ``PathFinder``. It runs in every Python
process of the venv, so it loads only this module and ``finder`` (not ``index``, not even
``__future__``) and reads the index with one ``open`` and one ``marshal.loads``. It is idempotent (``site`` runs a venv's ``.pth`` import
lines twice) and never raises: on a broken manifest it writes one line to stderr and leaves
``sys.meta_path`` as it was.

This package is stdlib-only and supports Python 3.8+; it never imports ``pepip``.
"""

import marshal
import os
import sys

from pepip_runtime.finder import StoreFinder

__all__ = ["install", "venv_root", "PTH_NAME", "START_NAME", "PTH_LINE", "START_LINE"]

PTH_NAME = "_pepip.pth"
START_NAME = "_pepip.start"
PTH_LINE = "import pepip_runtime; pepip_runtime.install()\n"
START_LINE = "pepip_runtime:install\n"
# Kept equal to pepip_runtime.index.INDEX_NAME and INDEX_FORMAT (a test checks), so that
# start-up does not load the index module.
_INDEX_NAME = "pepip-index.marshal"
_INDEX_FORMAT = 1

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


def venv_root(site_packages: str) -> str:
    """The venv holding ``site_packages`` (``lib/pythonX.Y/site-packages``, or Windows'
    ``Lib/site-packages``). Not ``sys.prefix``: under ``python -S`` that is the base
    interpreter's, yet a PEP 829 ``.start`` entry or a manual ``install()`` still needs it."""
    levels = 2 if os.name == "nt" else 3
    for _ in range(levels):
        site_packages = os.path.dirname(site_packages)
    return site_packages


def _install() -> None:
    site_packages = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(venv_root(site_packages), _INDEX_NAME), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return
    loaded = marshal.loads(data)
    if not isinstance(loaded, tuple) or loaded[0] != _INDEX_FORMAT:
        raise ValueError("runtime index of an unknown format")
    _format, names, owners, pth_files, preloads = loaded
    finder = StoreFinder(names, owners, site_packages, preloads)
    finder.publish_roots()
    position = len(sys.meta_path)
    for index, entry in enumerate(sys.meta_path):
        if getattr(entry, "__name__", None) == "PathFinder":
            position = index
            break
    sys.meta_path.insert(position, finder)
    if pth_files:
        present = set(os.listdir(site_packages))
        _apply_pth_files([(name, site_dir) for name, site_dir, dist_info in pth_files if dist_info in present])


def _apply_pth_files(pth_files: "list[tuple[str, str]]") -> None:
    """Process ``.pth`` files shipped inside stored distributions, as ``site`` would.

    ``site`` only reads ``.pth`` files of site directories, and store entries are not, so a
    distribution like setuptools (``distutils-precedence.pth``) needs this to behave as usual.
    Files run in name order, like ``site``; an error ends that file only.
    """
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
