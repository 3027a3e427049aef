"""The options pepip passes through to uv: where distributions come from, which versions
count, and what the resolution may change (``--index-url``, ``--upgrade``, ``--extra``...).

Declared once here as ``UvOptions`` and rendered per uv command (``uv pip compile`` takes
what changes a resolution, every command where distributions come from); the command line
builds them from its option table (``pepip.install_line``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["UvOptions"]


@dataclass(frozen=True)
class UvOptions:
    """Index and resolution options passed through to every uv call."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    pre: bool = False
    constraints: tuple[Path, ...] = ()
    upgrade: bool = False
    extras: tuple[str, ...] = ()
    all_extras: bool = False
    groups: tuple[str, ...] = ()
    require_hashes: bool = False  # every requirement needs a --hash (checked by pepip.uv.hashes)
    upgrade_packages: tuple[str, ...] = ()  # -P: these may move to newer versions
    no_deps: bool = False  # the request alone, none of its dependencies
    offline: bool = False  # uv's cache and local locations only (UV_OFFLINE reaches uv too)
    no_build_isolation: bool = False  # builds use the venv's packages, not a fresh environment
    index_strategy: str | None = None  # uv's --index-strategy
    torch_backend: str | None = None  # uv's --torch-backend
    no_binary: tuple[str, ...] = ()  # packages (or :all:) built from their sdist, never a wheel
    only_binary: tuple[str, ...] = ()  # packages (or :all:) taken from wheels only
    exclude_newer: str | None = None  # uv's --exclude-newer: no distribution uploaded after it

    def selection_args(self) -> list[str]:
        """``--extra``/``--all-extras``/``--group``: which optional parts of a project to take."""
        args: list[str] = []
        for extra in self.extras:
            args += ["--extra", extra]
        if self.all_extras:
            args.append("--all-extras")
        return args + self.group_args()

    def group_args(self) -> list[str]:
        """``--group [PATH:]NAME``: a dependency group (PEP 735), as ``uv pip install`` reads it."""
        return [arg for group in self.groups for arg in ("--group", group)]

    def group_files(self, base: Path) -> list[Path]:
        """The ``pyproject.toml`` files the groups come from (``base``'s when no path is given)."""
        files = []
        for group in self.groups:
            path, colon, _name = group.rpartition(":")
            files.append(Path(path) if colon and Path(path).is_absolute() else base / (path if colon else "pyproject.toml"))
        return files

    def resolution_args(self) -> list[str]:
        """Options that change what the resolution picks, for ``uv pip compile`` only."""
        args = ["--upgrade"] if self.upgrade else []
        for name in self.upgrade_packages:
            args += ["--upgrade-package", name]
        if self.no_deps:
            args.append("--no-deps")
        if self.exclude_newer:
            args += ["--exclude-newer", self.exclude_newer]
        return args

    def index_args(self) -> list[str]:
        """Where distributions come from and which versions count (resolve and fetch alike)."""
        args: list[str] = []
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for location in self.find_links:
            args += ["--find-links", location]
        if self.no_index:
            args.append("--no-index")
        if self.pre:
            args += ["--prerelease", "allow"]
        if self.offline:
            args.append("--offline")
        if self.no_build_isolation:
            args.append("--no-build-isolation")
        if self.index_strategy:
            args += ["--index-strategy", self.index_strategy]
        if self.torch_backend:
            args += ["--torch-backend", self.torch_backend]
        for name in self.no_binary:
            args += ["--no-binary", name]
        for name in self.only_binary:
            args += ["--only-binary", name]
        return args
