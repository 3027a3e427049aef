"""``pepip install``: resolve the request together with what the venv has, then apply it.

Like ``uv pip install``: what the venv has stays unless the request needs it changed (its
versions are preferences, not constraints), and earlier requests do not bind a new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pepip.apply import apply_pins, requested_names
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.manifest import DistRecord
from pepip.plan import Plan
from pepip.report import Reporter
from pepip.resolve import NormalizedName, Pin, UvOptions, parse_request, resolve_pins
from pepip.target import open_target

__all__ = ["InstallRequest", "install", "check_files"]


@dataclass(frozen=True)
class InstallRequest:
    """What the user asked ``pepip install`` for."""

    requirements: tuple[str, ...] = ()
    requirement_files: tuple[Path, ...] = ()
    python: str | None = None
    options: UvOptions = UvOptions()


def check_files(paths: tuple[Path, ...]) -> None:
    """Fail early, with the file's name, on a requirements or constraints file that is absent."""
    for path in paths:
        if not path.is_file():
            raise PepipError("requirements file %s does not exist" % path)


def install(locations: Locations, request: InstallRequest, reporter: Reporter) -> Plan:
    """Install the requested distributions into the venv; return what changed."""
    for requirement in request.requirements:
        parse_request(requirement)
    check_files(request.requirement_files + request.options.constraints)
    if not request.requirements and not request.requirement_files:
        raise PepipError("nothing to install; name packages or pass -r FILE")
    with open_target(locations, request.python) as target:
        current = target.manifest.dists
        with reporter.step("resolve", "Resolving"):
            pins = resolve_pins(
                locations.uv,
                target.python,
                list(request.requirements) + _kept_installs(current, request.requirements),
                request.requirement_files,
                [Pin(NormalizedName(r.name), r.version) for r in current if " @ " not in r.source],
                request.options,
            )
        reporter.line("Resolved %d packages in %s" % (len(pins), reporter.took("resolve")))
        requests = _merged_requests(target.manifest.requests, request.requirements)
        return apply_pins(target, pins, request.options, requests, reporter)


def _merged_requests(previous: list[str], new: tuple[str, ...]) -> list[str]:
    """The venv's requests with the new ones replacing earlier requests of the same name."""
    new_names = requested_names(list(new))
    return [text for text in previous if not requested_names([text]) & new_names] + list(new)


def _kept_installs(current: list[DistRecord], requests: tuple[str, ...]) -> list[str]:
    """Installed distributions the new request does not name: kept, unpinned.

    The installed versions are only preferences (``resolve_pins``), so a conflicting
    request moves them, as ``uv pip install`` would.
    """
    named = requested_names(list(requests))
    return [
        record.source if " @ " in record.source else record.name
        for record in current
        if record.name not in named
    ]
