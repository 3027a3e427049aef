"""Static checks: pepip's parts import only the parts below them, and type checkers asking
the venv's interpreter for sys.path resolve stored packages."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import run_pepip

CHECKED = "import typedpkg\nreveal_type(typedpkg.answer())\n"


def test_mypy_with_the_venv_interpreter_resolves_stored_packages(capsys, venv, index_args, isolated):
    assert run_pepip(["install", *index_args, "typedpkg"], capsys).exit_code == 0
    source = isolated / "check_me.py"
    source.write_text(CHECKED)
    completed = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--python-executable",
         str(venv / "bin" / "python"), str(source)],
        capture_output=True, text=True, cwd=isolated,
    )
    assert "import-not-found" not in completed.stdout, completed.stdout
    assert re.search(r'Revealed type is "(builtins\.)?int"', completed.stdout), completed.stdout


@pytest.mark.network
def test_pyright_with_the_venv_interpreter_resolves_stored_packages(capsys, venv, index_args, isolated):
    npx = shutil.which("npx")
    if npx is None:
        pytest.skip("pyright runs on Node.js; npx is not installed")
    assert run_pepip(["install", *index_args, "typedpkg"], capsys).exit_code == 0
    source = isolated / "check_me.py"
    source.write_text(CHECKED)
    completed = subprocess.run(
        [npx, "--yes", "pyright@1", "--pythonpath", str(venv / "bin" / "python"), str(source)],
        capture_output=True, text=True, cwd=isolated, env={**os.environ, "UV_OFFLINE": ""},
    )
    assert "could not be resolved" not in completed.stdout, completed.stdout
    assert 'Type of "typedpkg.answer()" is "int"' in completed.stdout, completed.stdout


# pepip's parts, lowest first (docs/how-it-works.md): a module may import its own part and
# the parts below it, never one above. Modules directly in pepip/ are the lowest part, what
# every part uses, except the command line, which is the highest.
LAYERS = ("pepip", "pepip.uv", "pepip.store", "pepip.venv", "pepip.commands", "command line")
COMMAND_LINE = {"pepip.__main__", "pepip.cli", "pepip.install_line", "pepip.list_line"}
PACKAGE = Path(__file__).resolve().parent.parent / "pepip"


def _layer(module: str) -> int:
    if module in COMMAND_LINE:
        return LAYERS.index("command line")
    part = ".".join(module.split(".")[:2])
    return LAYERS.index(part) if part in LAYERS[1:] else 0


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path, known: set[str]) -> set[str]:
    """Every pepip module ``module`` imports, at the top or inside a function (lazily),
    ``if TYPE_CHECKING`` included: a type is a dependency too."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:  # `from pepip import fsops` imports pepip.fsops
                found.add(base + "." + alias.name if base + "." + alias.name in known else base)
    return {name for name in found if name in known}


def test_nothing_imports_the_entry_point():
    """``pepip.__main__`` runs the command line; ``pepip.cli`` imported it back for a caller
    that did not exist, a cycle that made either module's imports depend on the other's."""
    modules = _modules()
    importers = [module for module, path in modules.items() if "pepip.__main__" in _imported(module, path, set(modules))]
    assert importers == []


def test_only_report_writes_to_stderr():
    """Every line pepip writes to stderr goes through ``pepip.report`` (a ``Reporter``, or
    ``warn`` where none reaches), as uv's parts report through its ``Reporter`` and
    ``warn_user!``; ``__main__`` prints the version on stdout. ``typer.echo`` in ``cli`` is
    the command line's own output."""
    writers = []
    for module, path in _modules().items():
        if module in ("pepip.report", "pepip.__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            stream = node.func.value if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
            if isinstance(stream, ast.Attribute) and ast.unparse(stream) in ("sys.stderr", "sys.stdout"):
                writers.append("%s:%d %s" % (module, node.lineno, ast.unparse(node.func)))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                writers.append("%s:%d print" % (module, node.lineno))
    assert writers == []


def test_no_part_imports_a_higher_part():
    modules = _modules()
    assert {"pepip.cli", "pepip.manifest", "pepip.uv.resolve", "pepip.store.layout",
            "pepip.venv.wiring", "pepip.commands.apply"} <= set(modules)
    upward = [
        "%s imports %s" % (module, imported)
        for module, path in modules.items()
        for imported in sorted(_imported(module, path, set(modules)))
        if _layer(imported) > _layer(module)
    ]
    assert upward == [], "a lower part imports a higher one (order: %s)" % " < ".join(LAYERS)
