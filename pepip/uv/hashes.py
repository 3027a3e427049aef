"""The hashes a user's requirements files allow, read as pip and uv read them.

``uv pip compile`` resolves without checking ``--hash`` options, so pepip reads them itself
and enforces them when it picks each pin's artifact (``selection.choose_pins``), as
``uv pip install`` does: an artifact is installed only if its hash is one the requirement
lists, and in ``--require-hashes`` mode (the option, a ``--require-hashes`` line in a file,
``UV_REQUIRE_HASHES`` or uv's ``require-hashes`` setting) every distribution needs one.

Requirement files are read as uv reads them (``pepip.uv.requirement_files``), and a
requirement's ``--hash=sha256:...`` options (any number) are collected under its normalized
name, or under its canonical URL (symlinks and ``..`` resolved) for a direct reference or a
path.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final, Sequence


from pepip.artifacts import canonical_url, normalized
from pepip.selection import HashPolicy
from pepip.errors import PepipError
from pepip.locations import Locations
from pepip.uv.requirement_files import logical_lines, looks_like_path

__all__ = ["read_hash_policy", "hashes_required"]

_TRUE: Final = ("1", "true", "yes", "on")


def hashes_required(locations: Locations) -> bool:
    """Whether uv's own settings ask for ``--require-hashes``: ``UV_REQUIRE_HASHES`` or
    ``require-hashes`` in a configuration file uv reads (``[pip]``, ``[tool.uv.pip]``)."""
    if dict(locations.uv_environment).get("UV_REQUIRE_HASHES", "").lower() in _TRUE:
        return True
    if not locations.uv_config_files:
        return False
    from pepip import toml  # imported only when there is a file to read
    for path in locations.uv_config_files:
        try:
            data = toml.loads(path.read_text(encoding="utf-8-sig"))  # uv takes a BOM
        except (OSError, ValueError) as error:
            raise PepipError("cannot read uv's configuration %s: %s" % (path, error)) from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("uv", {})
        if data.get("pip", {}).get("require-hashes") is True:
            return True
    return False

_HASH: Final = re.compile(r"--hash[=\s]+(\w+):([0-9a-fA-F]+)")
_OPTION_PREFIXES: Final = ("-", "--")


def read_hash_policy(files: Sequence[Path], required: bool, project_dir: Path) -> HashPolicy:
    """The hashes ``files`` (and the files they include) give, and whether all are required.

    A hashed line must name a distribution or an existing path (relative to ``project_dir``,
    as uv takes it): anything else (a first line with a byte-order mark read as part of the
    name, a typo) would leave its hash unchecked, so it is an error.
    """
    by_name: dict[str, set[str]] = {}
    by_url: dict[str, set[str]] = {}
    unnamed: list[tuple[str, tuple[str, ...]]] = []
    seen: set[Path] = set()
    for path in files:
        if path.suffix == ".toml" or path.name == "uv.lock":
            continue  # pyproject.toml holds no hashes; uv.lock's are the artifacts uv resolves
        for source, line in logical_lines(path, seen):
            if line == "--require-hashes":
                required = True
                continue
            found = _HASH.findall(line)
            requirement = _HASH.sub("", line).strip()
            if not found or not requirement or requirement.startswith(_OPTION_PREFIXES):
                continue
            algorithms = {algorithm for algorithm, _ in found}
            if algorithms != {"sha256"}:
                raise PepipError(
                    "%s: pepip checks sha256 hashes only, not %s" % (source, ", ".join(sorted(algorithms - {"sha256"})))
                )
            hashes = {"sha256:" + value.lower() for _, value in found}
            name, urls = _requirement_key(requirement, project_dir, source)
            for url in urls:
                by_url.setdefault(url, set()).update(hashes)
            if name is not None:
                by_name.setdefault(name, set()).update(hashes)
            else:
                unnamed.append((requirement, tuple(urls)))
    return HashPolicy(
        required,
        {name: frozenset(values) for name, values in by_name.items()},
        {url: frozenset(values) for url, values in by_url.items()},
        tuple(unnamed),
    )


def _requirement_key(text: str, project_dir: Path, source: Path) -> tuple[str | None, list[str]]:
    """The normalized name and the canonical URL (``artifacts.canonical_url``) a hashed line
    names: a direct reference's, or a path's, taken relative to the current directory."""
    from packaging.requirements import InvalidRequirement, Requirement  # only for files

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        local = Path(text).expanduser()
        place = local if local.is_absolute() else project_dir / local
        if not looks_like_path(text) or not place.exists():
            raise PepipError(
                "%s: `%s` is neither a requirement nor an existing path, so its --hash cannot be "
                "checked; fix the line" % (source, text)
            ) from None
        return None, [canonical_url(place.resolve().as_uri())]
    return normalized(requirement.name), [canonical_url(requirement.url)] if requirement.url else []
