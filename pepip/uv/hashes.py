"""The hashes a user's requirements files allow, read as pip and uv read them.

``uv pip compile`` resolves without checking ``--hash`` options, so pepip reads them itself
and enforces them when it picks each pin's artifact (``artifacts.choose_pins``), as
``uv pip install`` does: an artifact is installed only if its hash is one the requirement
lists, and in ``--require-hashes`` mode (the option, a ``--require-hashes`` line in a file,
``UV_REQUIRE_HASHES`` or uv's ``require-hashes`` setting) every distribution needs one.

Requirement files are read line by line: ``\\`` continues a line, `` #`` starts a comment,
``-r``/``-c`` include other files (relative to the including file), and a requirement's
``--hash=sha256:...`` options (any number) are collected under its normalized name, or under
its URL for a direct reference or a path.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Final, Iterator, Sequence


from pepip.artifacts import HashPolicy, normalized
from pepip.errors import PepipError
from pepip.locations import Locations

__all__ = ["read_hash_policy", "hashes_required"]

_TRUE: Final = ("1", "true", "yes", "on")


def hashes_required(locations: Locations) -> bool:
    """Whether uv's own settings ask for ``--require-hashes``: ``UV_REQUIRE_HASHES`` or
    ``require-hashes`` in a configuration file uv reads (``[pip]``, ``[tool.uv.pip]``)."""
    if dict(locations.uv_environment).get("UV_REQUIRE_HASHES", "").lower() in _TRUE:
        return True
    if not locations.uv_config_files:
        return False
    if sys.version_info >= (3, 11):  # imported only when there is a file to read
        import tomllib
    else:  # pragma: no cover - the stdlib's tomllib is tomli
        import tomli as tomllib
    for path in locations.uv_config_files:
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise PepipError("cannot read uv's configuration %s: %s" % (path, error)) from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("uv", {})
        if data.get("pip", {}).get("require-hashes") is True:
            return True
    return False

_HASH: Final = re.compile(r"--hash[=\s]+(\w+):([0-9a-fA-F]+)")
_INCLUDE: Final = re.compile(r"^(-r|--requirement|-c|--constraint)[=\s]+(.+)$")
_OPTION_PREFIXES: Final = ("-", "--")


def read_hash_policy(files: Sequence[Path], required: bool) -> HashPolicy:
    """The hashes ``files`` (and the files they include) give, and whether all are required."""
    by_name: dict[str, set[str]] = {}
    by_url: dict[str, set[str]] = {}
    seen: set[Path] = set()
    for path in files:
        if path.suffix == ".toml" or path.name == "uv.lock":
            continue  # pyproject.toml holds no hashes; uv.lock's are the artifacts uv resolves
        for line in _logical_lines(path, seen):
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
                    "%s: pepip checks sha256 hashes only, not %s" % (path, ", ".join(sorted(algorithms - {"sha256"})))
                )
            hashes = {"sha256:" + value.lower() for _, value in found}
            name, urls = _requirement_key(requirement, path.parent)
            for url in urls:
                by_url.setdefault(url, set()).update(hashes)
            if name is not None:
                by_name.setdefault(name, set()).update(hashes)
    return HashPolicy(
        required,
        {name: frozenset(values) for name, values in by_name.items()},
        {url: frozenset(values) for url, values in by_url.items()},
    )


def _logical_lines(path: Path, seen: set[Path]) -> Iterator[str]:
    """Lines of ``path`` and the files it includes, continuations joined, comments dropped."""
    resolved = path.resolve()
    if resolved in seen:
        return
    seen.add(resolved)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return  # uv, which reads every file next, says what is wrong with it
    pending = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if not line:
            continue
        include = _INCLUDE.match(line)
        if include:
            nested = Path(include.group(2).strip())
            yield from _logical_lines(nested if nested.is_absolute() else path.parent / nested, seen)
            continue
        yield line


def _requirement_key(text: str, base: Path) -> tuple[str | None, list[str]]:
    """The normalized name and the URLs (of a direct reference, or of a path taken relative
    to the file or to the current directory) a line names."""
    from packaging.requirements import InvalidRequirement, Requirement  # only for files

    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        local = Path(text)
        places = [local] if local.is_absolute() else [base / local, local]
        return None, sorted({place.resolve().as_uri() for place in places})
    return normalized(requirement.name), [requirement.url] if requirement.url else []
