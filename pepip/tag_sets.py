"""Compressed wheel tag sets (``py2.py3-none-any``), as wheel file names and store entry
names write them, and the tags they stand for (PEP 425, "Compressed Tag Sets")."""

from __future__ import annotations

from typing import Iterable

__all__ = ["expand_tags", "compress_tags"]


def expand_tags(tag_set: str) -> list[str]:
    """The tags a compressed tag set names (``py2.py3-none-any`` -> ``py2-none-any``,
    ``py3-none-any``), lower case as ``packaging.tags.Tag`` writes them."""
    interpreters, abis, platforms = tag_set.lower().split("-")
    return [
        "%s-%s-%s" % (interpreter, abi, platform)
        for interpreter in interpreters.split(".")
        for abi in abis.split(".")
        for platform in platforms.split(".")
    ]


def compress_tags(tags: Iterable[str]) -> str:
    """One tag set naming ``tags`` (``py2-none-any``, ``py3-none-any`` -> ``py2.py3-none-any``),
    each part's values in the order they first appear; ``py3-none-any`` for no tags."""
    interpreters: list[str] = []
    abis: list[str] = []
    platforms: list[str] = []
    for tag in tags:
        interpreter, abi, platform = tag.split("-")
        for seen, item in ((interpreters, interpreter), (abis, abi), (platforms, platform)):
            if item not in seen:
                seen.append(item)
    if not interpreters:
        return "py3-none-any"
    return "-".join(".".join(items) for items in (interpreters, abis, platforms))
