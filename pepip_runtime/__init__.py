"""pepip's import-time runtime: loaded by the venv's ``_pepip.pth`` (or ``_pepip.start``).

``install()`` reads the venv's runtime index and makes the store answer imports *at
site-packages' place in* ``sys.path``: the path entry finder of site-packages becomes a
``SiteFinder``, which looks in site-packages itself first and then in the store. So the
order of a plain venv holds: the standard library, ``PYTHONPATH``, the current directory and
anything put first with ``sys.path.insert(0, d)`` win over the store, and directories
appended later (setuptools' ``_vendor``) lose to it. A finder in ``sys.meta_path`` cannot do
that: before ``PathFinder`` it beats everything, after it it loses to everything.

The store roots are also listed on ``sys.path`` (hidden from ``PathFinder``) for tools that
read it. This runs in every Python process of the venv, so this module holds only what
start-up runs; resolving a name lives in ``pepip_runtime.lookup``, imported at the first
import of a stored package. Idempotent (``site`` runs a venv's ``.pth`` import lines twice);
never raises. Stdlib only, Python 3.8+; never imports ``pepip``.
"""

import marshal
import os
import sys

import _frozen_importlib_external as _external

TYPE_CHECKING = False
if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec
    from types import ModuleType

    from pepip_runtime.lookup import LookupState  # noqa: F401 (named in a type comment)

__all__ = [
    "install",
    "venv_root",
    "StoreIndex",
    "SiteFinder",
    "PTH_NAME",
    "START_NAME",
    "PTH_LINE",
    "START_LINE",
    "INDEX_NAME",
    "INDEX_FORMAT",
    "MANIFEST_NAME",
]

PTH_NAME = "_pepip.pth"
START_NAME = "_pepip.start"
PTH_LINE = "import pepip_runtime; pepip_runtime.install()\n"
START_LINE = "pepip_runtime:install\n"
# The runtime index pepip writes beside the venv's manifest (``pepip.manifest.runtime_index``
# makes it; the format is described there), and the manifest, whose presence says the venv
# was wired by pepip.
INDEX_NAME = "pepip-index.marshal"
INDEX_FORMAT = 2
MANIFEST_NAME = "pepip-manifest.txt"

_installed = False


def install() -> None:
    """Wire the store in at site-packages' place in ``sys.path``, once; on a broken index say so."""
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
    root = venv_root(site_packages)
    try:
        with open(os.path.join(root, INDEX_NAME), "rb") as handle:
            loaded = marshal.loads(handle.read())
    except FileNotFoundError:
        if os.path.exists(os.path.join(root, MANIFEST_NAME)):  # wired, then damaged
            raise ValueError("%s is missing" % INDEX_NAME) from None
        return
    if not isinstance(loaded, tuple) or loaded[0] != INDEX_FORMAT:
        raise ValueError("runtime index of an unknown format")
    _format, names, roots, pth_files, details = loaded
    StoreIndex(names, roots, details, site_packages).publish()
    if pth_files:
        from pepip_runtime.lookup import apply_pth_files

        apply_pth_files(pth_files, site_packages)


class StoreIndex:
    """The venv's runtime index: top-level import names and the store roots providing them."""

    def __init__(
        self,
        roots_by_name: "dict[str, str | list[str]]",
        roots: "list[str]",
        details: bytes,
        site_packages: str,
    ) -> None:
        # roots_by_name: top-level name -> the store root providing it, or a list of them.
        # details: marshal'd (owners, preloads), decoded by lookup at its first use.
        self.roots_by_name = roots_by_name
        self.roots = dict.fromkeys(roots)  # type: dict[str, None]
        self.details = details
        self.site_packages = site_packages
        self.state = None  # type: LookupState | None

    def publish(self) -> None:
        """Make site-packages' path entry finder a ``SiteFinder``; list the roots on ``sys.path``.

        The roots are there for mypy and pyright, at no import cost: a ``None`` in
        ``sys.path_importer_cache`` makes ``PathFinder`` skip a root in O(1), so a failed import
        (``site`` fails ``import sitecustomize`` at every start) does not probe hundreds of
        directories; all are set in one C call. ``path_hook`` answers again for a root (``None``)
        and for site-packages (a new ``SiteFinder``) when ``invalidate_caches()`` or a tool
        drops their cache entries. Roots hold no dist-info, so ``importlib.metadata`` finds
        each distribution once, in site-packages.
        """
        cache = sys.path_importer_cache
        sys.path.extend(self.roots)
        cache.update(self.roots)
        sys.path_hooks.insert(0, self.path_hook)  # type: ignore[arg-type]
        cache[self.site_packages] = SiteFinder(self, cache.get(self.site_packages))

    def path_hook(self, path: str) -> "SiteFinder | None":
        """``sys.path_hooks`` entry: site-packages gets a ``SiteFinder``, a root none."""
        if path in self.roots:
            return None
        if path == self.site_packages:
            return SiteFinder(self)
        raise ImportError("not a pepip path entry")

    def invalidate_caches(self) -> None:
        """Forget directory listings and ownership checks, as ``importlib.invalidate_caches()`` asks."""
        if self.state is not None:
            self.state.invalidate()

    def __repr__(self) -> str:
        return "<pepip StoreIndex: %d names>" % len(self.roots_by_name)


class SiteFinder(_external.FileFinder):
    """site-packages' path entry finder: the files in site-packages first, then the store.

    A ``FileFinder`` subclass, so what dispatches on ``FileFinder`` (``pkg_resources``,
    ``pkgutil.iter_modules``) still treats site-packages as a directory. Only top-level names
    reach it: a submodule is found through its parent's ``__path__``.
    """

    def __init__(self, index: StoreIndex, previous: object = None) -> None:
        if isinstance(previous, _external.FileFinder) and previous.path == index.site_packages:
            # take over the finder that imported pepip_runtime: its listing is made already
            self.__dict__.update(previous.__dict__)
        else:
            loaders = _external._get_supported_file_loaders()  # type: ignore[attr-defined]
            _external.FileFinder.__init__(self, index.site_packages, *loaders)
        self.index = index

    def find_spec(self, fullname: str, target: "ModuleType | None" = None) -> "ModuleSpec | None":
        """A module in site-packages itself; else one of the store, for a name the index maps."""
        spec = _external.FileFinder.find_spec(self, fullname, target)
        if spec is not None and spec.loader is not None:
            return spec  # what pip or uv installed into site-packages
        mapped = self.index.roots_by_name.get(fullname)
        if mapped is None:
            return spec
        from pepip_runtime import lookup

        return lookup.find_spec(self, fullname, mapped, spec)

    def invalidate_caches(self) -> None:
        """Forget site-packages' listing and the store's, as ``importlib.invalidate_caches()`` asks."""
        _external.FileFinder.invalidate_caches(self)
        self.index.invalidate_caches()

    def __repr__(self) -> str:
        return "SiteFinder(%r, %r)" % (self.path, self.index)
