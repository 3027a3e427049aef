"""What the venv has, offered to ``uv pip compile`` as candidates, as ``uv pip install`` uses it.

``uv pip install`` resolves the request with the venv's installed distributions as
candidates, and prefers them: a dependency that is installed stays at its version even
when no index or ``--find-links`` folder of this command offers that version (it came from
another index, a folder the command does not name, a URL or an editable project), and it is
not fetched again. ``uv pip compile`` knows no venv; pepip tells it by writing, per
installed distribution, a wheel that holds only its dist-info (the installed ``METADATA``:
same name, version and dependencies) into a ``--find-links`` folder of the resolution. The
venv's versions are also the resolution's preferences (``OpenVenv.preferences``), so uv picks
the installed version unless the request needs another. Under ``--upgrade`` uv drops the
preferences but still counts what is installed as a candidate: a newer version from an
index replaces it, an installed version newer than any the indexes offer stays. The
offered wheels do the same.

Writing them costs about a millisecond a distribution, so the resolution first runs without
them: when it keeps every installed distribution it reaches at its version (which the
preferences ask, and the indexes then offer), offering them would change nothing. Only a
resolution that fails, or moves an installed distribution (``moves_installed``), is run
again with them. Those wheels exist only for that resolution: their artifacts are taken out
of what it returns (``without_offered``), and the caller keeps the installed distribution
for a package resolved at the installed version.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

from pepip.artifacts import LockedPackage, normalized

__all__ = ["Installed", "write_offers", "write_offer_wheel", "wheel_name", "without_offered", "moves_installed"]


@dataclass(frozen=True)
class Installed:
    """One installed distribution: its name and version, its dist-info's ``METADATA``, and
    what it was installed from (an artifact's identity; a remembered resolution keys on it)."""

    name: str
    version: str
    metadata: Path
    origin: str


def write_offers(directory: Path, installed: Sequence[Installed]) -> None:
    """Write a dist-info-only wheel for each of ``installed`` into ``directory``.

    A distribution whose ``METADATA`` cannot be read is left out: uv then resolves it from
    the indexes as before.
    """
    directory.mkdir(parents=True, exist_ok=True)
    for item in installed:
        try:
            metadata = item.metadata.read_bytes()
        except OSError:
            continue
        write_offer_wheel(directory / wheel_name(item.name, item.version), item.name, item.version, metadata)


def wheel_name(name: str, version: str, build: str = "", tags: str = "py3-none-any") -> str:
    """A wheel's file name (``zope.interface``, ``5.0`` -> ``zope_interface-5.0-py3-none-any.whl``)."""
    return "-".join([_escaped(name), version, *([build] if build else []), tags]) + ".whl"


def write_offer_wheel(path: Path, name: str, version: str, metadata: bytes, tags: Sequence[str] = ("py3-none-any",)) -> None:
    """Write at ``path`` a wheel of a dist-info alone: ``metadata`` is all uv reads of a
    candidate (name, version, dependencies, ``Requires-Python``); nothing in it installs."""
    stem = "%s-%s" % (_escaped(name), version)
    wheel = "Wheel-Version: 1.0\nGenerator: pepip (offered metadata)\nRoot-Is-Purelib: true\n"
    files = {
        stem + ".dist-info/METADATA": metadata,
        stem + ".dist-info/WHEEL": (wheel + "".join("Tag: %s\n" % tag for tag in tags)).encode(),
    }
    record = "".join("%s,%s,%d\n" % (member, _record_hash(data), len(data)) for member, data in files.items())
    files[stem + ".dist-info/RECORD"] = (record + stem + ".dist-info/RECORD,,\n").encode()
    import zipfile  # only a resolution that offers installed or stored builds needs it

    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)


def without_offered(packages: Sequence[LockedPackage], directory: Path) -> list[LockedPackage]:
    """``packages`` without the artifacts ``write_offers`` made: a package resolved at an
    installed version that no index offers is left with none (the caller keeps it installed)."""
    directory = directory.resolve()
    kept = []
    for package in packages:
        candidates = tuple(
            artifact for artifact in package.candidates
            if artifact.local_path is None or not artifact.local_path.resolve().is_relative_to(directory)
        )
        kept.append(replace(package, candidates=candidates))
    return kept


def moves_installed(packages: Sequence[LockedPackage], installed: Sequence[Installed], upgrade: bool) -> bool:
    """Whether a resolution made without the installed candidates could differ from one
    with them: it resolves an installed distribution at another version (with ``upgrade``,
    at an older one: uv takes the newest of the indexes' and the installed version)."""
    from packaging.version import InvalidVersion, Version

    versions = {normalized(item.name): item.version for item in installed}
    for package in packages:
        version = versions.get(package.name)
        if version is None or package.version is None or package.version == version:
            continue
        if not upgrade:
            return True
        try:
            if Version(package.version) < Version(version):
                return True
        except InvalidVersion:
            return True
    return False


def _escaped(name: str) -> str:
    """A name as wheel file names spell it (``zope.interface`` -> ``zope_interface``)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
