"""Creating venvs: from a wired template per interpreter, with no process on the warm path.

``uv venv`` plus wiring a fresh venv (asking the interpreter its facts, compiling the
runtime) costs ~0.25 s and three processes. pepip does that once per interpreter, into a
template in the store, and makes every later venv for that interpreter by copying the template
(a dozen small files and symlinks), writing the new path where the template's path stood.

Which interpreter ``--python`` means (uv's discovery: ``.python-version``, ``PATH``,
``UV_PYTHON``, an active venv) is asked of uv with ``uv python find`` and remembered for
``PEPIP_RESOLUTION_TTL`` seconds under a key of those inputs, like resolutions.

A template is read-only, like a store entry, and each user has their own (the user's id is
part of its key): its files, the runtime and the interpreter link among them, run in every
venv made from it, so a template, like a remembered interpreter, is used only if the user
running pepip wrote it. Copies get back the write permission the umask allows.

Layout::

    $PEPIP_HOME/v2/venv-templates/<key>/venv/   a wired, empty venv (runtime compiled), no symlinks
    $PEPIP_HOME/v2/venv-templates/<key>/links   its symlinks (`bin/python`): path, tab, target
    $PEPIP_HOME/v2/venv-templates/<key>/origin  the path it was built at (its files name it)
    $PEPIP_HOME/v2/interpreters/<key>.txt       the interpreter uv chose for a request

A template is built on the venv's own disk, beside the new venv, and copied into the store:
creating a venv never runs anything from the store's filesystem (a ``noexec`` mount; sshfs
refuses absolute symlinks).

Windows venvs hold copies of launchers rather than symlinks; there pepip runs ``uv venv``.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import time
from pathlib import Path
from typing import Final

from pepip import fsops
from pepip.errors import PepipError
from pepip.venv.interpreter import query_interpreter, venv_python, venv_version
from pepip.locations import Locations
from pepip.manifest import Manifest, write_manifest
from pepip.uv.resolve import create_venv, find_python
from pepip.store.layout import Store
from pepip.venv.wiring import wire_runtime

__all__ = ["make_venv", "check_venv_python"]

# `3`, `3.12`, `3.12.1`, `python3.12`, `cpython3.12`, `py3.12`: a version, compared without uv
_VERSION_REQUEST: Final = re.compile(r"^(?:c?python|cp|py)?(\d+(?:\.\d+){0,2})$")


def make_venv(locations: Locations, store: Store, python: str | None) -> None:
    """Create ``locations.venv`` for ``python``: a copy of the interpreter's template."""
    if os.name == "nt":
        create_venv(locations.uv, locations.venv, python)
        return
    interpreter = _remembered_python(locations, store, python)
    if store.owner is not None:
        # Root in a user's store: a template there would be the user's, and root never
        # runs what another user may change (docs/security.md). uv makes the venv.
        create_venv(locations.uv, locations.venv, str(interpreter))
        return
    try:
        template = _template(locations, store, interpreter)
    except PermissionError:  # another user's template (each user builds their own)
        create_venv(locations.uv, locations.venv, str(interpreter))
        return
    venv = locations.venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    # Copied beside and renamed into place: a command killed meanwhile leaves no half venv.
    building = fsops.make_temp_dir(venv.parent, "." + venv.name + ".pepip-new-")
    try:
        os.chmod(building, fsops.dir_mode())  # mkdtemp made it private
        _copy_template(template, building, venv)
        os.rename(building, venv)  # replaces an empty directory the user made
    except OSError:  # e.g. symlinks refused: let uv make the venv its own way
        fsops.remove_tree(building)
        create_venv(locations.uv, venv, str(interpreter))


def _remembered_python(locations: Locations, store: Store, python: str | None) -> Path:
    """``uv python find`` for this request and environment, remembered for the TTL.

    A relative path (``--python .venv/bin/python``) names another interpreter in another
    directory: it is keyed by the path it means from the current directory.
    """
    request = python or ""
    if any(separator in request for separator in ("/", os.sep)) and not Path(request).is_absolute():
        request = str(locations.project_dir.resolve() / request)
    digest = hashlib.sha256()
    for part in (request, *locations.python_discovery, _python_version_file(locations.project_dir)):
        digest.update(part.encode("utf-8") + b"\0")
    memory = store.interpreters_dir / (digest.hexdigest()[:32] + ".txt")
    try:
        if fsops.owned(memory) and time.time() - os.stat(memory).st_mtime <= locations.resolution_ttl:
            remembered = Path(memory.read_text(encoding="utf-8").strip())
            if remembered.exists():
                return remembered
    except OSError:  # none yet, or a teammate's we may not read
        pass
    found = _find_python(locations, python)
    try:
        fsops.atomic_write_text(memory, str(found) + "\n", fsops.file_mode(others_write=False), store.owner)
    except PermissionError:
        pass  # a teammate's stale answer, which the sticky bit keeps: ask uv next time too
    return found


def _find_python(locations: Locations, python: str | None) -> Path:
    """``uv python find``, its failure one line: what uv tried and that a full path works.

    Behind pyenv's shims uv tries ``~/.pyenv/shims/python3.12``, which prints a screenful
    when that version is not selected; the first line of it is the reason.
    """
    try:
        return find_python(locations.uv, python)
    except PepipError as error:
        if python is None:
            raise
        reason = error.message
        lines = [line.strip() for line in error.detail.splitlines()]
        tried = re.search(r"`([^`]+)`", reason)
        if tried and "[stderr]" in lines:
            said = next((line for line in lines[lines.index("[stderr]") + 1 :] if line), "")
            reason = "no usable Python for --python %s: uv tried %s, which %s" % (
                python, tried.group(1), "said `%s`" % said if said else "failed"
            )
        raise PepipError(
            "%s; pass the interpreter's full path instead, e.g. --python /path/to/bin/python%s"
            % (reason.rstrip("."), python if _VERSION_REQUEST.match(python) and python[:1].isdigit() else "3")
        ) from None


def check_venv_python(locations: Locations, store: Store, venv: Path, python: str) -> None:
    """Refuse ``--python`` that names another interpreter than the existing venv's.

    A venv's interpreter cannot change in place; silently keeping the old one (as pepip
    did) installs for a Python the user did not ask for. A version request is compared
    with the venv's version, a path with the venv's interpreter (symlinks followed), and
    anything else (``pypy3``, ``>=3.11``) through the interpreter uv finds for it.
    """
    version = venv_version(venv)
    venv_interpreter = venv_python(venv)
    wanted = _VERSION_REQUEST.match(python)
    if wanted is not None:
        matches = version is not None and version.split(".")[: len(wanted.group(1).split("."))] == wanted.group(1).split(".")
    elif os.sep in python or "/" in python or Path(python).is_file():
        if not Path(python).exists():
            raise PepipError(
                "--python %s does not exist; the venv %s has Python %s (leave out --python to keep it)"
                % (python, venv, version or "of unknown version")
            )
        matches = os.path.realpath(python) == os.path.realpath(venv_interpreter)
    else:
        found = _remembered_python(locations, store, python)
        matches = os.path.realpath(found) == os.path.realpath(venv_interpreter)
    if not matches:
        raise PepipError(
            "the venv %s has Python %s (%s), not %s as --python asks; to recreate it, remove it "
            "and run `pepip venv %s --python %s`, or leave out --python to keep it"
            % (venv, version or "of unknown version", os.path.realpath(venv_interpreter), python, venv, python)
        )


def _python_version_file(directory: Path) -> str:
    """The ``.python-version(s)`` uv would read from ``directory`` or a parent, with its path."""
    for candidate in [directory, *directory.parents]:
        for name in (".python-versions", ".python-version"):
            path = candidate / name
            if path.is_file():
                return "%s:%s" % (path, path.read_text(encoding="utf-8", errors="replace"))
    return ""


def _template(locations: Locations, store: Store, interpreter: Path) -> Path:
    """The wired template venv for ``interpreter``, built once (atomically) if missing."""
    info = os.stat(interpreter)
    uid = os.geteuid() if hasattr(os, "geteuid") else 0
    key = "%s\0%d\0%d\0%d" % (interpreter, info.st_mtime_ns, info.st_size, uid)
    template = store.templates_dir / hashlib.sha256(key.encode()).hexdigest()[:16]
    if (template / "origin").is_file():
        if not fsops.owned(template) or not fsops.owned(template / "origin"):
            # A template's files run in every venv made from it: only the user's own.
            raise PermissionError("the venv template %s is another user's" % template)
        return template
    with store.locked():  # built in tmp/, which `store prune` empties under the exclusive lock
        _build_template(locations, store, interpreter, template)
    return template


def _build_template(locations: Locations, store: Store, interpreter: Path, template: Path) -> None:
    """Make and wire a venv beside the new venv (a local disk), then copy it into the store.

    Nothing from the store's filesystem runs: a store may be mounted ``noexec``, or on sshfs,
    which refuses to read absolute symlinks such as the venv's ``bin/python``. The copy in
    the store holds no symlinks either: they are listed in ``links``, one
    ``<path>\t<target>`` line each, and made when a venv is copied from the template.
    """
    locations.venv.parent.mkdir(parents=True, exist_ok=True)
    local = fsops.make_temp_dir(locations.venv.parent, "." + locations.venv.name + ".pepip-template-")
    staging = store.staging_dir()
    try:
        venv = local / "venv"
        create_venv(locations.uv, venv, str(interpreter))
        facts = query_interpreter(venv_python(venv))
        wire_runtime(facts, venv_python(venv), None)
        write_manifest(venv, Manifest(facts.fields(), [], []), None)
        links = _copy_as_data(venv, staging / "venv")
        fsops.atomic_write_text(staging / "links", "".join("%s\t%s\n" % link for link in links))
        fsops.atomic_write_text(staging / "origin", str(venv))
        fsops.make_tree_readonly(staging)
        readable = fsops.dir_mode(others_write=False)
        os.chmod(staging, readable)  # mkdtemp made it private
        fsops.make_shared_dir(template.parent)
        try:
            os.rename(staging, template)
        except OSError:
            if not (template / "origin").is_file():
                raise  # not a lost race with another process building the same template
        else:
            os.chmod(template, readable & ~stat.S_IWUSR)
    finally:
        fsops.remove_tree(staging)
        fsops.remove_tree(local)


def _copy_as_data(source: Path, target: Path) -> list[tuple[str, str]]:
    """Copy a tree's directories and files; return its symlinks as ``(path, target)``."""
    links = []
    for directory, subdirs, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in list(subdirs) + files:
            path = Path(directory, name)
            if path.is_symlink():
                links.append(((relative / name).as_posix(), os.readlink(path)))
                if name in subdirs:
                    subdirs.remove(name)  # lib64 -> lib: listed, not walked twice
            elif name in files:
                shutil.copy2(path, target / relative / name)
    return links


def _copy_template(template_dir: Path, venv: Path, final: Path) -> None:
    """Copy the template to ``venv``, putting ``final``'s path where the template's stood."""
    template = template_dir / "venv"
    old = (template_dir / "origin").read_text(encoding="utf-8").strip().encode()
    new = str(final).encode()
    venv.mkdir(parents=True, exist_ok=True)
    links_file = template_dir / "links"
    listed = links_file.read_text(encoding="utf-8").splitlines() if links_file.is_file() else []
    for line in listed:
        name, _, link = line.partition("\t")
        (venv / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link, venv / name)
    for directory, subdirs, files in os.walk(template):
        relative = Path(directory).relative_to(template)
        target_dir = venv / relative
        for name in list(subdirs):
            source = Path(directory, name)
            if source.is_symlink():  # a template of an earlier pepip, with its links in it
                os.symlink(os.readlink(source), target_dir / name)
                subdirs.remove(name)  # lib64 -> lib: linked, not walked twice
            else:
                (target_dir / name).mkdir(exist_ok=True)
        for name in files:
            source, target = Path(directory, name), target_dir / name
            if source.is_symlink():
                os.symlink(os.readlink(source), target)
                continue
            data = source.read_bytes()
            if old in data and b"\0" not in data:
                target.write_bytes(data.replace(old, new))
                shutil.copymode(source, target)
            else:
                shutil.copy2(source, target)  # keeps mtimes: the runtime's bytecode stays valid
            os.chmod(target, stat.S_IMODE(os.stat(target).st_mode) | (fsops.file_mode() & 0o222))
