"""Resolving a top-level name to its store roots: loaded at the first import of a stored
package, not at start-up.

``SiteFinder`` (site-packages' path entry finder) calls ``find_spec`` for a name the index
maps and site-packages itself does not hold, so the store answers exactly where
site-packages stands in ``sys.path``; earlier entries, the standard library among them,
have been asked already. Only top-level names are resolved here. A submodule is found by
the ordinary ``PathFinder`` through its parent's ``__path__``, which points into the store.

A distribution is the venv's only while its dist-info in site-packages is pepip's (its
``INSTALLER`` says ``pepip``): after ``pip uninstall`` it is gone, and after ``pip install
-e .`` or ``--force-reinstall`` of the same name and version it is pip's, and the store must
not answer for it. Each root is checked once per listing of site-packages.

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

    from pepip_runtime import SiteFinder

__all__ = ["LookupState", "find_spec", "owned", "apply_pth_files", "ENTRY_FILE", "INSTALLER", "NSPKG_SUFFIX"]

# The file every published store entry has; an entry without it was never completed.
ENTRY_FILE = "ENTRY"
# What pepip writes into the INSTALLER file of the dist-info copies it makes.
INSTALLER = b"pepip"
# setuptools' namespace shims (``zope.interface-6.4-py3.11-nspkg.pth``): they need ``site``'s
# frame (``sitedir``) and only make a namespace the finder provides anyway.
NSPKG_SUFFIX = "-nspkg.pth"


class LookupState:
    """What a finder needs once it resolves names, decoded from the index's details."""

    __slots__ = ("owners", "preloads", "finders", "owned", "listing")

    def __init__(self, details: bytes) -> None:
        decoded = marshal.loads(details)  # type: tuple[dict[str, tuple[str, str]], dict[str, list[str]]]
        # owners: store root -> ("name==version", dist-info dir name)
        # preloads: top-level name -> native libraries of sibling distributions
        self.owners, self.preloads = decoded
        self.finders = {}  # type: dict[str, FileFinder]
        # dist-info name -> whether it is pepip's, valid for one listing of site-packages
        self.owned = {}  # type: dict[str, bool]
        self.listing = None  # type: object

    def invalidate(self) -> None:
        """Forget the store roots' listings and what was known about dist-info ownership."""
        for finder in self.finders.values():
            finder.invalidate_caches()
        self.owned.clear()


def owned(site_packages: str, dist_info: str) -> bool:
    """True when ``dist_info`` in ``site_packages`` is pepip's copy (its INSTALLER says so)."""
    try:
        with open(os.path.join(site_packages, dist_info, "INSTALLER"), "rb") as handle:
            return handle.read().strip() == INSTALLER
    except OSError:
        return False


def find_spec(
    finder: "SiteFinder", fullname: str, mapped: "str | list[str]", own: "ModuleSpec | None"
) -> "ModuleSpec | None":
    """The spec of ``fullname`` from the store roots ``mapped`` names, else ``own``.

    ``own`` is what site-packages itself has for the name: ``None``, or a PEP 420 portion,
    which is kept in front of the store's portions.
    """
    index = finder.index
    state = index.state
    if state is None:
        state = index.state = LookupState(index.details)
    candidates = [mapped] if isinstance(mapped, str) else mapped
    directories = [d for d in candidates if _is_venvs(state, finder, d)]
    if not directories:
        return own
    if fullname in state.preloads:
        _load_libraries(state.preloads.pop(fullname))
    portions = list(own.submodule_search_locations or ()) if own is not None else []
    found = False
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
        found = True
        portions.extend(spec.submodule_search_locations or ())
    if not found:
        _raise_missing(state, fullname, directories)
        return own
    # A PEP 420 namespace: PathFinder adds the portions of the later sys.path entries.
    spec = _bootstrap.ModuleSpec(fullname, None, is_package=True)
    spec.submodule_search_locations = portions
    return spec


def _is_venvs(state: LookupState, finder: "SiteFinder", root: str) -> bool:
    """True while the distribution of ``root`` is installed in the venv by pepip."""
    dist_info = state.owners.get(root, ("", ""))[1]
    # FileFinder keeps site-packages' listing and renews it when the directory changes: a
    # dist-info pip removed or replaced shows here, in this process too.
    listing = getattr(finder, "_path_cache", None)  # type: set[str] | None
    if listing is None:  # not a CPython FileFinder as we know it: list once
        listing = finder._path_cache = set(os.listdir(finder.path))  # type: ignore[attr-defined]
    if listing is not state.listing:
        state.owned.clear()
        state.listing = listing
    if dist_info not in listing:
        return False
    known = state.owned.get(dist_info)
    if known is None:
        known = state.owned[dist_info] = owned(finder.path, dist_info)
    return known


_loader_details = None


def _file_finder(directory: str) -> "FileFinder":
    """A ``FileFinder`` for one store directory, with the interpreter's default loaders."""
    global _loader_details
    if _loader_details is None:
        _loader_details = _external._get_supported_file_loaders()  # type: ignore[attr-defined]
    finder = _external.FileFinder(directory, *_loader_details)  # type: FileFinder
    return finder


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
    Files run in name order, like ``site``; an error ends that file only. A distribution
    whose dist-info is gone or no longer pepip's (pip or uv reinstalled it into site-packages,
    where ``site`` runs its ``.pth`` itself) is skipped, and so are setuptools' ``-nspkg.pth``
    shims: the namespaces they would make are found by the finder.
    """
    present = frozenset(os.listdir(site_packages))
    for name, site_dir, dist_info in pth_files:
        if name.endswith(NSPKG_SUFFIX) or dist_info not in present:
            continue
        if not owned(site_packages, dist_info) or not _complete(site_dir):
            continue  # reinstalled by pip or uv; or an incomplete entry, whose imports fail clearly
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
