"""pepip's import-time runtime: loaded by the venv's ``_pepip.pth`` (or ``_pepip.start``).

``install()`` reads the venv's runtime index, puts one ``StoreFinder`` in ``sys.meta_path``
right before ``PathFinder``, and lists the store roots on ``sys.path`` (hidden from
``PathFinder``) for tools that read it. It runs in every Python process of the venv, so this
module holds only what start-up runs; resolving a name lives in ``pepip_runtime.lookup``,
imported at the first import of a stored package. Idempotent (``site`` runs a venv's ``.pth``
import lines twice); never raises. Stdlib only, Python 3.8+; never imports ``pepip``.
"""

import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    from pepip_runtime.lookup import LookupState  # noqa: F401 (named in a type comment)

__all__ = ["install", "venv_root", "StoreFinder", "PTH_NAME", "START_NAME", "PTH_LINE", "START_LINE"]

PTH_NAME = "_pepip.pth"
START_NAME = "_pepip.start"
PTH_LINE = "import pepip_runtime; pepip_runtime.install()\n"
START_LINE = "pepip_runtime:install\n"
# Equal to pepip_runtime.index.INDEX_NAME and INDEX_FORMAT (a test checks): start-up does not
# load the index module.
_INDEX_NAME = "pepip-index.marshal"
_INDEX_FORMAT = 2

_installed = False


def install() -> None:
    """Put the store finder into ``sys.meta_path``, once; on a broken index say so in one line."""
    global _installed
    if _installed:
        return
    _installed = True
    try:
        _install()
    except Exception as error:  # start-up must go on whatever the index holds
        sys.stderr.write("pepip: venv index not loaded (%s); run `pepip doctor`\n" % error)


def venv_root(site_packages: str) -> str:
    """The venv holding ``site_packages``; not ``sys.prefix``, the base's under ``python -S``."""
    for _ in range(2 if os.name == "nt" else 3):
        site_packages = os.path.dirname(site_packages)
    return site_packages


def _install() -> None:
    site_packages = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(venv_root(site_packages), _INDEX_NAME), "rb") as handle:
            loaded = marshal.loads(handle.read())
    except FileNotFoundError:
        return
    if not isinstance(loaded, tuple) or loaded[0] != _INDEX_FORMAT:
        raise ValueError("runtime index of an unknown format")
    _format, names, roots, pth_files, details = loaded
    finder = StoreFinder(names, roots, details, site_packages)
    finder.publish_roots()
    position = len(sys.meta_path)
    for index, entry in enumerate(sys.meta_path):
        if getattr(entry, "__name__", None) == "PathFinder":
            position = index
            break
    sys.meta_path.insert(position, finder)
    if pth_files:
        from pepip_runtime.lookup import apply_pth_files

        apply_pth_files(pth_files, site_packages)


class StoreFinder:
    """Maps top-level import names to the store roots the venv pins (see ``lookup``)."""

    def __init__(
        self,
        locations: "dict[str, str | list[str]]",
        roots: "list[str]",
        details: bytes,
        site_packages: str,
    ) -> None:
        # locations: top-level name -> the store root providing it, or a list of them.
        # details: marshal'd (owners, preloads), decoded by lookup at its first use.
        self.locations = locations
        self.roots = dict.fromkeys(roots)  # type: dict[str, None]
        self.details = details
        self.site_packages = site_packages
        self.state = None  # type: LookupState | None

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        """The spec of a top-level name the index maps; ``None`` for any other name."""
        mapped = self.locations.get(fullname)
        if mapped is None or path is not None:
            return None
        from pepip_runtime import lookup

        return lookup.find_spec(self, fullname, mapped)

    def publish_roots(self) -> None:
        """List the store roots on ``sys.path`` for mypy and pyright, at no import cost.

        A ``None`` in ``sys.path_importer_cache`` makes ``PathFinder`` skip a root in O(1), so
        a failed import (``site`` fails ``import sitecustomize`` at every start) does not probe
        hundreds of directories; all are set in one C call, and ``path_hook`` answers ``None``
        again after ``invalidate_caches()`` drops them. Roots hold no dist-info, so
        ``importlib.metadata`` finds each distribution once, in site-packages.
        """
        sys.path.extend(self.roots)
        sys.path_importer_cache.update(self.roots)
        sys.path_hooks.insert(0, self.path_hook)  # type: ignore[arg-type]

    def path_hook(self, path: str) -> None:
        """``sys.path_hooks`` entry: no path-based finder for a store root; others pass on."""
        if path in self.roots:
            return None
        raise ImportError("not a pepip store root")

    def invalidate_caches(self) -> None:
        """Forget directory listings, as ``importlib.invalidate_caches()`` asks."""
        if self.state is not None:
            for finder in self.state.finders.values():
                finder.invalidate_caches()

    def __repr__(self) -> str:
        return "<pepip StoreFinder: %d names>" % len(self.locations)
