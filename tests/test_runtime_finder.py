"""The runtime: the finder in-process, and install() in real venvs of every interpreter found."""

from __future__ import annotations

import importlib
import marshal
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from helpers import WIRED, run_pepip, site_packages, venv_run
from pepip_runtime import SiteFinder, StoreIndex
from pepip_runtime.lookup import ENTRY_FILE


@pytest.fixture
def clean_import_state() -> Iterator[None]:
    """Save and restore what the finder tests touch."""
    saved = (list(sys.path), list(sys.meta_path), dict(sys.modules), dict(sys.path_importer_cache), list(sys.path_hooks))
    yield
    sys.path[:], sys.meta_path[:], sys.path_hooks[:] = saved[0], saved[1], saved[4]
    for name in set(sys.modules) - set(saved[2]):
        del sys.modules[name]
    sys.path_importer_cache.clear()
    sys.path_importer_cache.update(saved[3])


def make_dir(root: Path, files: dict[str, str]) -> str:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(root)


def use_finder(locations: dict[str, list[str]], site_packages: Path | None = None) -> SiteFinder:
    """A site-packages at the end of ``sys.path`` whose store holds ``locations``.

    Every distribution's dist-info is in ``site_packages``, marked as pepip's.
    """
    if site_packages is None:
        site_packages = Path(next(iter(locations.values()))[0]).parent / "site-packages"
    site_packages.mkdir(parents=True, exist_ok=True)
    (site_packages / "dist-1.0.dist-info").mkdir(exist_ok=True)
    (site_packages / "dist-1.0.dist-info" / "INSTALLER").write_text("pepip\n")
    roots = list(dict.fromkeys(d for ds in locations.values() for d in ds))
    for root in roots:
        (Path(root).parent / ENTRY_FILE).touch()  # each root is the site/ of a complete entry
    details = marshal.dumps(({d: ("dist==1.0", "dist-1.0.dist-info") for d in roots}, {}))
    sys.path.append(str(site_packages))
    StoreIndex(dict(locations), roots, details, str(site_packages)).publish()
    importlib.invalidate_caches()
    finder = sys.path_importer_cache[str(site_packages)]
    assert isinstance(finder, SiteFinder)
    return finder


def test_package_module_and_similar_names(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"pepfoo/__init__.py": "X = 'pkg'\n", "pepfoo/sub.py": "Y = 1\n"})
    two = make_dir(tmp_path / "two", {"pepfoobar.py": "X = 'mod'\n"})
    use_finder({"pepfoo": [one], "pepfoobar": [two]})
    import pepfoo.sub
    import pepfoobar

    assert (pepfoo.X, pepfoo.sub.Y, pepfoobar.X) == ("pkg", 1, "mod")
    assert pepfoo.__spec__.origin == os.path.join(one, "pepfoo", "__init__.py")


def test_names_are_case_sensitive_and_unmapped_names_pass(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"pepcase.py": "X = 1\n"})
    finder = use_finder({"pepcase": [one]})
    assert finder.find_spec("PepCase") is None
    assert finder.find_spec("pepcase.sub", None) is None
    assert finder.find_spec("json") is None


def test_namespace_split_over_directories_and_sys_path(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"pepns/a/__init__.py": "A = 1\n"})
    two = make_dir(tmp_path / "two", {"pepns/b/__init__.py": "B = 2\n"})
    outside = make_dir(tmp_path / "outside", {"pepns/c/__init__.py": "C = 3\n"})
    sys.path.append(outside)
    use_finder({"pepns": [one, two]})
    import pepns.a
    import pepns.b
    import pepns.c

    assert pepns.a.A + pepns.b.B + pepns.c.C == 6
    # sys.path order: `outside` stands before site-packages, where the store answers
    assert list(pepns.__path__) == [os.path.join(d, "pepns") for d in (outside, one, two)]


def test_stdlib_wins_over_a_stored_module_of_the_same_name(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"string.py": "HIJACKED = True\n", "pepstr.py": ""})
    use_finder({"string": [one], "pepstr": [one]})
    del sys.modules["string"]
    assert not hasattr(importlib.import_module("string"), "HIJACKED")


def test_missing_store_entry_names_distribution_and_repair(tmp_path, clean_import_state):
    gone = str(tmp_path / "deleted-entry")
    use_finder({"pepgone": [gone]})
    with pytest.raises(ImportError, match=r"pepgone \(from dist==1.0\).*pepip repair"):
        importlib.import_module("pepgone")


def test_name_mapped_but_absent_from_its_directory_is_not_found(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"README.txt": ""})
    finder = use_finder({"pepabsent": [one]})
    assert finder.find_spec("pepabsent") is None


def test_start_up_loads_one_module(capsys, venv, index_args):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    code = "import sys; print(sorted(m for m in sys.modules if m.startswith(('pepip', 'typing', '__future__', 'ctypes'))))"
    assert venv_run(venv, code) == "['pepip_runtime']"
    code = "import sys, alpha; print(sorted(m for m in sys.modules if m.startswith('pepip')))"
    assert venv_run(venv, code) == "['pepip_runtime', 'pepip_runtime.lookup']"


def test_finder_never_recurses_into_import_machinery(tmp_path, clean_import_state):
    one = make_dir(tmp_path / "one", {"pepself.py": "import pepself as me\nSELF = me\n"})
    use_finder({"pepself": [one]})
    module = importlib.import_module("pepself")
    assert module.SELF is module


@pytest.mark.windows
def test_install_runs_once_though_site_runs_the_pth_twice(capsys, venv, index_args):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    assert venv_run(venv, WIRED) == "1 1"


def test_damaged_manifest_costs_one_line_and_no_finder(capsys, venv, index_args):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    (venv / "pepip-index.marshal").write_bytes(b"damaged\n")
    completed = subprocess.run(
        [str(venv / "bin" / "python"), "-c",
         WIRED],
        capture_output=True, text=True,
    )
    assert completed.returncode == 0
    assert completed.stdout.strip() == "0 0"
    assert len(completed.stderr.splitlines()) == 1 and "pepip doctor" in completed.stderr


def test_uninstalled_dist_info_is_not_imported(capsys, venv, index_args):
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    site = next(venv.glob("lib/python*/site-packages"))
    shutil.rmtree(site / "beta-1.0.dist-info")
    code = "import importlib.util as u; print(u.find_spec('beta') is None)"
    assert venv_run(venv, code) == "True"


@pytest.mark.windows
def test_start_file_names_a_callable_that_installs_the_finder(capsys, venv, index_args):
    """Python 3.15 runs ``<name>.start`` entries instead of the ``.pth`` import line."""
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    site = site_packages(venv)
    entry = (site / "_pepip.start").read_text().strip()
    module, _, function = entry.partition(":")
    code = (  # what site does for a .start file: add the site dir, then call the entry
        "import importlib, sys\n"
        "sys.path.append(%r)\n"
        "getattr(importlib.import_module(%r), %r)()\n"
        "import alpha\nprint(alpha.NAME)" % (str(site), module, function)
    )
    assert venv_run(venv, code, "-S") == "alpha"


def _interpreters() -> list[Path]:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    found = {}
    for minor in range(8, 14):
        for candidate in sorted(root.glob("3.%d.*" % minor)):
            python = candidate / "bin" / "python"
            if python.exists() and "t" not in candidate.name.split(".")[-1]:
                found[minor] = python
    return list(found.values())


@pytest.mark.parametrize("python", _interpreters() or [None], ids=lambda p: p and p.parent.parent.name)
def test_runtime_on_each_interpreter(capsys, isolated, index_args, python):
    if python is None:
        pytest.skip("no pyenv interpreters on this machine")
    venv = isolated / "work" / "venv"
    args = ["install", *index_args, "--python", str(python), "--venv", str(venv), "alpha", "nsa", "nsb", "cvlike"]
    result = run_pepip(args, capsys)
    assert result.exit_code == 0, result.stderr
    code = "import alpha, nsroot.a, nsroot.b, importlib.metadata as m; print(m.version('alpha'))"
    assert venv_run(venv, code) == "1.0"
    src = isolated / "src"
    src.mkdir()
    (src / "beta.py").write_text("NAME = 'from src'\n")
    code = "import beta, cvlike, alpha; print(beta.NAME, cvlike.VALUE)"
    assert venv_run(venv, code, env={"PYTHONPATH": str(src)}) == "from src native"


def test_store_roots_on_sys_path_are_skipped_by_path_finder(capsys, venv, index_args, store_root):
    """Tools that read sys.path see the store; imports and failed imports do not walk it."""
    assert run_pepip(["install", *index_args, "alpha"], capsys).exit_code == 0
    code = (
        "import sys, importlib, importlib.util, importlib.metadata as m\n"
        "roots = [p for p in sys.path if p.startswith(%r)]\n"
        "def skipped():\n"
        "    importlib.util.find_spec('no_such_module_anywhere')\n"
        "    return all(r in sys.path_importer_cache and sys.path_importer_cache[r] is None for r in roots)\n"
        "print(len(roots), skipped())\n"
        "importlib.invalidate_caches()\n"
        "import alpha\n"
        "print(skipped())\n"
        "print(sorted(d.metadata['Name'] for d in m.distributions()))\n" % str(store_root)
    )
    assert venv_run(venv, code).splitlines() == ["2 True", "True", "['alpha', 'beta']"]


# --- sys.path order: the store answers at site-packages' place (issue 12) ---


@pytest.fixture
def with_beta(capsys, venv, index_args) -> Path:
    assert run_pepip(["install", *index_args, "alpha", "cvlike"], capsys).exit_code == 0
    return venv


def test_pythonpath_beats_the_store(with_beta, isolated):
    src = isolated / "src"
    src.mkdir()
    (src / "beta.py").write_text("NAME = 'from src'\n")
    assert venv_run(with_beta, "import beta; print(beta.NAME)", env={"PYTHONPATH": str(src)}) == "from src"


def test_current_directory_beats_the_store(with_beta, isolated):
    # `python -c` puts the current directory first, as `pytest` and `python -m` do
    (isolated / "work" / "beta.py").write_text("NAME = 'from cwd'\n")
    assert venv_run(with_beta, "import beta; print(beta.NAME)") == "from cwd"


def test_entry_inserted_first_beats_the_store_and_entry_appended_later_loses(with_beta, isolated):
    first, last = isolated / "first", isolated / "last"
    for directory in (first, last):
        directory.mkdir()
        (directory / "beta.py").write_text("NAME = %r\n" % directory.name)
    code = "import sys\nsys.path.append(%r)\nimport beta\nprint(beta.NAME)" % str(last)
    assert venv_run(with_beta, code) == "beta"  # the store's, like setuptools' _vendor losing
    code = "import sys\nsys.path.insert(0, %r)\nimport beta\nprint(beta.NAME)" % str(first)
    assert venv_run(with_beta, code) == "first"


def test_loader_that_reimports_itself_from_its_own_directory(with_beta):
    """OpenCV's loader: 'recursion is detected' when the store answers before sys.path."""
    assert venv_run(with_beta, "import cvlike; print(cvlike.VALUE)") == "native"


def test_site_packages_finder_survives_a_cleared_importer_cache(with_beta):
    code = "import sys, importlib\nsys.path_importer_cache.clear()\nimportlib.invalidate_caches()\nimport alpha\nprint(alpha.NAME)"
    assert venv_run(with_beta, code) == "alpha"
