"""Resolving a top-level name to its store roots: loaded at the first import of a stored
package, not at start-up.

Only top-level names are resolved here. A submodule is found by the ordinary ``PathFinder``
through its parent's ``__path__``, which already points into the store.

The finder sits *before* ``PathFinder`` so that the venv's pinned versions win over anything
that ends up on ``sys.path`` later (``import setuptools`` puts its ``_vendor`` directory there).
It therefore refuses names of the standard library: a stored distribution that ships
``typing.py`` or ``enum.py`` must not shadow the interpreter's own module.

It uses the import system's own classes from ``_frozen_importlib_external`` (the objects
``importlib.machinery`` re-exports): importing ``importlib.machinery`` would load more modules.
"""

import marshal
import os
import sys

import _frozen_importlib as _bootstrap
import _frozen_importlib_external as _external

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import FileFinder, ModuleSpec

    from pepip_runtime import StoreFinder

__all__ = ["LookupState", "find_spec", "stdlib_names", "apply_pth_files", "ENTRY_FILE"]

# The file every published store entry has; an entry without it was never completed.
ENTRY_FILE = "ENTRY"


class LookupState:
    """What a finder needs once it resolves names, decoded from the index's details."""

    __slots__ = ("owners", "preloads", "stdlib", "present", "finders")

    def __init__(self, details: bytes, site_packages: str) -> None:
        decoded = marshal.loads(details)  # type: tuple[dict[str, tuple[str, str]], dict[str, list[str]]]
        # owners: store root -> ("name==version", dist-info dir name)
        # preloads: top-level name -> native libraries of sibling distributions
        self.owners, self.preloads = decoded
        self.stdlib = stdlib_names()
        # A dist-info removed by `pip uninstall` means the distribution is gone.
        self.present = frozenset(os.listdir(site_packages))
        self.finders = {}  # type: dict[str, FileFinder]


def find_spec(finder: "StoreFinder", fullname: str, mapped: "str | list[str]") -> "ModuleSpec | None":
    """The spec of ``fullname`` from the store roots ``mapped`` names, or ``None``."""
    state = finder.state
    if state is None:
        state = finder.state = LookupState(finder.details, finder.site_packages)
    if fullname in state.stdlib:
        return None
    candidates = [mapped] if isinstance(mapped, str) else mapped
    directories = [d for d in candidates if state.owners.get(d, ("", ""))[1] in state.present]
    if not directories:
        return None
    if fullname in state.preloads:
        _load_libraries(state.preloads.pop(fullname))
    portions = []  # type: list[str]
    for directory in directories:
        file_finder = state.finders.get(directory)
        if file_finder is None:
            _check_complete(state, fullname, directory)
            file_finder = state.finders[directory] = _file_finder(directory)
        spec = file_finder.find_spec(fullname)  # type: ModuleSpec | None
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
        _raise_missing(state, fullname, directories)
        return None
    # A PEP 420 namespace: add the portions the rest of sys.path has, then build one spec.
    outside = _external.PathFinder.find_spec(fullname)
    if outside is not None and outside.loader is None and outside.submodule_search_locations:
        portions.extend(p for p in outside.submodule_search_locations if p not in portions)
    spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
    spec.submodule_search_locations = portions
    return spec


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
    # Python 3.8 and 3.9 have no list: read the standard library's directories.
    found = set(sys.builtin_module_names)
    stdlib_dir = os.path.dirname(os.__file__)
    for directory in (stdlib_dir, os.path.join(stdlib_dir, "lib-dynload")):
        try:
            entries = os.listdir(directory)
        except OSError:
            continue
        found.update(entry.partition(".")[0] for entry in entries if entry != "site-packages")
    return frozenset(found)


def _complete(directory: str) -> bool:
    return os.path.exists(os.path.join(os.path.dirname(directory), ENTRY_FILE))


def _check_complete(state: LookupState, fullname: str, directory: str) -> None:
    """Refuse to import from a store entry that is not marked complete (once per root)."""
    if os.path.isdir(directory) and not _complete(directory):
        owner = state.owners.get(directory, ("?", ""))[0]
        raise ImportError(
            "pepip: %s (from %s) is in an incomplete store entry: %s; run `pepip repair`"
            % (fullname, owner, os.path.dirname(directory)),
            name=fullname,
        )


def _raise_missing(state: LookupState, fullname: str, directories: "list[str]") -> None:
    for directory in directories:
        if not os.path.isdir(directory):
            owner = state.owners.get(directory, ("?", ""))[0]
            raise ImportError(
                "pepip: %s (from %s) is missing from the store: %s; run `pepip repair`"
                % (fullname, owner, directory),
                name=fullname,
            )


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


def apply_pth_files(pth_files: "list[tuple[str, str, str]]", site_packages: str) -> None:
    """Process ``.pth`` files shipped inside stored distributions, as ``site`` would.

    ``site`` only reads ``.pth`` files of site directories, and store entries are not, so a
    distribution like setuptools (``distutils-precedence.pth``) needs this to behave as usual.
    Files run in name order, like ``site``; an error ends that file only. A distribution whose
    dist-info ``pip uninstall`` removed is skipped.
    """
    present = frozenset(os.listdir(site_packages))
    for name, site_dir, dist_info in pth_files:
        if dist_info not in present or not _complete(site_dir):
            continue  # uninstalled by pip; or an incomplete entry, whose imports fail clearly
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
