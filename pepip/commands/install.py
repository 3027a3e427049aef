"""``pepip install``: resolve the request, preferring what the venv has, then apply it.

Like ``uv pip install``: only the request is resolved; what the venv has stays unless the
request needs it changed (its versions are preferences, not constraints), and earlier
requests do not bind a new one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import AbstractSet, Final, Sequence


from pepip.commands.apply import apply_pins, guard_foreign, report_dry_run, requested_names
from pepip.artifacts import LockedPackage, Pin, normalized, url_request_key
from pepip.selection import HashPolicy, choose_pins
from pepip.errors import PepipError
from pepip.uv.hashes import hashes_required, read_hash_policy
from pepip.locations import Locations
from pepip.venv.plan import Plan, make_plan
from pepip.report import Reporter
from pepip.uv.requirement_files import looks_like_path
from pepip.uv.options import UvOptions
from pepip.uv.requests import check_request, is_bare_name, parse_request
from pepip.uv.resolve import install_editables
from pepip.venv.target import OpenVenv, open_venv, pin_of_record

__all__ = ["InstallRequest", "install", "check_files", "check_options", "is_url_request", "is_vcs_request", "create_wired_venv"]


@dataclass(frozen=True)
class InstallRequest:
    """What the user asked ``pepip install`` for."""

    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    python: str | None = None
    options: UvOptions = UvOptions()
    editables: tuple[str, ...] = ()  # project paths to install in editable mode
    reinstall: bool = False  # link every resolved distribution again from the store
    reinstall_packages: tuple[str, ...] = ()  # link these again from the store
    dry_run: bool = False  # say what would change, change nothing


def check_files(paths: tuple[Path, ...]) -> None:
    """Fail early, with the file's name, on a requirements or constraints file that is absent.

    Only regular files: pepip reads each twice (fingerprint, then uv), which a pipe cannot give.
    """
    for path in paths:
        if not path.exists():
            raise PepipError("requirements file %s does not exist" % path)
        if not path.is_file():
            kind = "a directory" if path.is_dir() else "not a regular file"
            raise PepipError("requirements file %s is %s; pass a file" % (path, kind))


def install(locations: Locations, request: InstallRequest, reporter: Reporter) -> Plan:
    """Install the requested distributions into the venv; return what changed."""
    local = local_requests(request.requirements, locations.project_dir)
    urls = {text for text in request.requirements if is_url_request(text)}
    _check_request(request, set(local) | urls)
    policy = read_hash_policy(
        request.requirement_files + request.options.constraints,
        request.options.require_hashes or hashes_required(locations),
        locations.project_dir,
    )
    if any(is_vcs_request(text) for text in request.requirements):
        locations = locations.refreshed()  # a branch moves: uv says which commit it is now
    with open_venv(locations, request.python, create=not request.dry_run, reporter=reporter) as target:
        if not policy.required and not local and not urls and _already_satisfied(target, request):
            if request.dry_run:
                return _dry_run(target, target.current_pins(), frozenset(), reporter)
            requests = _merged_requests(target.manifest.requests, request.requirements)
            return apply_pins(target, target.current_pins(), request.options, requests, reporter)
        editables = [str(Path(path).resolve()) for path in request.editables]
        downloads: list[str] = []  # printed after "Resolved", where uv's log has them
        with reporter.step("resolve", "Resolving") as progress:
            from pepip.progress import UvLog  # loaded with the step's display anyway
            resolution = target.resolve(
                ["-e " + path for path in editables]
                + [str(local[text]) if text in local else text for text in request.requirements],
                request.requirement_files,
                request.options,
                [] if policy.required else target.installed(),
                None if progress.log is None else UvLog(downloads.append).feed,
            )
        reinstall = _reinstalled(request, [package.name for package in resolution.packages])
        pins = _chosen_pins(target, resolution.packages, policy, reinstall)
        resolved_count = len(pins)
        pins += _kept_pins(target, pins)
        texts = tuple(
            _named(text, local[text], pins) if text in local else _named_url(text, pins) if text in urls else text
            for text in request.requirements
        )
        requests = _merged_requests(target.manifest.requests, texts)
        reporter.resolved(resolved_count, resolution.remembered)
        for line in downloads:
            reporter.line(line)
        if request.dry_run:
            plan = _dry_run(target, pins, reinstall, reporter)
            for path in editables:
                reporter.line(" + %s (editable)" % path)
            return plan
        plan = apply_pins(target, pins, request.options, requests, reporter, reinstall=reinstall)
        if editables:
            # uv replaces an editable install of the same project: keep the old one's files
            guard_foreign(target, [item for item in target.foreign if item.editable])
            install_editables(locations.uv, target.python, editables, request.options, locations.uv_cache)
            for path in editables:
                reporter.line(" + %s (editable)" % path)
        if not plan.changes_nothing or editables:
            resolution.keep()  # a command that changes nothing writes nothing, in the store too
        return plan


def _check_request(request: InstallRequest, paths_and_urls: set[str]) -> None:
    """Refuse a request uv would refuse, before any venv or store is touched: a bad
    requirement (``paths_and_urls`` are not requirements), option, file or editable."""
    for requirement in request.requirements:
        if requirement not in paths_and_urls:
            check_request(requirement)
    check_options(request)
    check_files(request.requirement_files + request.options.constraints)
    for path in request.editables:
        if not Path(path).is_dir():
            raise PepipError("editable project %s is not a directory" % path)
    if not (request.requirements or request.requirement_files or request.editables or request.options.groups):
        raise PepipError("nothing to install; name packages or pass -r FILE")


INDEX_STRATEGIES: Final = ("first-index", "unsafe-first-match", "unsafe-best-match")
# uv's --torch-backend values: auto, cpu, xpu, a CUDA (cu126) or ROCm (rocm6.2.4) version.
_TORCH_BACKEND: Final = re.compile(r"(auto|cpu|xpu|cu\d+|rocm\d+(\.\d+)*)\Z")


def check_options(request: InstallRequest) -> None:
    """Refuse option values uv would refuse, before any venv or store is touched."""
    options = request.options
    if options.index_strategy is not None and options.index_strategy not in INDEX_STRATEGIES:
        raise PepipError(
            "--index-strategy must be one of %s, not `%s`" % (", ".join(INDEX_STRATEGIES), options.index_strategy)
        )
    if options.torch_backend is not None and not _TORCH_BACKEND.match(options.torch_backend):
        raise PepipError(
            "--torch-backend must be auto, cpu, xpu, cuNNN or rocmN.N (as uv takes it), not `%s`"
            % options.torch_backend
        )
    for name in options.upgrade_packages + request.reinstall_packages:
        if not is_bare_name(name):
            raise PepipError("`%s` is not a package name (--upgrade-package and --reinstall-package take names)" % name)


def is_url_request(text: str) -> bool:
    """A requirement that is a URL alone (``https://.../x.whl``, ``git+https://host/repo``):
    unnamed, as pip and uv take it. In ``name @ url`` the name comes first."""
    head = text.partition("@")[0]
    return "://" in head and not looks_like_path(text) and " " not in head.strip()


def is_vcs_request(text: str) -> bool:
    """A requirement naming a VCS URL (``git+...``), with or without a name."""
    url = text.partition(" @ ")[2].strip() if " @ " in text else text.strip()
    return re.match(r"(git|hg|bzr|svn)\+", url) is not None


def _reinstalled(request: InstallRequest, resolved: Sequence[str]) -> frozenset[str]:
    """The resolved distributions ``--reinstall``/``--reinstall-package`` link again (as uv,
    which reinstalls what the resolution names, dependencies included, and nothing else)."""
    names = frozenset(resolved)
    if request.reinstall:
        return names
    return names & {normalized(name) for name in request.reinstall_packages}


def _dry_run(target: OpenVenv, pins: list[Pin], reinstall: frozenset[str], reporter: Reporter) -> Plan:
    """What installing ``pins`` would change, said and not done: the venv and the store stay."""
    plan = make_plan(
        pins, target.manifest.dists, target.store, target.tag_priority(), target.foreign, reinstall=reinstall
    )
    report_dry_run(reporter, plan)
    return plan


def local_requests(texts: Sequence[str], base: Path) -> dict[str, Path]:
    """Requests that name a local project or archive, as pip and uv take them: text -> path.

    A request is local only when it looks like a path (``looks_like_path``), and it must
    then exist, relative to the current directory (``base``). A bare name stays a name even
    when ``./<name>`` is a directory: ``pepip install build`` in a project with a ``build/``
    folder asks the index for ``build``, as pip and uv do. Its identity in the store is its
    path and content.
    """
    found = {}
    for text in texts:
        if not looks_like_path(text):
            continue
        path = Path(text).expanduser()
        path = path if path.is_absolute() else base / path
        if not path.exists():
            raise PepipError("invalid requirement `%s`: it looks like a path, but %s does not exist" % (text, path))
        found[text] = path.resolve()
    return found


def _named(text: str, path: Path, pins: Sequence[Pin]) -> str:
    """A local request as ``name @ file:///path``, the name from its resolved pin."""
    for pin in pins:
        if pin.artifact is not None and pin.artifact.is_path and Path(pin.artifact.location) == path:
            return "%s @ %s" % (pin.name, path.as_uri())
    raise PepipError("uv resolved no distribution for %s" % text)


def _named_url(text: str, pins: Sequence[Pin]) -> str:
    """A URL request as ``name @ url``, the name from the pin uv resolved it to."""
    key = url_request_key(text)
    for pin in pins:
        if pin.artifact is not None and pin.artifact.direct and pin.artifact.request_key == key:
            return "%s @ %s" % (pin.name, text)
    raise PepipError("uv resolved no distribution for %s" % text)


def _already_satisfied(target: OpenVenv, request: InstallRequest) -> bool:
    """True when the venv's pins satisfy every plain requirement: no resolver call needed.

    Requirements with extras, markers or URLs, requirement files, constraints (``-c``, or
    uv's own: they bind what the venv has, as ``uv pip install`` applies them to installed
    dependencies), ``--upgrade`` and a venv that pip or uv changed behind pepip's back always
    go to the resolver.
    """
    options = request.options
    if (request.requirement_files or request.editables or options.upgrade or options.upgrade_packages
            or options.constraints):
        return False
    if (options.groups or request.reinstall or request.reinstall_packages or not target.intact
            or _uv_binds_installed(target.locations)):
        return False
    installed = {record.name: record for record in target.manifest.dists}
    for text in request.requirements:
        if is_bare_name(text):  # any installed version satisfies it
            record = installed.get(normalized(text))
            if record is None or " @ " in record.source:
                return False
            continue
        requirement = parse_request(text)
        record = installed.get(normalized(requirement.name))
        if record is None or requirement.url or requirement.extras or requirement.marker:
            return False
        if " @ " in record.source or not requirement.specifier.contains(record.version, prereleases=True):
            return False
    return True


def _chosen_pins(
    target: OpenVenv, packages: Sequence[LockedPackage], policy: HashPolicy, reinstall: AbstractSet[str]
) -> list[Pin]:
    """The resolution's pins, with what the venv has wherever uv resolved its version.

    As ``uv pip install`` does, an installed distribution that the resolution keeps at its
    version stays as it is, whichever index, folder, URL or editable project it came from
    (perhaps none of this command's: ``pepip.uv.installed``). A package the request names
    by URL or path is kept only by the plan, when it is the same artifact; with
    ``--require-hashes`` every pin is the hashed artifact, and a ``reinstall`` name the
    resolution's artifact (linked from the store, whatever the venv has).
    """
    if policy.required:
        return choose_pins(packages, target.tag_priority(), policy)
    own = {record.name: record for record in target.manifest.dists}
    foreign = {item.name: item for item in target.foreign}
    kept: list[Pin] = []
    chosen = []
    for package in packages:
        record, other = own.get(package.name), foreign.get(package.name)
        if package.name not in reinstall and not any(artifact.direct for artifact in package.candidates):
            if record is not None and record.version == package.version:
                kept.append(pin_of_record(record))
                continue
            if other is not None and other.version == package.version:
                kept.append(Pin(package.name, other.version, other.url))  # ``make_plan`` leaves it to its tool
                continue
        chosen.append(package)
    return choose_pins(chosen, target.tag_priority(), policy) + kept


# uv's own ways to constrain, override or exclude what a resolution keeps: environment
# variables, and settings of its configuration files (uv applies them to ``uv pip install``).
_BINDING_VARIABLES: Final = ("UV_CONSTRAINT", "UV_OVERRIDE", "UV_EXCLUDE")
_BINDING_SETTINGS: Final = ("constraint-dependencies", "override-dependencies", "exclude-dependencies")


def _uv_binds_installed(locations: Locations) -> bool:
    """Whether uv's environment or configuration can move what the venv has: the fast path
    cannot tell, and uv applies such constraints to a venv that satisfies the request."""
    if any(name in _BINDING_VARIABLES and value.strip() for name, value in locations.uv_environment):
        return True
    for path in locations.uv_config_files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True  # uv reads it, or fails on it: the resolver says which
        if any(setting in text for setting in _BINDING_SETTINGS):
            return True
    return False


def _merged_requests(previous: list[str], new: tuple[str, ...]) -> list[str]:
    """The venv's requests with the new ones replacing earlier requests of the same name."""
    new_names = requested_names(list(new))
    return [text for text in previous if not requested_names([text]) & new_names] + list(new)


def _kept_pins(target: OpenVenv, resolved: Sequence[Pin]) -> list[Pin]:
    """What the venv has that the resolution does not name: kept as it is.

    Only the request is resolved, as ``uv pip install`` does: what the venv has is a
    preference for the request's dependencies (``OpenVenv.preferences``), and everything
    else stays installed, from the artifact it was installed from, without asking the
    index for it again. So a distribution installed from a ``--find-links`` folder or
    another index does not stop a later install that lacks those options, and
    ``--require-hashes`` asks hashes of the request's distributions only. What pip or uv
    installed beside pepip (editables included) stays too (``make_plan`` leaves foreign
    distributions the pins do not name).
    """
    names = {pin.name for pin in resolved}
    return [pin for pin in target.current_pins() if pin.name not in names]


def create_wired_venv(locations: Locations, python: str | None, reporter: Reporter) -> None:
    """``pepip venv``: a new venv with nothing installed, wired to the store."""
    if locations.venv.exists():
        raise PepipError("%s already exists; remove it or pass another path" % locations.venv)
    with open_venv(locations, python) as target:
        apply_pins(target, [], UvOptions(), [], Reporter(quiet=True))
    reporter.line(
        "Created %s for Python %s, wired to the store at %s"
        % (target.venv, target.interpreter.version, target.store.root)
    )
