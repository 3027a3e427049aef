"""Which artifact of each resolved distribution pepip installs, and the hashes that may decide it.

A resolution (``artifacts.LockedPackage``) names every artifact uv would accept for a
distribution; ``uv pip install`` installs one of them, the compatible wheel whose tag ranks
best for the interpreter, else the sdist. pepip picks that same one (``choose_pins``), so the
store entry it serves is built from what uv would have installed. With ``--hash`` lines
(``HashPolicy``, read from requirement files by ``pepip.uv.hashes``) only artifacts of those
hashes count, as pip and uv check them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from pepip.artifacts import Artifact, LockedPackage, Pin, canonical_url
from pepip.errors import PepipError

__all__ = ["HashPolicy", "choose_pins"]


@dataclass(frozen=True)
class HashPolicy:
    """The hashes the user's requirements allow (``--hash``), and whether all need one.

    ``by_url`` keys are canonical URLs (``canonical_url``): a path reached through a
    symlinked directory or with ``..`` is the file uv resolved. ``unnamed`` lists the hashed
    lines that name a path or URL only, with their URLs: each must match an artifact of
    the resolution, or its hash would go unchecked (``check_matched``).
    """

    required: bool = False
    by_name: Mapping[str, frozenset[str]] = field(default_factory=dict)
    by_url: Mapping[str, frozenset[str]] = field(default_factory=dict)
    unnamed: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def allowed(self, package: LockedPackage) -> frozenset[str] | None:
        """``sha256:<hex>`` values allowed for ``package``; ``None`` when it is not checked."""
        if self.by_url:
            for artifact in package.candidates:
                url = canonical_url(artifact.url)
                if url in self.by_url:
                    return self.by_url[url]
        return self.by_name.get(package.name)

    def check_matched(self, packages: Sequence[LockedPackage]) -> None:
        """Fail for a hashed path or URL line that no artifact of ``packages`` comes from."""
        if not self.unnamed:
            return
        urls = {canonical_url(artifact.url) for package in packages for artifact in package.candidates}
        for text, keys in self.unnamed:
            if not urls.intersection(keys):
                raise PepipError(
                    "hash mismatch for %s: no artifact uv resolved comes from it, so its --hash cannot be checked"
                    % text
                )



def choose_pins(packages: Iterable[LockedPackage], priority: Mapping[str, int], policy: HashPolicy) -> list[Pin]:
    """The artifact ``uv pip install`` would install for each package, as pins.

    That is the compatible wheel whose tag ranks best for the interpreter, else the sdist (or
    the one direct reference); with ``--hash`` only artifacts of those hashes count. A hash
    mismatch, a hashed path no artifact comes from, or a package without a hash in
    ``--require-hashes`` mode, is an error.
    """
    packages = list(packages)
    policy.check_matched(packages)
    pins = []
    for package in packages:
        allowed = policy.allowed(package)
        spec = "%s==%s" % (package.name, package.version) if package.version else package.name
        if allowed is None and policy.required:
            raise PepipError(
                "in --require-hashes mode every requirement needs a hash, but none was given for %s" % spec
            )
        candidates = [
            artifact for artifact in package.candidates
            if allowed is None or "sha256:" + artifact.sha256 in allowed
        ]
        if not candidates:
            known = ", ".join(sorted("sha256:" + a.sha256 for a in package.candidates if a.sha256)) or "none"
            raise PepipError(
                "hash mismatch for %s: the requirements allow %s, its artifacts have %s"
                % (spec, ", ".join(sorted(allowed or ())), known)
            )
        pins.append(_pin(package, _best(candidates, priority, spec)))
    return pins


def _best(candidates: Sequence[Artifact], priority: Mapping[str, int], spec: str) -> Artifact:
    ranked = []
    for artifact in candidates:
        tags = artifact.wheel_tags()
        if tags is None:
            continue
        rank = min((priority[tag] for tag in tags if tag in priority), default=None)
        if rank is not None:
            ranked.append((rank, artifact.location, artifact))
    if ranked:
        return min(ranked)[2]
    others = [artifact for artifact in candidates if artifact.kind != "wheel"]
    if not others:
        raise PepipError("no wheel of %s fits this interpreter, and it has no source distribution" % spec)
    return others[0]


def _pin(package: LockedPackage, artifact: Artifact) -> Pin:
    url = artifact.requirement_url if artifact.direct else None
    return Pin(package.name, package.version, url, artifact)
