"""The meta-path finder that maps top-level import names to store directories.

Only top-level names are resolved here. A submodule is found by the ordinary ``PathFinder``
through its parent's ``__path__``, which already points into the store, so the finder sees each
distribution once per process, not once per module.

The finder sits *before* ``PathFinder`` so that the venv's pinned versions win over anything
that ends up on ``sys.path`` later (``import setuptools`` puts its ``_vendor`` directory there).
It therefore refuses names of the standard library: a stored distribution that ships
``typing.py`` or ``enum.py`` must not shadow the interpreter's own module.

It uses the import system's own classes from ``_frozen_importlib_external`` (the objects that
``importlib.machinery`` re-exports) because importing ``importlib.machinery`` would load extra
modules at every interpreter start-up.
"""

import os
import sys

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _external

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.machinery import FileFinder, ModuleSpec
    from types import ModuleType

__all__ = ["StoreFinder", "stdlib_names"]

_loader_details = None


def _file_finder(directory: str) -> "FileFinder":
    """A ``FileFinder`` for one store directory, with the interpreter's default loaders."""
    global _loader_details
    if _loader_details is None:
        _loader_details = _external._get_supported_file_loaders()  # type: ignore[attr-defined]
    finder = _external.FileFinder(directory, *_loader_details)  # type: FileFinder
    return finder


def stdlib_names() -> "frozenset[str]":
    """Top-level names of the standard library, which the store must never shadow."""
    names = getattr(sys, "stdlib_module_names", None)
    if names is not None:
        return frozenset(names) | frozenset(sys.builtin_module_names)
    # Python 3.8 and 3.9 have no list: read the standard library's directories (only when a
    # manifest name is looked up, never at start-up).
    found = set(sys.builtin_module_names)
    stdlib_dir = os.path.dirname(os.__file__)
    for directory in (stdlib_dir, os.path.join(stdlib_dir, "lib-dynload")):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        for entry in entries:
            if entry == "site-packages":
                continue
            found.add(entry.partition(".")[0])
    return frozenset(found)


class StoreFinder:
    """Finds top-level modules and packages in the store directories the manifest pins."""

    def __init__(
        self,
        locations: "dict[str, list[str]]",
        owners: "dict[str, tuple[str, str]]",
        site_packages: str,
        preloads: "dict[str, list[str]] | None" = None,
    ) -> None:
        # locations: top-level name -> store site directories that provide it, in order.
        # owners: store site directory -> ("name==version", dist-info dir name).
        self._locations = locations
        self._owners = owners
        self._site_packages = site_packages
        self._finders = {}  # type: dict[str, FileFinder]
        self._stdlib = None  # type: frozenset[str] | None
        self._present = None  # type: frozenset[str] | None
        self._canary = next(iter(owners), None)  # type: str | None
        # top-level name -> native libraries of sibling distributions to load before it
        self._preloads = preloads or {}  # type: dict[str, list[str]]

    def find_spec(
        self,
        fullname: str,
        path: "Sequence[str] | None" = None,
        target: "ModuleType | None" = None,
    ) -> "ModuleSpec | None":
        """Return the spec of a top-level name the manifest maps, else ``None``."""
        if self._canary is not None and sys.path_importer_cache.get(self._canary, 0) is not None:
            # importlib.invalidate_caches() (PathFinder's) deleted the None entries that hide
            # the store roots: hide them again before PathFinder walks sys.path.
            self._hide_roots()
        directories = self._locations.get(fullname)
        if directories is None or path is not None:
            return None
        if self._stdlib is None:
            self._stdlib = stdlib_names()
            # A dist-info removed by `pip uninstall` means the distribution is gone. Listed
            # once, at the first lookup of a mapped name, not at start-up.
            self._present = frozenset(os.listdir(self._site_packages))
        if fullname in self._stdlib:
            return None
        present = self._present or frozenset()
        directories = [d for d in directories if self._owners.get(d, ("", ""))[1] in present]
        if not directories:
            return None
        if fullname in self._preloads:
            _load_libraries(self._preloads.pop(fullname))
        portions = []  # type: list[str]
        for directory in directories:
            finder = self._finders.get(directory)
            if finder is None:
                finder = self._finders[directory] = _file_finder(directory)
            spec = finder.find_spec(fullname)  # type: ModuleSpec | None
            if spec is None:
                continue
            if spec.loader is not None:
                if spec.submodule_search_locations is not None and len(directories) > 1:
                    # pkgutil/pkg_resources-style namespace split over distributions: the
                    # package's __path__ must see every portion, as one site-packages would.
                    _extend_portions(spec.submodule_search_locations, fullname, directories)
                return spec
            portions.extend(spec.submodule_search_locations or ())
        if not portions:
            self._raise_missing(fullname, directories)
            return None
        # A PEP 420 namespace: add the portions the rest of sys.path has, then build one spec.
        outside = _external.PathFinder.find_spec(fullname)
        if outside is not None and outside.loader is None and outside.submodule_search_locations:
            portions.extend(p for p in outside.submodule_search_locations if p not in portions)
        spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
        spec.submodule_search_locations = portions
        return spec

    def _raise_missing(self, fullname: str, directories: "list[str]") -> None:
        for directory in directories:
            if not os.path.isdir(directory):
                owner = self._owners.get(directory, ("?", ""))[0]
                raise ImportError(
                    "pepip: %s (from %s) is missing from the store: %s; run `pepip repair`"
                    % (fullname, owner, directory),
                    name=fullname,
                )

    def publish_roots(self) -> None:
        """List the store roots on ``sys.path``, where tools look for packages, at no cost.

        mypy and pyright ask the venv's interpreter for ``sys.path`` and never run finders;
        with the roots there they resolve imports of stored packages. Imports do not use
        these entries: ``sys.path_importer_cache[root] = None`` makes ``PathFinder`` skip
        each in O(1), so a failed import does not probe hundreds of directories. The roots
        hold no dist-info, so ``importlib.metadata`` finds each distribution once.
        """
        on_path = set(sys.path)
        for root in self._owners:
            if root not in on_path:
                sys.path.append(root)
        self._hide_roots()

    def _hide_roots(self) -> None:
        for root in self._owners:
            sys.path_importer_cache[root] = None

    def invalidate_caches(self) -> None:
        """Forget directory listings, as ``importlib.invalidate_caches()`` asks."""
        for finder in self._finders.values():
            finder.invalidate_caches()

    def __repr__(self) -> str:
        return "<pepip StoreFinder: %d names>" % len(self._locations)


def _extend_portions(search_locations: "list[str]", fullname: str, directories: "list[str]") -> None:
    for directory in directories:
        candidate = os.path.join(directory, fullname)
        if candidate not in search_locations and os.path.isdir(candidate):
            search_locations.append(candidate)


def _load_libraries(paths: "list[str]") -> None:
    """Load native libraries globally so extensions needing them by soname find them.

    ``ctypes`` is imported here, only for a package that needs it. A library that fails to
    load is skipped: the package's own import then reports what is missing, as it would.
    """
    import ctypes

    for path in paths:
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            pass
