"""Where things are: the store root, the venv and the uv binary, decided once per command.

Only this module and ``cli.py`` read environment variables, the home directory and the
current directory; everything else receives a ``Locations`` value.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Mapping, TextIO

from pepip.errors import PepipError
from pepip.machine import MACHINE_ID_ENV, machine_id
from pepip.places import DEFAULT_VENV, HOME_ENV, VIRTUAL_ENV, choose_store, choose_venv
from pepip.uv_cache import CACHE_ENV, cache_dir

__all__ = [
    "Locations",
    "UvProgram",
    "wants_color",
    "uv_config_files",
    "HOME_ENV",
    "UV_ENV",
    "LINK_MODE_ENV",
    "RESOLUTION_TTL_ENV",
    "BYTECODE_ENV",
    "BASE_STORES_ENV",
    "MACHINE_ID_ENV",
    "REGISTRATION_TTL_ENV",
    "PRUNE_GRACE_ENV",
    "SHARED_STORE_ENV",
    "Setting",
    "SETTINGS",
    "LINK_MODE",
    "BYTECODE",
    "DEFAULT_VENV",
    "VIRTUAL_ENV",
    "choose_venv",
]

UV_ENV: Final = "PEPIP_UV"
LINK_MODE_ENV: Final = "PEPIP_LINK_MODE"
RESOLUTION_TTL_ENV: Final = "PEPIP_RESOLUTION_TTL"
BYTECODE_ENV: Final = "PEPIP_BYTECODE"
BASE_STORES_ENV: Final = "PEPIP_BASE_STORES"
REGISTRATION_TTL_ENV: Final = "PEPIP_REGISTRATION_TTL"
PRUNE_GRACE_ENV: Final = "PEPIP_PRUNE_GRACE"
SHARED_STORE_ENV: Final = "PEPIP_SHARED_STORE"
NO_COLOR_ENV: Final = "NO_COLOR"
FORCE_COLOR_ENV: Final = "FORCE_COLOR"
DEFAULT_RESOLUTION_TTL: Final = 600.0
DEFAULT_REGISTRATION_TTL: Final = 90 * 86400.0  # another machine's record, unrenewed
# uv environment variables that cannot change a resolution (where files go, how uv shows
# progress): left out of remembered resolutions' key, so they do not defeat reuse.
_UV_NOT_RESOLUTION: Final = frozenset({
    "UV_CACHE_DIR", "UV_LINK_MODE", "UV_COMPILE_BYTECODE", "UV_NO_PROGRESS", "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS", "UV_CONCURRENT_INSTALLS", "UV_HTTP_TIMEOUT", "UV_PYTHON_DOWNLOADS",
})


@dataclass(frozen=True)
class Setting:
    """An environment variable pepip reads, declared once: ``pepip --help`` renders its help
    from here and ``Locations.from_environment`` checks its value against the same choices
    and default, so the help cannot name a default the code refuses."""

    name: str
    meaning: str
    choices: tuple[str, ...] = ()  # the values it takes (the first is not the default)
    default: str = ""  # what an unset variable means, as help shows it

    @property
    def help(self) -> str:
        """One line: ``hardlink (default) or copy: how ...``, or ``meaning (default 600)``."""
        if self.choices:
            named = ["%s (default)" % choice if choice == self.default else choice for choice in self.choices]
            return "%s: %s" % (_alternatives(named), self.meaning)
        return "%s (default: %s)" % (self.meaning, self.default) if self.default else self.meaning

    def choice(self, environ: Mapping[str, str]) -> str:
        """The variable's value, one of ``choices`` (``default`` when unset or empty)."""
        value = environ.get(self.name) or self.default
        if value not in self.choices:
            quoted = ["`%s`" % choice for choice in self.choices]
            raise PepipError("%s must be %s, not `%s`" % (self.name, _alternatives(quoted), value))
        return value


def _alternatives(words: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return words[0] if len(words) == 1 else "%s or %s" % (", ".join(words[:-1]), words[-1])


LINK_MODE: Final = Setting(
    LINK_MODE_ENV, "how data files and scripts reach the venv", ("hardlink", "copy"), "hardlink"
)
BYTECODE: Final = Setting(
    BYTECODE_ENV, "when stored modules get bytecode", ("auto", "background", "compile", "lazy"), "auto"
)
BYTECODE_MODES: Final = BYTECODE.choices
# Every setting, in the order help lists them (docs/commands.md says more about each).
SETTINGS: Final = (
    Setting(VIRTUAL_ENV, "the activated venv: used when --venv is not given"),
    Setting(HOME_ENV, "the store", default="~/.pepip"),
    Setting(BASE_STORES_ENV, "read-only stores below PEPIP_HOME (%s-separated)" % os.pathsep),
    LINK_MODE,
    BYTECODE,
    Setting(RESOLUTION_TTL_ENV, "seconds a resolution is reused for the same inputs", default="%g" % DEFAULT_RESOLUTION_TTL),
    Setting(UV_ENV, "the uv binary", default="the one the uv package ships"),
    Setting(SHARED_STORE_ENV, "1: other machines use the store too; 0: this one alone",
            default="detected from the filesystem"),
    Setting(PRUNE_GRACE_ENV, "seconds prune leaves new entries alone", default="3600 on a shared store, else 0"),
    Setting(REGISTRATION_TTL_ENV, "seconds another machine's venv keeps its entries unrenewed",
            default="%d, 90 days" % DEFAULT_REGISTRATION_TTL),
    Setting(MACHINE_ID_ENV, "this machine's id in registry records", default="/etc/machine-id"),
    Setting(NO_COLOR_ENV, "set: no colour in pepip's and uv's output (wins over FORCE_COLOR)"),
    Setting(FORCE_COLOR_ENV, "set: colour even when stderr is not a terminal (a CI log)"),
    Setting(CACHE_ENV, "pepip's own uv cache (UV_CACHE_DIR is left alone)", default="~/.cache/pepip/uv"),
    Setting("UV_*", "uv's own settings (indexes, offline) apply to its runs"),
)


@dataclass(frozen=True)
class UvProgram:
    """The uv binary and how its output reaches the user (``pepip.uv.runner`` runs it).

    ``verbose`` (pepip's ``-v``, counted): uv runs with as many ``-v`` and all it prints goes
    to pepip's stderr as it comes, as ``uv -v`` shows it. ``color``: whether what uv prints
    there may be coloured (``wants_color``).

    ``given`` is ``PEPIP_UV`` (or a path a caller names). Without it, the binary is looked
    for when uv first runs (``find_uv``): a remembered install runs no uv, and importing the
    ``uv`` package to find it would cost it a few milliseconds.
    """

    given: Path | None = None
    verbose: int = 0
    color: bool = False

    @property
    def binary(self) -> Path:
        """The uv binary this program runs."""
        return self.given if self.given is not None else _installed_uv()


def wants_color(environ: Mapping[str, str], stream: TextIO) -> bool:
    """Colour on ``stream``, decided as uv decides it: ``NO_COLOR`` (any value) never,
    else ``FORCE_COLOR`` or ``CLICOLOR_FORCE`` always, else only on a terminal."""
    if environ.get(NO_COLOR_ENV):
        return False
    if environ.get(FORCE_COLOR_ENV) or environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


@dataclass(frozen=True)
class Locations:
    """The paths one pepip command works with."""

    store_root: Path
    venv: Path
    uv: UvProgram
    copy_files: bool = False  # PEPIP_LINK_MODE=copy: data files and scripts copied, not hardlinked
    project_dir: Path = Path(".")
    resolution_ttl: float = DEFAULT_RESOLUTION_TTL
    bytecode: str = "compile"  # one of BYTECODE_MODES (pepip.store.bytecode)
    # What uv's interpreter discovery reads from the environment (UV_PYTHON, VIRTUAL_ENV,
    # PATH): the key under which pepip remembers which interpreter a `--python` request means.
    python_discovery: tuple[str, ...] = ()
    # Read-only stores below the writable one (an admin's, a read-only mount): entries found
    # there are used as they are; new entries always go to ``store_root``.
    base_stores: tuple[Path, ...] = ()
    # uv's settings that may change what it resolves: its environment variables and the
    # configuration files it reads (``uv_config_files``). Part of a remembered resolution's key.
    uv_environment: tuple[tuple[str, str], ...] = ()
    uv_config_files: tuple[Path, ...] = ()
    # Why ``venv`` was chosen: "--venv", "VIRTUAL_ENV" (an activated venv) or "default".
    venv_source: str = "--venv"
    # A store shared by machines (docs/cluster.md): this machine's id, how long another
    # machine's registration counts without being renewed, the prune grace period (None:
    # the default for the store's filesystem) and PEPIP_SHARED_STORE as given.
    machine: str = ""
    registration_ttl: float = DEFAULT_REGISTRATION_TTL
    prune_grace: float | None = None
    shared_store: str = ""
    # The uv cache pepip runs uv with (pepip.uv.cache): never the user's own.
    uv_cache: Path = Path()

    @classmethod
    def from_environment(
        cls, venv: Path | None, environ: Mapping[str, str] | None = None, cwd: Path | None = None,
        verbose: int = 0,
    ) -> Locations:
        """Build from ``PEPIP_HOME`` (default ``~/.pepip``) and the venv ``choose_venv`` picks;
        ``verbose`` is pepip's ``-v`` count, for uv's runs."""
        env = os.environ if environ is None else environ
        base = Path.cwd() if cwd is None else cwd
        store_root = Path(choose_store(env))
        if not store_root.is_absolute():
            store_root = base / store_root
        _check_store_root(store_root)
        # Canonical, like the venv: manifests name entries under this spelling and prune,
        # doctor and the registry compare them, so `sl -> store` and `sub/../store` are `store`.
        store_root = Path(os.path.realpath(store_root))
        chosen, venv_source = choose_venv(venv, env)
        # Canonical (symlinks and `..` resolved): the registry, the moved-venv check and
        # prune all compare it, so `sub/../v` and a link to `v` are `v`.
        venv_path = Path(os.path.realpath(base / chosen))
        _check_venv_outside(venv_path, store_root)
        link_mode = LINK_MODE.choice(env)
        ttl = _seconds(env, RESOLUTION_TTL_ENV, DEFAULT_RESOLUTION_TTL)
        bytecode = BYTECODE.choice(env)
        discovery = tuple(env.get(name, "") for name in ("UV_PYTHON", "VIRTUAL_ENV", "PATH"))
        registration_ttl = _seconds(env, REGISTRATION_TTL_ENV, DEFAULT_REGISTRATION_TTL)
        grace_text = env.get(PRUNE_GRACE_ENV, "")
        grace = _seconds(env, PRUNE_GRACE_ENV, 0.0) if grace_text else None
        return cls(
            store_root,
            venv_path,
            UvProgram(Path(env[UV_ENV]) if env.get(UV_ENV) else None, verbose, wants_color(env, sys.stderr)),
            link_mode == "copy",
            base,
            ttl,
            bytecode,
            discovery,
            _base_stores(env.get(BASE_STORES_ENV, ""), base, store_root),
            tuple(sorted((k, v) for k, v in env.items() if k.startswith("UV_") and k not in _UV_NOT_RESOLUTION)),
            uv_config_files(env, base),
            venv_source,
            machine_id(env.get(MACHINE_ID_ENV, "")),
            registration_ttl,
            grace,
            env.get(SHARED_STORE_ENV, ""),
            cache_dir(env),
        )

    @property
    def lazy_bytecode(self) -> bool:
        """Entries are published without bytecode (compiled later, or by Python on import)."""
        return self.bytecode != "compile"

    def refreshed(self) -> Locations:
        """The same locations with remembered resolutions ignored (``--refresh``)."""
        return dataclasses.replace(self, resolution_ttl=0.0)


def uv_config_files(env: Mapping[str, str], cwd: Path) -> tuple[Path, ...]:
    """The configuration files uv reads (none with ``UV_NO_CONFIG``): ``UV_CONFIG_FILE``,
    the nearest ``uv.toml`` or ``pyproject.toml`` with a ``[tool.uv]`` table from ``cwd``
    upwards, the user's and the system's ``uv.toml``."""
    if env.get("UV_NO_CONFIG", "").lower() in ("1", "true", "yes", "on"):
        return ()
    found: list[Path] = []
    if env.get("UV_CONFIG_FILE"):
        found.append(Path(env["UV_CONFIG_FILE"]))
    for directory in (cwd, *cwd.parents):
        if (directory / "uv.toml").is_file():
            found.append(directory / "uv.toml")
            break
        project = directory / "pyproject.toml"
        try:
            if project.is_file() and "[tool.uv" in project.read_text(encoding="utf-8", errors="replace"):
                found.append(project)
                break
        except OSError:
            continue
    user = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path.home() / ".config"
    system = [Path(part) for part in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep) if part]
    for candidate in [user / "uv" / "uv.toml", *(part / "uv" / "uv.toml" for part in system), Path("/etc/uv/uv.toml")]:
        if candidate.is_file():
            found.append(candidate)
    return tuple(found)


def _seconds(env: Mapping[str, str], name: str, default: float) -> float:
    """A setting given in seconds (``default`` when unset)."""
    text = env.get(name, "")
    try:
        value = float(text) if text else default
    except ValueError:
        value = -1.0
    if not 0 <= value < math.inf:  # NaN fails both
        raise PepipError("%s must be a number of seconds, not `%s`" % (name, text))
    return value


def _check_store_root(store_root: Path) -> None:
    """A store root that is a file, or behind a symlink to nowhere (a share not mounted)."""
    if store_root.exists() and not store_root.is_dir():
        raise PepipError("the store %s is a file; set %s to a directory" % (store_root, HOME_ENV))
    for path in (store_root, *store_root.parents):
        if path.is_symlink() and not path.exists():
            raise PepipError(
                "the store %s is behind the symlink %s to %s, which does not exist; mount or "
                "create it, or set %s to another directory" % (store_root, path, os.readlink(path), HOME_ENV)
            )


def _check_venv_outside(venv: Path, store_root: Path) -> None:
    """A venv inside the store would be taken for store files (prune empties ``tmp/``)."""
    if venv.is_relative_to(store_root):
        raise PepipError("the venv %s is inside the store %s; put it elsewhere" % (venv, store_root))


def _base_stores(text: str, cwd: Path, store_root: Path) -> tuple[Path, ...]:
    """``PEPIP_BASE_STORES``: store roots separated by ``os.pathsep``, searched in order."""
    roots = []
    for part in filter(None, text.split(os.pathsep)):
        root = Path(part).expanduser()
        root = root if root.is_absolute() else cwd / root
        root = Path(os.path.realpath(root))
        if root == store_root:
            raise PepipError(
                "%s names the writable store %s itself; list only read-only stores there"
                % (BASE_STORES_ENV, root)
            )
        roots.append(root)
    return tuple(roots)


def find_uv(environ: Mapping[str, str]) -> Path:
    """The uv binary: ``PEPIP_UV``, then the one the ``uv`` package ships, then ``PATH``."""
    explicit = environ.get(UV_ENV)
    return Path(explicit) if explicit else _installed_uv()


@functools.lru_cache(maxsize=None)
def _installed_uv() -> Path:
    try:
        from uv import find_uv_bin

        return Path(find_uv_bin())
    except (ImportError, FileNotFoundError):
        pass
    found = shutil.which("uv")
    if found is None:
        raise PepipError("uv was not found; install it with `pip install uv` or set PEPIP_UV")
    return Path(found)
