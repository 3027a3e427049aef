"""Distribution names and versions read without ``re``: as PEP 503 and ``packaging`` spell them."""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from pepip.names import name_version, normalized_name


@pytest.mark.parametrize("name", [
    "alpha", "Foo.Bar_baz", "zope.interface", "a--b", "a-_.-b", "A__B", "-x", "x.", "ruamel.yaml.clib", "",
])
def test_names_are_normalized_as_pep_503_says(name):
    assert normalized_name(name) == re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("version", [
    "1.0", "1.10.0", "0", "2024.1", "01.2", "1.0.00", "00", "1.0rc1", "1.0.post1", "1!2.0", "1.0+local", "v1.0", "1.0-1",
    "1.0.dev0", "1.0.0a", "1.0-a1",
])
def test_versions_are_normalized_as_packaging_does(tmp_path, version):
    dist_info = tmp_path / "x-1.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text("Metadata-Version: 2.1\nName: X_y\nVersion: %s\n\nbody: x\n" % version)
    assert name_version(dist_info) == ("x-y", str(Version(version)))


def test_a_version_packaging_cannot_read_is_a_value_error(tmp_path):
    (tmp_path / "METADATA").write_text("Name: x\nVersion: not a version\n")
    with pytest.raises(ValueError):
        name_version(tmp_path)
