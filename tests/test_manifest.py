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
        DistRecord("alpha", "1.0", "alpha-1.0.dist-info", "/store/a/site", ("alpha",), (), "alpha==1.0"),
        DistRecord("tool", "2.0", "tool-2.0.dist-info", "/store/t/site", ("tool", "tool_x"),
                   ("tool.pth",), "tool @ file:///wheels/tool-2.0-py3-none-any.whl"),
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


@pytest.mark.parametrize("text", ["", "pepip-manifest\t9\n", "pepip-manifest\t1\nbogus\tline\n",
                                  "pepip-manifest\t1\ndist\ttoo\tfew\n"])
def test_damaged_manifest(tmp_path, text):
    with pytest.raises(ManifestError):
        parse_manifest(text)
    (tmp_path / "pepip-manifest.txt").write_text(text)
    with pytest.raises(PepipError, match="pepip doctor"):
        read_manifest(tmp_path)
