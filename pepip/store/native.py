"""Native libraries that reach into sibling distributions, and how a venv preloads them.

torch's CUDA builds carry ``RPATH $ORIGIN/../../nvidia/<lib>/lib``: they expect the
``nvidia-*`` distributions beside them in one site-packages. From a store entry that path
leads nowhere. At store time pepip reads each ELF file's RPATH/RUNPATH and DT_NEEDED (a
small parser, no tools needed) and records the ``$ORIGIN`` directories that leave the
distribution. When a venv is wired, those directories are looked up in the venv's other
distributions, and the runtime loads the libraries found there (``RTLD_GLOBAL``) right before
the first import of the package that needs them: the dynamic linker then finds them loaded
by soname.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

__all__ = ["NativeReach", "scan_native_reach", "elf_dynamic", "preload_paths"]

_DT_NEEDED, _DT_STRTAB, _DT_RPATH, _DT_RUNPATH = 1, 5, 15, 29
_PT_LOAD, _PT_DYNAMIC = 1, 2


@dataclass(frozen=True)
class NativeReach:
    """What one distribution's native code needs from outside it."""

    directories: tuple[str, ...]  # site-relative, e.g. nvidia/cublas/lib
    libraries: tuple[str, ...]  # DT_NEEDED names not found inside the distribution

    def to_fact(self) -> str:
        """The ENTRY line value."""
        return "%s;%s" % (",".join(self.directories), ",".join(self.libraries))

    @classmethod
    def from_fact(cls, text: str) -> NativeReach:
        """Parse ``to_fact`` output."""
        directories, _, libraries = text.partition(";")
        return cls(tuple(filter(None, directories.split(","))), tuple(filter(None, libraries.split(","))))


def elf_dynamic(handle: BinaryIO) -> tuple[list[str], list[str]] | None:
    """``(needed, search paths)`` of an ELF file, or ``None`` if it is not a dynamic ELF."""
    header = handle.read(64)
    if len(header) < 52 or header[:4] != b"\x7fELF":
        return None
    wide, order = header[4] == 2, "<" if header[5] == 1 else ">"
    if wide:
        phoff, = struct.unpack_from(order + "Q", header, 0x20)
        phentsize, phnum = struct.unpack_from(order + "HH", header, 0x36)
        program, dyn = order + "IIQQQQQQ", order + "qQ"
    else:
        phoff, = struct.unpack_from(order + "I", header, 0x1C)
        phentsize, phnum = struct.unpack_from(order + "HH", header, 0x2A)
        program, dyn = order + "IIIIIIII", order + "iI"
    loads, dynamic = [], None
    for index in range(phnum):
        handle.seek(phoff + index * phentsize)
        fields = struct.unpack(program, handle.read(struct.calcsize(program)))
        if wide:
            kind, offset, vaddr, filesz = fields[0], fields[2], fields[3], fields[5]
        else:
            kind, offset, vaddr, filesz = fields[0], fields[1], fields[2], fields[4]
        if kind == _PT_LOAD:
            loads.append((vaddr, offset, filesz))
        elif kind == _PT_DYNAMIC:
            dynamic = (offset, filesz)
    if dynamic is None:
        return None
    handle.seek(dynamic[0])
    raw = handle.read(dynamic[1])
    entries = list(struct.iter_unpack(dyn, raw[: len(raw) - len(raw) % struct.calcsize(dyn)]))
    strtab = next((value for tag, value in entries if tag == _DT_STRTAB), None)
    if strtab is None:
        return None
    base = next((off + strtab - va for va, off, size in loads if va <= strtab < va + size), strtab)

    def string(offset: int) -> str:
        handle.seek(base + offset)
        data = handle.read(4096)
        return data[: data.find(b"\0")].decode("utf-8", "replace")

    needed = [string(value) for tag, value in entries if tag == _DT_NEEDED]
    paths = [p for tag, value in entries if tag in (_DT_RPATH, _DT_RUNPATH) for p in string(value).split(":")]
    return needed, paths


def scan_native_reach(site: Path, files: Iterable[str]) -> NativeReach | None:
    """The ``$ORIGIN`` directories outside the distribution its ELF files search, if any.

    ``files`` are the distribution's site-relative paths; ``site`` holds them.
    """
    files = list(files)
    own = {f.rpartition("/")[0] or "." for f in files}  # as Path(f).parent.as_posix() gives them
    names = {f.rpartition("/")[2] for f in files}
    directories: set[str] = set()
    libraries: set[str] = set()
    for relative in files:
        if not (relative.endswith(".so") or ".so." in relative):
            continue
        try:
            with open(site / relative, "rb") as handle:
                found = elf_dynamic(handle)
        except OSError:
            continue
        if found is None:
            continue
        needed, paths = found
        origin = Path(relative).parent.as_posix()
        for path in paths:
            if "$ORIGIN" not in path and "${ORIGIN}" not in path:
                continue
            resolved = os.path.normpath(path.replace("${ORIGIN}", origin).replace("$ORIGIN", origin))
            if not resolved.startswith("..") and resolved not in own:
                directories.add(Path(resolved).as_posix())
        libraries.update(name for name in needed if name not in names)
    if not directories:
        return None
    return NativeReach(tuple(sorted(directories)), tuple(sorted(libraries)))


def preload_paths(reach: NativeReach, providers: Iterable[Path]) -> list[str]:
    """Absolute paths of the needed libraries found in the venv's other distributions."""
    found = []
    for site_dir in providers:
        for directory in reach.directories:
            for library in reach.libraries:
                candidate = site_dir / directory / library
                if candidate.is_file():
                    found.append(str(candidate))
    return found
