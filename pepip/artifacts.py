"""What a pin is built from: the exact artifact uv resolved, and the identity the store keys it by.

uv's cache keys what it keeps by where an artifact came from and its hash; the store does
the same. A resolution names, for every distribution, the artifacts uv would accept for the
interpreter (wheels, an sdist, an archive URL or path, a source tree, a VCS commit), each
with its sha256 where uv knows it (``LockedPackage``, read from uv's ``pylock.toml`` by
``pepip.uv.pylock``). pepip picks the one ``uv pip install`` would install
(``pepip.selection``), fetches exactly that one, and serves the pin from the store only from
an entry built from that same artifact.

Identities (hashed into the entry's directory name, written in full into its ``ENTRY``):

==========  ==========================================  ================================
kind        where from                                  identity
==========  ==========================================  ================================
wheel       an index or a ``--find-links`` location     ``sha256:<hex>``
sdist       the same, built for the interpreter         ``sha256:<hex>``
archive     a direct URL or a path to a wheel or sdist  ``<url>#sha256:<hex>``
directory   a local source tree                         ``<url>#tree:<digest of content>``
vcs         a VCS URL                                   ``<url>@<commit>``
==========  ==========================================  ================================

An archive's identity includes its URL because the installed dist-info records it
(``direct_url.json``, so ``pip freeze`` prints ``name @ url``): the same bytes from an index
make a different installation.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NewType
from urllib.parse import quote, unquote, urlsplit

from pepip.names import normalized_name
from pepip.tag_sets import expand_tags

__all__ = [
    "NormalizedName",
    "normalized",
    "Pin",
    "Artifact",
    "LockedPackage",
    "canonical_url",
    "tree_digest",
    "identity_key",
    "url_request_key",
]

# Directories a tool writes anywhere in a source tree (version control, bytecode, caches):
# not part of what it is, at any depth.
_TREE_SKIPPED = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
# Directories a build or a tool writes at a project's root. Deeper down the same names are
# code (pip's own ``pip/_internal/operations/build/``), so they are skipped at the root only.
_TREE_ROOT_SKIPPED = frozenset({".venv", "venv", "build", "dist", ".tox", ".nox", "node_modules", ".eggs"})
_KINDS = ("wheel", "sdist", "archive", "directory", "vcs")
_SHA256 = re.compile("[0-9a-f]{64}")


NormalizedName = NewType("NormalizedName", str)


def normalized(name: str) -> NormalizedName:
    """A distribution name as PEP 503 compares it (``Foo.Bar_baz`` -> ``foo-bar-baz``).

    packaging's ``canonicalize_name`` does the same, but importing ``packaging.utils``
    loads ``packaging.tags`` too: a third of a remembered install's start-up.
    """
    return NormalizedName(normalized_name(name))


@dataclass(frozen=True)
class Artifact:
    """One artifact of a distribution, as uv's pylock names it."""

    kind: str
    location: str  # a URL, or (``is_path``) an absolute path
    is_path: bool = False
    sha256: str = ""
    tree: str = ""  # a directory's content digest, taken when it was resolved
    extra: tuple[tuple[str, str], ...] = ()  # vcs: type, commit-id...; directory: editable...

    @property
    def url(self) -> str:
        """The location as a URL (``file://`` for a path)."""
        return Path(self.location).as_uri() if self.is_path else self.location

    @property
    def identity(self) -> str:
        """What the store keys an entry built from this artifact by (see the module doc)."""
        if self.kind in ("wheel", "sdist"):
            return "sha256:" + self.sha256 if self.sha256 else self.url
        if self.kind == "archive":
            return "%s#sha256:%s" % (self.url, self.sha256)
        if self.kind == "directory":
            return "%s#tree:%s" % (self.url, self.tree)
        return "%s@%s" % (self.url, dict(self.extra).get("commit-id", ""))

    @property
    def requirement_url(self) -> str:
        """The URL of a direct reference to it, as ``pip freeze`` and uv print one: a VCS
        artifact as ``git+<url>@<commit>`` (with its ``#subdirectory=``)."""
        if self.kind != "vcs":
            return self.url
        extra = dict(self.extra)
        url = "%s+%s" % (extra.get("type", "git"), self.url)
        if extra.get("commit-id"):
            url += "@" + extra["commit-id"]
        if extra.get("subdirectory"):
            url += "#subdirectory=" + extra["subdirectory"]
        return url

    @property
    def request_key(self) -> str:
        """Its URL as ``url_request_key`` reads a requested one (a VCS URL without ``.git``)."""
        if self.kind != "vcs":
            return canonical_url(self.url.split("#", 1)[0])
        url = self.url.split("#", 1)[0].rstrip("/")
        return canonical_url(url[: -len(".git")] if url.endswith(".git") else url)

    @property
    def local_path(self) -> Path | None:
        """The file or directory on this machine the artifact is, or ``None`` for a remote one."""
        if self.is_path:
            return Path(self.location)
        if self.kind != "vcs" and self.location.startswith("file:"):
            return Path(_file_url_path(self.location))
        return None

    @property
    def located(self) -> bool:
        """Whether it says where it is: a path or a URL, not a wheel's file name alone (the
        pin of an offline resolution for an entry no record locates, ``pepip.store.offline``)."""
        return self.is_path or ":" in self.location

    @property
    def key(self) -> str:
        """The identity's digest: the last part of an entry's directory name."""
        return identity_key(self.identity)

    @property
    def direct(self) -> bool:
        """True for a direct reference (``name @ url``): an archive, a tree or a VCS URL."""
        return self.kind in ("archive", "directory", "vcs")

    @property
    def editable(self) -> bool:
        """A source tree to be installed in editable mode: into the venv, never the store."""
        return self.kind == "directory" and dict(self.extra).get("editable") == "true"

    def wheel_tags(self) -> list[str] | None:
        """The tags a wheel's file name carries; ``None`` for anything else."""
        if self.kind != "wheel":
            return None
        if self.is_path:
            filename = os.path.basename(self.location)
        else:
            filename = unquote(self.location.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1])
        parts = filename[: -len(".whl")].split("-") if filename.endswith(".whl") else []
        if len(parts) not in (5, 6):
            return []  # not a wheel's name: compatible with nothing
        return expand_tags("-".join(parts[-3:]))

    def to_text(self) -> str:
        """One line, ``key=value`` pairs, values quoted: how manifests and resolutions keep it."""
        pairs = [("kind", self.kind), ("path" if self.is_path else "url", self.location)]
        pairs += [(name, value) for name, value in (("sha256", self.sha256), ("tree", self.tree)) if value]
        pairs += [("x-" + name, value) for name, value in self.extra]
        return " ".join("%s=%s" % (name, quote(value, safe="/:@")) for name, value in pairs)

    @classmethod
    def from_text(cls, text: str) -> Artifact:
        """Read ``to_text``'s line; ``ValueError`` on anything else."""
        pairs = [part.partition("=") for part in text.split(" ") if part]
        values = {name: unquote(value) for name, _, value in pairs}
        kind = values.get("kind", "")
        sha256 = values.get("sha256", "")
        if kind not in _KINDS or ("url" in values) == ("path" in values) or not _SHA256.fullmatch(sha256 or "0" * 64):
            raise ValueError("not an artifact: %s" % text[:80])
        return cls(
            kind,
            values.get("path", values.get("url", "")),
            "path" in values,
            sha256,
            values.get("tree", ""),
            tuple((name[2:], value) for name, value in values.items() if name.startswith("x-")),
        )

@dataclass(frozen=True)
class Pin:
    """One resolved distribution: an exact version from an index, or a direct URL, and the
    artifact it is built from (``None`` for a version the resolution prefers, and for a
    distribution pip or uv installed that stays as it is: neither is stored or linked)."""

    name: NormalizedName
    version: str | None
    url: str | None = None
    artifact: Artifact | None = None

    @property
    def spec(self) -> str:
        """The requirement that asks uv for this distribution."""
        if self.url is not None:
            return "%s @ %s" % (self.name, self.url)
        return "%s==%s" % (self.name, self.version)

    @property
    def identity(self) -> str:
        """The artifact's identity, ``""`` when unknown."""
        return "" if self.artifact is None else self.artifact.identity


def identity_key(identity: str) -> str:
    """The digest of an artifact identity used in entry directory names."""
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class LockedPackage:
    """A resolved distribution with every artifact uv would accept for it, best first."""

    name: NormalizedName
    version: str | None
    candidates: tuple[Artifact, ...]

    def to_line(self) -> str:
        """A line of a remembered resolution."""
        return "\t".join([self.name, self.version or "", *(item.to_text() for item in self.candidates)])

    @classmethod
    def from_line(cls, line: str) -> LockedPackage:
        """Read ``to_line``'s output (a source tree's digest as it was when resolved: whoever
        recalls it checks that it still is, ``pepip.uv.resolutions``)."""
        name, version, *artifacts = line.split("\t")
        candidates = tuple(Artifact.from_text(text) for text in artifacts)
        return cls(NormalizedName(name), version or None, candidates)


def canonical_url(url: str) -> str:
    """A ``file:`` URL with symlinks and ``..`` resolved (other URLs as they are): the one
    spelling both sides of a hash check compare (a requirement's path, uv's artifact)."""
    if not url.startswith("file:"):
        return url
    return Path(os.path.realpath(_file_url_path(url))).as_uri()


def _file_url_path(url: str) -> str:
    """The path of a ``file:`` URL (``file:///C:/x`` is ``C:/x`` on Windows)."""
    path = unquote(urlsplit(url).path)
    if os.name == "nt" and re.match(r"/[A-Za-z]:", path):
        path = path[1:]
    return path


def tree_digest(root: Path) -> str:
    """A digest of a source tree's files (names and contents), without build and tool output.

    What is left out must never be code the build packages: an edit there would leave the
    digest, and so the store entry, as it was (``_TREE_ROOT_SKIPPED``).
    """
    digest = hashlib.sha256()
    for directory, subdirs, files in os.walk(root):
        skipped = _TREE_SKIPPED | _TREE_ROOT_SKIPPED if directory == str(root) else _TREE_SKIPPED
        subdirs[:] = sorted(d for d in subdirs if d not in skipped and not d.endswith(".egg-info"))
        for name in sorted(files):
            path = os.path.join(directory, name)
            digest.update(os.path.relpath(path, root).encode("utf-8", "surrogateescape") + b"\0")
            try:
                with open(path, "rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
            except OSError:  # a dangling link, a socket: its name is all there is
                pass
            digest.update(b"\0")
    return digest.hexdigest()[:32]


def url_request_key(url: str) -> str:
    """The URL a direct reference (``https://.../x.whl``, ``git+https://host/repo@v1``) names
    an artifact by, as uv's resolution writes it: no VCS prefix, revision or fragment, a
    ``file:`` path resolved (``canonical_url``). Compare with ``Artifact.request_key``."""
    url = url.strip().split("#", 1)[0]
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    if "+" in scheme:  # git+https: the revision follows the path's first `@`
        scheme = scheme.split("+", 1)[1]
        host, slash, path = rest.partition("/")
        rest = host + slash + path.partition("@")[0]
        rest = rest.rstrip("/")
        rest = rest[: -len(".git")] if rest.endswith(".git") else rest
    return canonical_url(scheme + "://" + rest)
