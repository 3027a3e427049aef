"""Local projects and archives (``pepip install .``, ``./dist/x.whl``), as pip and uv take them.

A local build is stored like any other; its identity is its path and content, so an edited
tree is built again and an unchanged one is linked from the store.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from helpers import OFFLINE_BACKEND, build_wheel, run_pepip, store_entries, venv_run
from pepip.locations import find_uv

_BACKEND = '''"""A PEP 517 backend that builds plain wheels offline (tests only)."""
''' + OFFLINE_BACKEND + '''
def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {}
    for directory, _dirs, names in os.walk("src"):
        for name in names:
            path = os.path.join(directory, name)
            files[os.path.relpath(path, "src").replace(os.sep, "/")] = open(path, "rb").read()
    return _write_wheel(wheel_directory, "localproj", files)
'''


@pytest.fixture
def project(isolated: Path) -> Path:
    """A source tree in the current directory's ``proj/``, buildable without an index."""
    root = isolated / "work" / "proj"
    (root / "src" / "localproj").mkdir(parents=True)
    (root / "src" / "localproj" / "__init__.py").write_text("WHERE = 'tree'\n")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "localproj"\nversion = "0.1"\n'
        '[build-system]\nrequires = []\nbuild-backend = "plain_backend"\nbackend-path = ["."]\n'
    )
    (root / "plain_backend.py").write_text(_BACKEND)
    return root


def test_a_local_project_and_wheels_by_relative_and_absolute_path(pepip, capsys, monkeypatch, isolated, project):
    dist = isolated / "work" / "dist"
    dist.mkdir()
    build_wheel(dist, "relwheel", "1.0", {"relwheel.py": "X = 'rel'\n"})
    absolute = build_wheel(isolated, "abswheel", "1.0", {"abswheel.py": "X = 'abs'\n"})
    venv = isolated / "v"
    pepip.ok("install", "--venv", str(venv), "--no-index", "./proj", "./dist/relwheel-1.0-py3-none-any.whl", str(absolute))
    assert venv_run(venv, "import localproj, relwheel, abswheel; print(localproj.WHERE, relwheel.X, abswheel.X)") == "tree rel abs"
    freeze = run_pepip(["freeze", "--venv", str(venv)], capsys).stdout
    assert "localproj @ %s" % project.as_uri() in freeze

    monkeypatch.chdir(project)  # `pepip install .` inside the project
    pepip.ok("install", "--venv", str(isolated / "dot"), "--no-index", ".")
    assert venv_run(isolated / "dot", "import localproj; print(localproj.WHERE)") == "tree"


def test_local_paths_as_lines_of_a_requirements_file(pepip, isolated, project):
    build_wheel(isolated / "work", "relwheel", "1.0", {"relwheel.py": "X = 'rel'\n"})
    requirements = isolated / "work" / "requirements.txt"
    requirements.write_text("./proj\n./relwheel-1.0-py3-none-any.whl\n")
    pepip.ok("install", "--venv", str(isolated / "v"), "--no-index", "-r", str(requirements))
    assert venv_run(isolated / "v", "import localproj, relwheel; print(localproj.WHERE, relwheel.X)") == "tree rel"


def test_an_edited_tree_is_built_again_and_an_unchanged_one_linked(pepip, isolated, project, store_root, uv_log):
    pepip.ok("install", "--venv", str(isolated / "a"), "--no-index", "./proj")
    installs = sum(line.startswith("pip install") for line in uv_log.read_text().splitlines())
    pepip.ok("install", "--venv", str(isolated / "b"), "--no-index", "./proj")
    assert sum(line.startswith("pip install") for line in uv_log.read_text().splitlines()) == installs
    (project / "src" / "localproj" / "__init__.py").write_text("WHERE = 'edited'\n")
    pepip.ok("install", "--venv", str(isolated / "c"), "--no-index", "./proj")
    assert venv_run(isolated / "b", "import localproj; print(localproj.WHERE)") == "tree"
    assert venv_run(isolated / "c", "import localproj; print(localproj.WHERE)") == "edited"
    assert len([path for path in store_entries(store_root) if path.parent.parent.name == "localproj"]) == 2


def test_a_missing_local_path_is_one_line(capsys, isolated):
    result = run_pepip(["install", "--no-index", "./nowhere"], capsys)
    assert result.exit_code == 1 and result.error_lines == [
        "pepip: error: invalid requirement `./nowhere`: it looks like a path, but %s does not exist"
        % (isolated / "work" / "nowhere")
    ]
    assert not (isolated / "work" / ".venv").exists()


@pytest.mark.parametrize("subpackage", ["build", "dist", "venv", "node_modules"])
def test_an_edit_in_a_subpackage_named_like_build_output_is_built_again(pepip, isolated, project, subpackage):
    """Only the project root's ``build/``, ``dist/``... are build output (pip has ``pip/_internal/operations/build/``)."""
    module = project / "src" / "localproj" / subpackage / "__init__.py"
    module.parent.mkdir()
    module.write_text("V = 'one'\n")
    pepip.ok("install", "--venv", str(isolated / "a"), "--no-index", "./proj")
    module.write_text("V = 'two'\n")
    pepip.ok("install", "--venv", str(isolated / "b"), "--no-index", "./proj")
    code = "import localproj.%s as sub; print(sub.V)" % subpackage
    assert venv_run(isolated / "a", code) == "one"
    assert venv_run(isolated / "b", code) == "two"


@pytest.mark.parametrize(("text", "expected"), [
    ("proj", None),  # a name, although ./proj is a project
    ("./proj", "proj"),
    ("proj/", "proj"),
    ("sub/../proj", "proj"),
    ("~/proj", "proj"),
    ("x-1.0-py3-none-any.whl", "x-1.0-py3-none-any.whl"),
    ("beta", None),
    ("beta==1.0", None),
    ("beta @ file:///somewhere/beta-1.0-py3-none-any.whl", None),
    ("https://example.com/beta-1.0-py3-none-any.whl", None),
    ("./nowhere", "error"),
    ("nothere-1.0-py3-none-any.whl", "error"),  # uv: Distribution not found at ...
])
def test_only_text_that_looks_like_a_path_is_a_local_request(tmp_path, monkeypatch, text, expected):
    from pepip.commands.install import local_requests
    from pepip.errors import PepipError

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "proj").mkdir()
    (tmp_path / "sub").mkdir()
    (tmp_path / "beta").mkdir()
    (tmp_path / "x-1.0-py3-none-any.whl").write_bytes(b"")
    if expected == "error":
        with pytest.raises(PepipError, match="looks like a path"):
            local_requests([text], tmp_path)
        return
    found = local_requests([text], tmp_path)
    assert found == ({} if expected is None else {text: tmp_path / expected})


@pytest.mark.parametrize("folder", ["versioned", "beta"])
def test_a_name_is_a_name_when_a_folder_of_that_name_is_here(pepip, isolated, wheelhouse, index_args, folder):
    """``pepip install versioned`` beside a ``versioned/`` checkout (or a ``beta/`` folder that
    is no project) installs the index's release, as ``uv pip install`` does."""
    checkout = isolated / "work" / folder
    (checkout / "src" / folder).mkdir(parents=True)
    (checkout / "src" / folder / "__init__.py").write_text("VERSION = 'LOCAL CHECKOUT'\n")
    if folder == "versioned":
        (checkout / "pyproject.toml").write_text(
            '[project]\nname = "versioned"\nversion = "9.9"\n'
            '[build-system]\nrequires = []\nbuild-backend = "plain_backend"\nbackend-path = ["."]\n'
        )
        (checkout / "plain_backend.py").write_text(_BACKEND.replace("localproj", "versioned"))
    pepip.ok("install", "--venv", str(isolated / "v"), *index_args, folder)
    uv_venv = isolated / "uv-venv"
    uv = str(find_uv(os.environ))
    subprocess.run([uv, "venv", "-q", str(uv_venv)], check=True)
    done = subprocess.run([uv, "pip", "install", "-q", "--python", str(uv_venv), *index_args, folder], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    code = "import importlib.metadata as m; print(m.version(%r))" % folder
    assert venv_run(isolated / "v", code) == venv_run(uv_venv, code) == ("2.0" if folder == "versioned" else "1.0")
