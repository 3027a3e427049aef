"""Real packages with awkward layouts from the index: a pepip venv against a plain uv venv.

The packages are the list at the end of ../shared/NOTES.md (the torch CPU wheel has its own test
in test_native.py). One module-scoped pair of venvs holds all of them: a pepip venv made by one
``pepip install`` and a plain venv made by ``uv venv`` + ``uv pip install`` of the same
requirements. Each test runs the same code, console script or third-party test suite in both and
asserts the results are the expected ones and equal, so a difference points at pepip's wiring.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import urllib.request
import xml.etree.ElementTree as ElementTree
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import pytest

from helpers import venv_run
from pepip.__main__ import main
from pepip.locations import find_uv

REQUIREMENTS = (
    "requests", "numpy", "pandas", "pillow", "lxml", "orjson",
    "jaraco.functools", "jaraco.text", "jaraco.context",
    "protobuf", "googleapis-common-protos", "six", "typing_extensions",
    "pytest", "pytest-timeout",
    # Pinned: this build's mypyc helper module (85cae5375ceb5d1ca6c6__mypyc) starts with a digit,
    # which the black and find_spec tests cover; other builds may hash to a name with a letter.
    "black==26.10.1",
    "ruff", "ipykernel", "setuptools",
    "attrs", "more-itertools",
    # what attrs' own test suite imports (its "tests" dependency group, without pytest-xdist)
    "hypothesis", "pympler", "cloudpickle",
)

_SIMPLE_API = "https://pypi.org/simple/%s/"
_SUITE_TIMEOUT = 600


@dataclass(frozen=True)
class Venvs:
    """The pepip venv, the plain uv venv with the same requirements, and the pepip store."""

    pepip: Path
    plain: Path
    store: Path

    def pairs(self) -> tuple[tuple[str, Path], tuple[str, Path]]:
        return (("pepip", self.pepip), ("plain", self.plain))


def _pepip_in_process(args: Sequence[str]) -> tuple[int, str]:
    """Run pepip's real ``main`` in-process (module scope has no capsys): exit code and stderr."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as done:
            code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
    return code, err.getvalue()


@pytest.fixture(scope="module")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> Venvs:
    """Both venvs, made once for the module with the environment ``isolated`` gives a network test."""
    root = tmp_path_factory.mktemp("real-packages")
    pepip_venv, plain_venv, store = root / "pepip-venv", root / "plain-venv", root / "store"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PEPIP_HOME", str(store))
        # Caches of the module's own: uv reuses a wheel it built from an sdist in another
        # test for a plain install of that version, where pepip takes the pinned wheel.
        patch.setenv("UV_CACHE_DIR", str(root / "uv-cache"))
        patch.setenv("PEPIP_CACHE_DIR", str(root / "pepip-cache"))
        patch.setenv("UV_NO_CONFIG", "1")
        patch.setenv("UV_PYTHON_DOWNLOADS", "never")
        for name in ("UV_OFFLINE", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "PEPIP_UV",
                     "PEPIP_LINK_MODE"):
            patch.delenv(name, raising=False)
        code, stderr = _pepip_in_process(
            ["install", "-q", "--venv", str(pepip_venv), "--python", sys.executable, *REQUIREMENTS]
        )
        assert code == 0, stderr
        uv = str(find_uv(os.environ))
        for command in (
            [uv, "venv", "-q", "--python", sys.executable, str(plain_venv)],
            [uv, "pip", "install", "-q", "--python", str(plain_venv / "bin" / "python"), *REQUIREMENTS],
        ):
            done = subprocess.run(command, capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
    return Venvs(pepip_venv, plain_venv, store)


def _child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without the outer pytest's variables (PYTEST_ADDOPTS would reach the inner runs)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    env.update(extra or {})
    return env


def _json_in_both(venvs: Venvs, code: str, env: Mapping[str, str] | None = None) -> tuple[Any, Any]:
    """Run ``code`` in both venvs; each prints one JSON document as its last stdout line."""
    pepip_out, plain_out = (
        json.loads(venv_run(venv, code, env=env).splitlines()[-1]) for _, venv in venvs.pairs()
    )
    return pepip_out, plain_out


def _run_in_both(
    venvs: Venvs, command: Callable[[Path], list[str]], cwd: Callable[[Path], Path] | None = None,
    env: Mapping[str, str] | None = None, timeout: float = 120,
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """Run a command built for each venv in both venvs at once (the machine has two cores)."""

    def run(venv: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command(venv), capture_output=True, text=True, cwd=None if cwd is None else cwd(venv),
            env=_child_env(env), timeout=timeout,
        )

    with ThreadPoolExecutor(2) as pool:
        pepip_run, plain_run = pool.map(run, (venvs.pepip, venvs.plain))
    return pepip_run, plain_run


_METADATA = r"""
import importlib.metadata as m, json
dists = list(m.distributions())
print(json.dumps({
    "versions": sorted((d.metadata["Name"].lower(), d.version) for d in dists),
    "entry_points": sorted([d.metadata["Name"].lower(), e.group, e.name, e.value]
                           for d in dists for e in d.entry_points),
    "requires": {d.metadata["Name"].lower(): sorted(d.requires or []) for d in dists},
}))
"""

_ORIGINS = r"""
import json, importlib
names = ["requests", "numpy", "pandas", "PIL", "lxml", "orjson", "jaraco.text", "google.protobuf",
         "google.api.http_pb2", "six", "typing_extensions", "pytest", "pytest_timeout", "ruff", "ipykernel",
         "setuptools", "attr", "more_itertools"]
print(json.dumps({name: importlib.import_module(name).__file__ for name in names}))
"""


@pytest.mark.network
def test_same_distributions_versions_entry_points_as_plain_uv_venv(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _METADATA)
    assert pepip_seen == plain_seen
    names = {name for name, _ in pepip_seen["versions"]}
    assert {"requests", "numpy", "pandas", "pillow", "protobuf", "googleapis-common-protos",
            "pytest-timeout", "ipykernel", "jaraco.text", "more-itertools"} <= names
    assert ["pytest-timeout", "pytest11", "timeout", "pytest_timeout"] in pepip_seen["entry_points"]
    uv = str(find_uv(os.environ))
    freeze = [subprocess.run([uv, "pip", "freeze", "--python", str(venv / "bin" / "python")],
                             capture_output=True, text=True).stdout.split() for _, venv in venvs.pairs()]
    assert freeze[0] == freeze[1] and len(freeze[0]) == len(names)
    check = subprocess.run([uv, "pip", "check", "--python", str(venvs.pepip / "bin" / "python")],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    # The code comes from the store in the pepip venv and from site-packages in the plain one.
    pepip_files, plain_files = _json_in_both(venvs, _ORIGINS)
    assert all(path.startswith(str(venvs.store)) for path in pepip_files.values()), pepip_files
    assert all(path.startswith(str(venvs.plain)) for path in plain_files.values()), plain_files


_RECORDED_FILES = r"""
import importlib.metadata as m, json
def own(d, path):
    # uv writes REQUESTED into every dist-info it installs; pepip only for requested
    # distributions, as pip does. Bytecode: the store compiles it, plain uv does not.
    return path != "%s/REQUESTED" % d._path.name and "__pycache__" not in path
print(json.dumps({d.metadata["Name"].lower(): sorted({str(f) for f in d.files if own(d, str(f))})
                  for d in m.distributions()}))
"""


@pytest.mark.network
def test_recorded_files_of_every_distribution_match_plain_uv_venv(venvs):
    pepip_files, plain_files = _json_in_both(venvs, _RECORDED_FILES)
    assert pepip_files.keys() == plain_files.keys()
    differing = {name: sorted(set(pepip_files[name]) ^ set(plain_files[name]))[:5]
                 for name in pepip_files if pepip_files[name] != plain_files[name]}
    assert differing == {}


_LICENSE_FILES = r"""
import importlib.metadata as m, json
listed, unreadable = 0, []
for d in m.distributions():
    prefix = d._path.name + "/"
    for path in (str(f)[len(prefix):] for f in d.files if str(f).startswith(prefix)):
        if path.startswith(("licenses/", "sboms/")):  # PEP 639 license files, SBOMs (PEP 770)
            listed += 1
            if d.read_text(path) is None:
                unreadable.append(d.metadata["Name"].lower() + ": " + path)
print(json.dumps({"listed": listed, "unreadable": sorted(unreadable)}))
"""


@pytest.mark.network
def test_license_files_in_dist_info_are_readable_as_in_plain_uv_venv(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _LICENSE_FILES)
    assert plain_seen["listed"] > 10 and plain_seen["unreadable"] == []
    assert pepip_seen == plain_seen


_LAUNCHER_RECORDS = r"""
import base64, collections, hashlib, importlib.metadata as m, json
problems = []
for d in m.distributions():
    name = d.metadata["Name"].lower()
    for path, count in collections.Counter(str(f) for f in d.files).items():
        if count > 1:
            problems.append("%s: %s listed %d times" % (name, path, count))
    for f in d.files:
        if f.hash is None or not str(f).startswith("../"):  # files in bin/ and share/
            continue
        try:
            data = d.locate_file(f).read_bytes()
        except OSError as error:
            problems.append("%s: %s: %s" % (name, f, error))
            continue
        digest = base64.urlsafe_b64encode(hashlib.new(f.hash.mode, data).digest()).rstrip(b"=").decode()
        if digest != f.hash.value:
            problems.append("%s: %s differs from a RECORD row" % (name, f))
print(json.dumps(sorted(set(problems))))
"""


@pytest.mark.network
def test_scripts_and_data_files_match_their_record_rows(venvs):
    pepip_problems, plain_problems = _json_in_both(venvs, _LAUNCHER_RECORDS)
    assert plain_problems == []
    assert pepip_problems == []
    for _, venv in venvs.pairs():  # one entry point target, one launcher text, as in the plain venv
        assert (venv / "bin" / "py.test").read_bytes() == (venv / "bin" / "pytest").read_bytes()


_TOP_LEVEL = r"""
import importlib.metadata as m, importlib.util as u, inspect, json, sys
names = set()
for d in m.distributions():
    for f in d.files or []:
        parts = f.parts
        if parts[0] == ".." or parts[0].endswith((".dist-info", ".data")) or "__pycache__" in parts:
            continue
        name = parts[0] if len(parts) > 1 else inspect.getmodulename(parts[0])
        if name and "." not in name and "-" not in name:
            names.add(name)
print(json.dumps({name: u.find_spec(name) is not None for name in sorted(names)}))
"""


@pytest.mark.network
def test_every_top_level_module_is_found_as_in_plain_uv_venv(venvs):
    pepip_found, plain_found = _json_in_both(venvs, _TOP_LEVEL)
    assert all(plain_found.values()) and len(plain_found) > 80
    assert {name for name, found in pepip_found.items() if not found} == set()
    assert pepip_found == plain_found


_REQUESTS = r"""
import http.server, json, os, threading
import certifi, requests

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"path": self.path, "agent": self.headers["User-Agent"][:15]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
with requests.Session() as session:
    session.trust_env = False
    response = session.get("http://127.0.0.1:%d/q" % server.server_port, params={"a": "b c"}, timeout=30)
server.shutdown()
print(json.dumps({"status": response.status_code, "json": response.json(),
                  "apparent": response.apparent_encoding, "ca_bundle": os.path.getsize(certifi.where()) > 1000}))
"""


@pytest.mark.network
def test_requests_round_trip_to_a_local_server(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _REQUESTS)
    assert pepip_seen == plain_seen
    assert pepip_seen["status"] == 200 and pepip_seen["ca_bundle"]
    assert pepip_seen["json"] == {"path": "/q?a=b+c", "agent": "python-requests"}


_NUMPY_PANDAS = r"""
import io, json
import numpy as np, pandas as pd
frame = pd.read_csv(io.StringIO("k,v\na,1\nb,2\na,3\n"))
matrix = np.array([[2.0, 1.0], [1.0, 3.0]])
print(json.dumps({
    "sums": {k: int(v) for k, v in frame.groupby("k")["v"].sum().items()},
    "solve": np.linalg.solve(matrix, [3.0, 5.0]).round(6).tolist(),
    "eig": sorted(np.linalg.eigvalsh(matrix).round(6).tolist()),
    "utc": str(pd.Timestamp("2024-03-10 12:00", tz="Europe/Paris").tz_convert("UTC")),
    "random": np.random.default_rng(7).integers(0, 100, 3).tolist(),
}))
"""


@pytest.mark.network
def test_numpy_and_pandas_compute(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _NUMPY_PANDAS)
    assert pepip_seen == plain_seen
    assert pepip_seen["sums"] == {"a": 4, "b": 2}
    assert pepip_seen["solve"] == [0.8, 1.4]
    assert pepip_seen["utc"] == "2024-03-10 11:00:00+00:00"


_PILLOW = r"""
import io, json
from PIL import Image, ImageDraw, ImageFont, features
image = Image.new("RGB", (48, 16), "white")
draw = ImageDraw.Draw(image)
draw.rectangle((0, 0, 15, 15), fill=(255, 0, 0))
draw.text((18, 2), "pe", fill="black", font=ImageFont.load_default(size=10))  # FreeType
saved = {}
for fmt in ("PNG", "JPEG", "WEBP", "TIFF"):
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    buffer.seek(0)
    with Image.open(buffer) as back:
        back.load()
        saved[fmt] = [back.format, list(back.size), back.convert("RGB").getpixel((4, 4))[0] > 200]
print(json.dumps({"saved": saved, "features": {name: features.check(name)
                  for name in ("jpg", "zlib", "webp", "freetype2", "libtiff")}}))
"""


@pytest.mark.network
def test_pillow_codecs_from_pillow_libs(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _PILLOW)
    assert pepip_seen == plain_seen
    assert all(pepip_seen["features"].values()), pepip_seen["features"]  # libjpeg, libwebp, ... in pillow.libs
    assert pepip_seen["saved"]["PNG"] == ["PNG", [48, 16], True]
    assert [value[0] for value in pepip_seen["saved"].values()] == ["PNG", "JPEG", "WEBP", "TIFF"]


_LXML = r"""
import json
from lxml import etree, html
doc = etree.fromstring(b"<catalog><book id='1'><title>A</title></book><book id='2'><title>B</title></book></catalog>")
xslt = etree.XSLT(etree.fromstring(
    b'<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">'
    b'<xsl:template match="/"><n><xsl:value-of select="count(//book)"/></n></xsl:template></xsl:stylesheet>'))
print(json.dumps({
    "titles": doc.xpath("//book[@id > 1]/title/text()"),
    "xslt": etree.tostring(xslt(etree.ElementTree(doc)).getroot()).decode(),
    "html": html.fromstring("<p>hi <b>there</b></p>").text_content(),
    "libxml": list(etree.LIBXML_VERSION),
}))
"""


@pytest.mark.network
def test_lxml_parses_queries_and_transforms(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _LXML)
    assert pepip_seen == plain_seen
    assert pepip_seen["titles"] == ["B"] and pepip_seen["xslt"] == "<n>2</n>"
    assert pepip_seen["html"] == "hi there"


_ORJSON = r"""
import dataclasses, datetime, json
import numpy, orjson

@dataclasses.dataclass
class Point:
    x: int
    when: datetime.date

data = orjson.dumps({"p": Point(1, datetime.date(2024, 1, 2)), "a": numpy.arange(3)},
                    option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_SORT_KEYS)
print(json.dumps({"dumped": data.decode(), "loaded": orjson.loads(data)}))
"""


@pytest.mark.network
def test_orjson_dumps_dataclasses_and_numpy(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _ORJSON)
    assert pepip_seen == plain_seen
    assert pepip_seen["dumped"] == '{"a":[0,1,2],"p":{"x":1,"when":"2024-01-02"}}'


_JARACO = r"""
import json
import jaraco, jaraco.context, jaraco.functools, jaraco.text
with jaraco.context.ExceptionTrap(KeyError) as trap:
    {}["missing"]
print(json.dumps({
    "namespace": getattr(jaraco, "__file__", None) is None,
    "trapped": bool(trap),
    "composed": jaraco.functools.compose(str.upper, str.strip)("  hi "),
    "folded": jaraco.text.FoldedCase("Hello") == "hELLO",
    "lorem": jaraco.text.lorem_ipsum.split()[:2],  # a data file read with importlib.resources
}))
"""


@pytest.mark.network
def test_jaraco_namespace_split_over_three_distributions(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _JARACO)
    assert pepip_seen == plain_seen
    assert pepip_seen == {"namespace": True, "trapped": True, "composed": "HI", "folded": True,
                          "lorem": ["Lorem", "ipsum"]}


_PROTOBUF = r"""
import json
import google
from google.protobuf import any_pb2, descriptor_pb2, json_format
from google.protobuf.internal import api_implementation
from google.api import annotations_pb2, http_pb2
from google.rpc import status_pb2
from google.type import date_pb2
proto = descriptor_pb2.FileDescriptorProto(name="x.proto", package="demo")
back = descriptor_pb2.FileDescriptorProto.FromString(proto.SerializeToString())
detail = any_pb2.Any()
detail.Pack(date_pb2.Date(year=2024, month=2, day=29))
status = status_pb2.Status(code=3, message="bad", details=[detail])
date = date_pb2.Date()
status.details[0].Unpack(date)
print(json.dumps({
    "namespace": getattr(google, "__file__", None) is None,
    "package": back.package,
    "date": [date.year, date.month, date.day],
    "status": json_format.MessageToDict(status),
    "http": http_pb2.HttpRule(get="/v1/{name}").get,
    "http_option": annotations_pb2.http.number,
    "implementation": api_implementation.Type(),
}))
"""


@pytest.mark.network
def test_protobuf_and_googleapis_common_protos_share_the_google_namespace(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _PROTOBUF)
    assert pepip_seen == plain_seen
    assert pepip_seen["namespace"] and pepip_seen["package"] == "demo"
    assert pepip_seen["date"] == [2024, 2, 29] and pepip_seen["http"] == "/v1/{name}"
    assert pepip_seen["status"]["details"][0]["@type"] == "type.googleapis.com/google.type.Date"


_SIX_TYPING_EXTENSIONS = r"""
import json
import six, typing_extensions
from six.moves import configparser, range as six_range
from six.moves.urllib.parse import quote

class Meta(type):
    pass

class Base(six.with_metaclass(Meta, object)):
    pass

class Movie(typing_extensions.TypedDict):
    title: str
    year: typing_extensions.NotRequired[int]

print(json.dumps({
    "quote": quote("a b"), "metaclass": type(Base).__name__, "range": list(six_range(3)),
    "configparser": configparser.__name__,
    "required": sorted(Movie.__required_keys__), "optional": sorted(Movie.__optional_keys__),
    "is_typeddict": typing_extensions.is_typeddict(Movie),
}))
"""


@pytest.mark.network
def test_six_moves_and_typing_extensions(venvs):
    pepip_seen, plain_seen = _json_in_both(venvs, _SIX_TYPING_EXTENSIONS)
    assert pepip_seen == plain_seen
    assert pepip_seen == {"quote": "a%20b", "metaclass": "Meta", "range": [0, 1, 2],
                          "configparser": "configparser", "required": ["title"], "optional": ["year"],
                          "is_typeddict": True}


_TINY_TESTS = "import time\n\ndef test_fast():\n    assert True\n\ndef test_slow():\n    time.sleep(60)\n"


@pytest.mark.network
def test_pytest_console_scripts_and_timeout_plugin(venvs, tmp_path):
    for label, _ in venvs.pairs():
        (tmp_path / label).mkdir()
        (tmp_path / label / "test_tiny.py").write_text(_TINY_TESTS)
    label_of = {venvs.pepip: "pepip", venvs.plain: "plain"}
    runs = _run_in_both(
        venvs, lambda venv: [str(venv / "bin" / "pytest"), "-p", "no:cacheprovider", "--timeout=5", "test_tiny.py"],
        cwd=lambda venv: tmp_path / label_of[venv],
    )
    for run in runs:
        assert run.returncode == 1, run.stdout + run.stderr
        assert "timeout: 5.0s" in run.stdout, run.stdout  # the plugin's report header
        assert "Failed: Timeout (>5.0s) from pytest-timeout" in run.stdout, run.stdout
        assert re.search(r"\b1 failed, 1 passed\b", run.stdout), run.stdout
    versions = [[subprocess.run([str(venv / "bin" / script), "--version"], capture_output=True, text=True,
                                env=_child_env()).stdout.strip() for script in ("pytest", "py.test")]
                for _, venv in venvs.pairs()]
    assert versions[0] == versions[1] and versions[0][0].startswith("pytest ")
    helps = [subprocess.run([str(venv / "bin" / "pytest"), "--help"], capture_output=True, text=True,
                            env=_child_env()).stdout for _, venv in venvs.pairs()]
    assert all("--timeout=TIMEOUT" in text for text in helps)


_UNFORMATTED = "x  =  [1,2 ,3]\nimport os\ndef f( a ):\n  return a\n"
_FORMATTED = "x = [1, 2, 3]\nimport os\n\n\ndef f(a):\n    return a\n"


@pytest.mark.network
def test_black_console_script_formats_a_file(venvs, tmp_path):
    for label, venv in venvs.pairs():
        source = tmp_path / ("%s.py" % label)
        source.write_text(_UNFORMATTED)
        done = subprocess.run([str(venv / "bin" / "black"), "-q", str(source)], capture_output=True, text=True,
                              env=_child_env())
        assert done.returncode == 0, "%s: %s" % (label, done.stderr)
        assert source.read_text() == _FORMATTED, label


@pytest.mark.network
def test_ruff_binary_from_wheel_data_scripts(venvs, tmp_path):
    (tmp_path / "code.py").write_text(_UNFORMATTED)
    seen = []
    for _, venv in venvs.pairs():
        ruff = str(venv / "bin" / "ruff")
        version = subprocess.run([ruff, "--version"], capture_output=True, text=True)
        check = subprocess.run([ruff, "check", "--no-cache", "--isolated", "--select", "F401",
                                "--output-format", "concise", "code.py"], capture_output=True, text=True, cwd=tmp_path)
        formatted = subprocess.run([ruff, "format", "--no-cache", "--isolated", "--stdin-filename", "code.py", "-"],
                                   input=_UNFORMATTED, capture_output=True, text=True, cwd=tmp_path)
        seen.append((version.stdout, check.returncode, check.stdout, formatted.returncode, formatted.stdout))
    assert seen[0] == seen[1]
    version, check_code, check_out, format_code, format_out = seen[0]
    assert version.startswith("ruff ")
    assert check_code == 1 and "code.py:2:8: F401" in check_out, check_out
    assert format_code == 0 and format_out == _FORMATTED


_KERNEL = r"""
import json, sys
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel
specs = KernelSpecManager().find_kernel_specs()
manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
outputs = []
def hook(message):
    if message["msg_type"] == "stream":
        outputs.append(message["content"]["text"])
try:
    reply = client.execute_interactive(
        "import sys, numpy; print(sys.prefix == %r, int(numpy.arange(5).sum()))" % sys.prefix,
        timeout=60, output_hook=hook)
finally:
    client.stop_channels()
    manager.shutdown_kernel(now=True)
print(json.dumps({"specs": specs, "status": reply["content"]["status"], "output": "".join(outputs).strip()}))
"""


@pytest.mark.network
def test_ipykernel_kernelspec_under_share_jupyter_and_a_running_kernel(venvs, tmp_path):
    jupyter = {"JUPYTER_DATA_DIR": str(tmp_path / "data"), "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
               "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "IPYTHONDIR": str(tmp_path / "ipython"),
               "JUPYTER_PATH": ""}
    specs = []
    for _, venv in venvs.pairs():
        kernel_dir = venv / "share" / "jupyter" / "kernels" / "python3"
        spec = json.loads((kernel_dir / "kernel.json").read_text())
        assert spec["argv"][:3] == ["python", "-m", "ipykernel_launcher"]
        specs.append(spec)
        seen = json.loads(venv_run(venv, _KERNEL, env=jupyter).splitlines()[-1])
        # The file in VENV/share, not ipykernel's built-in fallback spec.
        assert seen == {"specs": {"python3": str(kernel_dir)}, "status": "ok", "output": "True 10"}
        listed = subprocess.run([str(venv / "bin" / "jupyter"), "kernelspec", "list", "--json"],
                                capture_output=True, text=True, env=_child_env(jupyter))
        assert listed.returncode == 0, listed.stderr
        assert json.loads(listed.stdout)["kernelspecs"]["python3"]["resource_dir"] == str(kernel_dir)
    assert specs[0] == specs[1]
    versions = [subprocess.run([str(venv / "bin" / "python"), "-m", "ipykernel", "--version"],
                               capture_output=True, text=True, env=_child_env(jupyter)).stdout.strip()
                for _, venv in venvs.pairs()]
    assert versions[0] == versions[1] and re.fullmatch(r"\d+\.\d+\S*", versions[0])


_SETUPTOOLS = r"""
import contextlib, distutils, json, os, sys, zipfile
import setuptools.build_meta as backend
with contextlib.redirect_stdout(sys.stderr):
    wheel = backend.build_wheel("dist")
with zipfile.ZipFile(os.path.join("dist", wheel)) as archive:
    members = sorted(archive.namelist())
print(json.dumps({"distutils": distutils.__file__.split(os.sep)[-3:], "wheel": wheel, "members": members}))
"""


@pytest.mark.network
def test_setuptools_distutils_precedence_pth_and_a_build(venvs, tmp_path):
    seen = []
    for label, venv in venvs.pairs():
        project = tmp_path / label
        (project / "tiny").mkdir(parents=True)
        (project / "tiny" / "__init__.py").write_text("")
        (project / "setup.py").write_text('from setuptools import setup\nsetup(name="tiny", version="1.2", packages=["tiny"])\n')
        done = subprocess.run([str(venv / "bin" / "python"), "-c", _SETUPTOOLS], capture_output=True, text=True,
                              cwd=project, env=_child_env())
        assert done.returncode == 0, done.stderr
        seen.append(json.loads(done.stdout.splitlines()[-1]))
        stdlib = venv_run(venv, "import distutils; print(distutils.__file__)",
                          env={"SETUPTOOLS_USE_DISTUTILS": "stdlib"})
        assert "setuptools" not in stdlib  # the .pth's shim honours the switch, as in a plain venv
    assert seen[0] == seen[1]
    # distutils-precedence.pth (inside the setuptools distribution) made setuptools' copy win.
    assert seen[0]["distutils"] == ["setuptools", "_distutils", "__init__.py"]
    assert seen[0]["wheel"] == "tiny-1.2-py3-none-any.whl" and "tiny/__init__.py" in seen[0]["members"]


def _download_sdist(name: str, version: str, destination: Path) -> Path:
    """Unpack ``name==version``'s sdist from PyPI's JSON simple API (no build, unlike pip download)."""
    request = urllib.request.Request(_SIMPLE_API % name, headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        files = json.load(response)["files"]

    def canonical(text: str) -> str:
        return re.sub(r"[-_.]+", "-", text).lower()

    def name_version(filename: str) -> tuple[str, str]:
        stem, _, found_version = filename[: -len(".tar.gz")].rpartition("-")
        return canonical(stem), found_version

    (found,) = [f for f in files if f["filename"].endswith(".tar.gz")
                and name_version(f["filename"]) == (canonical(name), version)]
    with urllib.request.urlopen(found["url"], timeout=120) as response:
        data = response.read()
    assert hashlib.sha256(data).hexdigest() == found["hashes"]["sha256"]
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        if hasattr(tarfile, "data_filter"):
            archive.extractall(destination, filter="data")
        else:  # pragma: no cover - Pythons without PEP 706
            archive.extractall(destination)
    (root,) = destination.iterdir()
    return root


_RECORD_MODULE = """
import importlib, pathlib
def pytest_configure(config):
    module = importlib.import_module(%r)
    pathlib.Path(__file__).with_name("under-test.txt").write_text(module.__file__)
"""


def _suite_copies(
    venvs: Venvs, sdist: Path, tmp_path: Path, keep: Sequence[str], pytest_module: str | None = None
) -> dict[Path, Path]:
    """One copy per venv of the sdist's tests and config, without the package's own source.

    The tests must import the installed package, never the sdist's copy (which ``python -m`` or
    pytest's rootdir insertion would put first on sys.path). Each copy gets its own cwd, so
    hypothesis' database and pytest's files stay apart in the concurrent runs. For a pytest run,
    a root conftest.py writes the file ``pytest_module`` was imported from to under-test.txt.
    """
    copies = {}
    for label, venv in venvs.pairs():
        copy = tmp_path / ("suite-" + label)
        copy.mkdir()
        for name in keep:
            if (sdist / name).is_dir():
                shutil.copytree(sdist / name, copy / name)
            elif (sdist / name).exists():
                shutil.copy2(sdist / name, copy / name)
        if pytest_module is not None:
            assert not (copy / "conftest.py").exists()
            (copy / "conftest.py").write_text(_RECORD_MODULE % pytest_module)
        copies[venv] = copy
    return copies


def _installed_version(venvs: Venvs, name: str) -> str:
    code = "import importlib.metadata as m; print(m.version(%r))" % name
    versions = {venv_run(venv, code) for _, venv in venvs.pairs()}
    assert len(versions) == 1, versions
    return versions.pop()


def _outcomes(junit_xml: Path) -> Counter[tuple[str, str]]:
    """(test id, outcome) of every test case in a JUnit XML report."""
    found: Counter[tuple[str, str]] = Counter()
    for case in ElementTree.parse(junit_xml).getroot().iter("testcase"):
        tags = {child.tag for child in case}
        outcome = "failed" if tags & {"failure", "error"} else "skipped" if "skipped" in tags else "passed"
        found[("%s::%s" % (case.get("classname"), case.get("name")), outcome)] += 1
    return found


def _compare_suite_runs(venvs: Venvs, outcomes: dict[Path, Counter[tuple[str, str]]], minimum: int) -> None:
    """The pepip run passes exactly what the plain run passes and fails nothing that passes there."""
    def ids(venv: Path, outcome: str) -> Counter[str]:
        return Counter({test: n for (test, seen), n in outcomes[venv].items() if seen == outcome})

    pepip_passed, plain_passed = ids(venvs.pepip, "passed"), ids(venvs.plain, "passed")
    assert sum(plain_passed.values()) >= minimum, "the plain run passed too few tests to compare"
    assert pepip_passed == plain_passed, {
        "failing only with pepip": sorted((plain_passed - pepip_passed).elements())[:20],
        "passing only with pepip": sorted((pepip_passed - plain_passed).elements())[:20],
    }
    assert ids(venvs.pepip, "failed") - ids(venvs.plain, "failed") == Counter()


_UNITTEST_RUNNER = r"""
import importlib, json, sys, unittest

class Recording(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.outcomes = []
    def addSuccess(self, test):
        super().addSuccess(test)
        self.outcomes.append((test.id(), "passed"))
    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.outcomes.append((test.id(), "failed"))
    def addError(self, test, err):
        super().addError(test, err)
        self.outcomes.append((test.id(), "failed"))
    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self.outcomes.append((subtest.id(), "failed"))
    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.outcomes.append((test.id(), "skipped"))
    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.outcomes.append((test.id(), "skipped"))
    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.outcomes.append((test.id(), "failed"))

suite = unittest.defaultTestLoader.discover("tests", top_level_dir=".")
result = Recording()
suite.run(result)
for test, text in (result.failures + result.errors)[:5]:
    sys.stderr.write("%s\n%s\n" % (test.id(), text))
print(json.dumps({"module": importlib.import_module(sys.argv[1]).__file__, "outcomes": result.outcomes}))
"""


@pytest.mark.network
def test_more_itertools_own_test_suite_matches_plain_uv_venv(venvs, tmp_path):
    version = _installed_version(venvs, "more-itertools")
    sdist = _download_sdist("more-itertools", version, tmp_path / "sdist")
    copies = _suite_copies(venvs, sdist, tmp_path, ["tests"])
    for copy in copies.values():
        (copy / "run_suite.py").write_text(_UNITTEST_RUNNER)
    # The project runs its suite with unittest (tox.ini, Makefile), which also runs its doctests.
    runs = _run_in_both(venvs, lambda venv: [str(venv / "bin" / "python"), "run_suite.py", "more_itertools"],
                        cwd=lambda venv: copies[venv], timeout=_SUITE_TIMEOUT)
    outcomes = {}
    for (label, venv), run in zip(venvs.pairs(), runs):
        assert run.returncode == 0, "%s: %s" % (label, run.stderr[-3000:])
        report = json.loads(run.stdout.splitlines()[-1])
        root = venvs.store if label == "pepip" else venvs.plain
        assert report["module"].startswith(str(root)), report["module"]
        outcomes[venv] = Counter((test, outcome) for test, outcome in report["outcomes"])
    _compare_suite_runs(venvs, outcomes, minimum=500)


@pytest.mark.network
def test_attrs_own_test_suite_matches_plain_uv_venv(venvs, tmp_path):
    version = _installed_version(venvs, "attrs")
    sdist = _download_sdist("attrs", version, tmp_path / "sdist")
    # Practical here: ~1400 tests in ~30 s. pyproject.toml carries attrs' pytest settings
    # (--import-mode=importlib, xfail_strict, ...); its pyright and mypy-plugin tests skip themselves
    # or are not collected, as those tools are not installed (in either venv).
    copies = _suite_copies(venvs, sdist, tmp_path, ["tests", "pyproject.toml"], "attr")
    runs = _run_in_both(
        venvs,
        lambda venv: [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                      "--junitxml", str(copies[venv] / "report.xml")],
        cwd=lambda venv: copies[venv], timeout=_SUITE_TIMEOUT,
    )
    outcomes = {}
    for (label, venv), run in zip(venvs.pairs(), runs):
        assert run.returncode in (0, 1), "%s: %s" % (label, (run.stdout + run.stderr)[-3000:])
        module = (copies[venv] / "under-test.txt").read_text()
        assert module.startswith(str(venvs.store if label == "pepip" else venvs.plain)), module
        outcomes[venv] = _outcomes(copies[venv] / "report.xml")
    _compare_suite_runs(venvs, outcomes, minimum=1000)
