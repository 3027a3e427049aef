"""The manifest and the runtime index made from it, each replaced atomically."""

from __future__ import annotations

import marshal

import pytest

from pepip.errors import PepipError
from pepip.manifest import (
    DistRecord, Manifest, ManifestError, parse_manifest, read_manifest, runtime_index, write_manifest,
)


def sample() -> Manifest:
    dists = [
        DistRecord("alpha", "1.0", "alpha-1.0.dist-info", "/store/a/site", ("alpha",), (), "alpha==1.0",
                   "kind=wheel url=https://files.example/alpha-1.0-py3-none-any.whl sha256=" + "a" * 64),
        DistRecord("tool", "2.0", "tool-2.0.dist-info", "/store/t/site", ("tool", "tool_x"),
                   ("tool.pth",), "tool @ file:///wheels/tool-2.0-py3-none-any.whl",
                   "kind=wheel path=/wheels/tool-2.0-py3-none-any.whl"),
    ]
    return Manifest(("cpython", "3.11", "", "cpython-311", "/v/lib/python3.11/site-packages"),
                    ["alpha>=1", "tool @ file:///wheels/tool-2.0-py3-none-any.whl"], dists,
                    preloads={"tool": ("/store/n/site/nv/lib/libn.so",)})


def test_round_trip(tmp_path):
    venv = tmp_path / "venv"
    write_manifest(venv, sample(), None)
    loaded = read_manifest(venv)
    assert loaded is not None
    assert (loaded.interpreter, loaded.requests, loaded.dists, loaded.preloads) == (
        sample().interpreter, sample().requests, sample().dists, sample().preloads,
    )
    assert sorted(p.name for p in venv.iterdir()) == ["pepip-index.marshal", "pepip-manifest.txt"]


def test_runtime_index_maps_names_to_store_dirs():
    fmt, names, roots, pth_files, details = marshal.loads(runtime_index(sample()))
    assert (fmt, names, roots, pth_files) == (
        2,
        {"alpha": "/store/a/site", "tool": "/store/t/site", "tool_x": "/store/t/site"},
        ["/store/a/site", "/store/t/site"],
        [("tool.pth", "/store/t/site", "tool-2.0.dist-info")],
    )
    assert marshal.loads(details) == (
        {"/store/a/site": ("alpha==1.0", "alpha-1.0.dist-info"), "/store/t/site": ("tool==2.0", "tool-2.0.dist-info")},
        {"tool": ["/store/n/site/nv/lib/libn.so"], "tool_x": ["/store/n/site/nv/lib/libn.so"]},
    )


def test_absent_manifest_means_unwired_venv(tmp_path):
    assert read_manifest(tmp_path) is None


@pytest.mark.parametrize("text", ["", "pepip-manifest\t9\n", "pepip-manifest\t2\nbogus\tline\n",
                                  "pepip-manifest\t2\ndist\ttoo\tfew\n"])
def test_damaged_manifest(tmp_path, text):
    with pytest.raises(ManifestError):
        parse_manifest(text)
    (tmp_path / "pepip-manifest.txt").write_text(text)
    with pytest.raises(PepipError, match="pepip doctor"):
        read_manifest(tmp_path)


def test_a_manifest_of_format_1_is_refused_with_the_way_out(tmp_path):
    """Format 1 (before artifacts were recorded) was never released: no reader is kept for it."""
    text = "pepip-manifest\t1\ninterpreter\tcpython\t3.11\ndist\talpha\t1.0\ta.dist-info\t/s/site\talpha\t\talpha==1.0\n"
    (tmp_path / "pepip-manifest.txt").write_text(text)
    with pytest.raises(PepipError, match=r"\(a manifest of format 1; this pepip reads format 2\); run `pepip doctor`"):
        read_manifest(tmp_path)
