"""The differential corpus: real packages, command lines and projects (tests/differential.py).

``subset=True`` marks the scenarios tests/test_differential.py runs in CI (every kind, a few
minutes); ``python eval/compat.py`` runs them all. A difference the project keeps on purpose
is listed in the scenario's ``documented`` with the section of docs/compatibility.md.
"""

from __future__ import annotations

from differential import Scenario

_SIX_WHEEL = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl"
_SIX_SDIST = "https://files.pythonhosted.org/packages/94/e7/b2c673351809dca68a0e064b6af791aa332cf192da575fd474ed7d6f16a2/six-1.17.0.tar.gz"
_HASHED = (
    "idna==3.10 \\\n"
    "    --hash=sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9 \\\n"
    "    --hash=sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3\n"
    "six==1.17.0 \\\n"
    "    --hash=sha256:4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274 \\\n"
    "    --hash=sha256:ff70335d468e7eb6ec65b95b99d3a2836546063f63acc5171de367e834932a81\n"
)


def _stack(name: str, *packages: str, python: str = "3.11", subset: bool = False) -> Scenario:
    """One ``install`` of ``packages`` into a fresh venv."""
    return Scenario(name, "packages", (("install", *packages),), python=python, subset=subset)


# The most-used distributions by stack: each requested by name (their dependencies come too).
PACKAGES = [
    _stack("web-requests", "requests", "urllib3", "certifi", "charset-normalizer", "idna", "requests-oauthlib",
           "oauthlib", "pyjwt", "cachetools", "rsa", "pyasn1", subset=True),
    _stack("web-fastapi", "fastapi", "uvicorn[standard]", "starlette", "pydantic", "pydantic-core", "httpx",
           "anyio", "python-multipart", "email-validator", "python-dotenv", "websockets", "httptools",
           "uvloop", "watchfiles"),
    _stack("web-django-flask", "django", "asgiref", "sqlparse", "flask", "werkzeug", "jinja2", "markupsafe",
           "itsdangerous", "blinker", "gunicorn", "whitenoise"),
    _stack("web-async-db", "aiohttp", "yarl", "multidict", "frozenlist", "aiosignal", "sqlalchemy", "alembic",
           "psycopg2-binary", "greenlet", "redis", "celery", "kombu"),
    _stack("cloud-aws", "boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "awscrt"),
    _stack("cloud-google-azure-namespaces", "google-api-core", "google-auth", "googleapis-common-protos",
           "protobuf", "grpcio", "azure-core", "azure-storage-blob", "isodate"),
    _stack("data-core", "numpy", "pandas", "scipy", "pytz", "tzdata", "pyarrow", "polars", "duckdb",
           "openpyxl", "et-xmlfile", "xlrd", "tabulate", subset=True),
    _stack("data-science", "scikit-learn", "joblib", "threadpoolctl", "matplotlib", "seaborn", "statsmodels",
           "patsy", "sympy", "mpmath", "networkx"),
    _stack("data-images", "pillow", "opencv-python-headless", "scikit-image", "imageio", "tifffile",
           "lazy-loader", "h5py"),
    _stack("data-jit", "numba", "llvmlite", "lightgbm", "tqdm"),
    _stack("ml-huggingface", "transformers", "tokenizers", "safetensors", "huggingface-hub", "datasets",
           "dill", "multiprocess", "xxhash", "fsspec", "sentencepiece", "einops", "regex"),
    _stack("ml-tensorboard", "tensorboard", "markdown", "absl-py", "tensorboard-data-server"),
    _stack("jupyter", "jupyter", "ipywidgets", "nbconvert"),
    _stack("cli-dev", "click", "typer", "rich", "black", "ruff", "isort", "flake8", "pycodestyle",
           "pyflakes", "mccabe", "mypy", "mypy-extensions", subset=True),
    _stack("cli-lint-test", "pylint", "astroid", "pytest", "pytest-cov", "coverage", "pytest-xdist",
           "execnet", "hypothesis", "tox", "nox", "pre-commit", "identify", "nodeenv", "cfgv"),
    _stack("packaging-tools", "virtualenv", "distlib", "filelock", "platformdirs", "build", "twine",
           "wheel", "setuptools", "pip", "packaging", "pyproject-hooks", "pipdeptree", subset=True),
    _stack("c-extensions", "lxml", "orjson", "ujson", "msgpack", "cryptography", "cffi", "pycparser",
           "bcrypt", "psutil", "zstandard", "pyyaml", "simplejson", "ruamel.yaml", "pynacl", subset=True),
    _stack("namespaces-and-pth", "jaraco.functools", "jaraco.text", "jaraco.context", "jaraco.classes",
           "zope.interface", "zope.event", "backports.tarfile", "keyring", "sphinx", "docutils",
           "babel", "pygments", "snowballstemmer", "alabaster", subset=True),
    _stack("misc-utils", "attrs", "more-itertools", "typing_extensions", "six", "decorator", "wrapt",
           "toml", "tomli", "colorama", "termcolor", "pexpect", "ptyprocess", "beautifulsoup4",
           "soupsieve", "html5lib", "webencodings", "jsonschema", "referencing", "rpds-py",
           "jsonschema-specifications"),
    _stack("misc-ops", "paramiko", "fabric", "invoke", "sentry-sdk", "structlog", "loguru", "tenacity",
           "backoff", "arrow", "pendulum", "dateparser", "humanize", "tzlocal", "croniter", "deprecated",
           "prometheus-client", "opentelemetry-api", "importlib-metadata", "zipp"),
    # Older versions of the big ones, and other interpreters
    _stack("numpy-1.26-py3.9", "numpy==1.26.4", python="3.9"),
    _stack("numpy-1.26-py3.11", "numpy==1.26.4"),
    _stack("numpy-2.0-py3.9", "numpy==2.0.2", python="3.9"),
    _stack("numpy-2.0-py3.11", "numpy==2.0.2", subset=True),  # its wheel ships __pycache__
    _stack("numpy-2.2-py3.11", "numpy==2.2.6"),
    _stack("pandas-1.5-py3.9", "pandas==1.5.3", "numpy<2", python="3.9"),
    _stack("pandas-1.5-py3.11", "pandas==1.5.3", "numpy<2"),
    _stack("scipy-py3.12", "scipy", "numpy", python="3.12"),
    _stack("py3.8-web", "requests", "flask", "click", "attrs", "importlib-resources", python="3.8"),
    _stack("py3.10-data", "numpy", "pandas", "pyyaml", python="3.10"),
    _stack("py3.13-mixed", "numpy", "rich", "httpx", "pydantic", "orjson", python="3.13"),
    Scenario("torch-cpu-find-links", "packages", (("install", "torch==2.13.0+cpu", "-f", "{find_links}"),)),
]

COMMAND_LINES = [
    Scenario("a second install keeps the first", "command line",
             (("install", "six"), ("install", "idna==3.10")), subset=True),
    Scenario("a later install keeps what came from -f", "command line",
             (("install", "torch==2.13.0+cpu", "-f", "{find_links}"), ("install", "six")), subset=True),
    Scenario("constraints when the venv already satisfies", "command line",
             (("install", "requests", "urllib3==2.2.3"), ("install", "requests", "-c", "c.txt")),
             files={"c.txt": "urllib3<2\n"}, subset=True),
    Scenario("uninstall", "command line", (("install", "requests"), ("uninstall", "requests")), subset=True),
    Scenario("reinstall", "command line", (("install", "six"), ("install", "--reinstall", "six")), subset=True),
    Scenario("reinstall-package", "command line",
             (("install", "six", "idna"), ("install", "--reinstall-package", "six", "six"))),
    Scenario("upgrade", "command line", (("install", "idna==3.7"), ("install", "-U", "idna")), subset=True),
    Scenario("upgrade-package", "command line",
             (("install", "idna==3.7", "six==1.16.0"), ("install", "-P", "idna", "idna", "six"))),
    Scenario("downgrade", "command line", (("install", "idna==3.10"), ("install", "idna==3.6")), subset=True),
    Scenario("install twice changes nothing", "command line", (("install", "jupyter"), ("install", "jupyter")),
             subset=True),
    Scenario("no-deps", "command line", (("install", "--no-deps", "requests"),), subset=True),
    Scenario("dry-run", "command line", (("install", "--dry-run", "requests"),), subset=True),
    Scenario("exclude-newer", "command line", (("install", "--exclude-newer", "2024-01-01", "requests"),),
             subset=True),
    Scenario("pre-releases", "command line", (("install", "--pre", "idna<3.8"),)),
    Scenario("extras", "command line", (("install", "requests[socks]"),), subset=True),
    Scenario("only-binary", "command line", (("install", "--only-binary", ":all:", "pyyaml"),)),
    Scenario("no-binary builds the sdist", "command line", (("install", "--no-binary", "six", "six"),), subset=True),
    Scenario("index-url", "command line",
             (("install", "--index-url", "https://pypi.org/simple", "six"),)),
    Scenario("requirements with nested -r and -c, markers, extras", "command line",
             (("install", "-r", "requirements.txt"),),
             files={
                 "requirements.txt": "-r base.txt\n-c constraints.txt\nrequests[socks] ; python_version >= '3.8'\n"
                                     "colorama ; sys_platform == 'win32'\n",
                 "base.txt": "idna\n-r more/more.txt\n",
                 "more/more.txt": "six\n",
                 "constraints.txt": "urllib3<2\n",
             }, subset=True),
    Scenario("requirements with a BOM and CRLF", "command line", (("install", "-r", "requirements.txt"),),
             files={"requirements.txt": "\ufeffsix==1.17.0\r\nidna==3.10\r\n"}, subset=True),
    Scenario("requirements with hashes", "command line",
             (("install", "--require-hashes", "-r", "hashed.txt"),), files={"hashed.txt": _HASHED}, subset=True),
    Scenario("a wrong hash fails", "command line", (("install", "-r", "hashed.txt"),),
             files={"hashed.txt": _HASHED.replace("4721f391", "0000f391").replace("ff70335d", "0000335d")},
             subset=True),
    Scenario("a wheel URL", "command line", (("install", _SIX_WHEEL),), subset=True),
    Scenario("name @ wheel URL", "command line", (("install", "six @ " + _SIX_WHEEL),)),
    Scenario("an sdist URL", "command line", (("install", _SIX_SDIST),)),
    Scenario("a local project, editable", "command line", (("install", "-e", "./proj"),),
             files={
                 "proj/pyproject.toml": "[project]\nname = 'proj'\nversion = '0.1'\ndependencies = ['six']\n"
                                        "[project.scripts]\nproj = 'proj:main'\n"
                                        "[build-system]\nrequires = ['hatchling']\nbuild-backend = 'hatchling.build'\n",
                 "proj/src/proj/__init__.py": "def main():\n    print('proj')\n",
             }, subset=True),
    Scenario("a local project", "command line", (("install", "./proj"),),
             files={
                 "proj/pyproject.toml": "[project]\nname = 'proj'\nversion = '0.1'\ndependencies = ['idna']\n"
                                        "[build-system]\nrequires = ['hatchling']\nbuild-backend = 'hatchling.build'\n",
                 "proj/src/proj/__init__.py": "",
             }),
    Scenario("an unknown package fails", "command line", (("install", "six"), ("install", "pepip-no-such-package-xyz")),
             subset=True),
    Scenario("a bad specifier fails", "command line", (("install", "six"), ("install", "idna>>3")), subset=True),
    Scenario("a conflict fails", "command line", (("install", "six"), ("install", "idna==3.10", "idna==3.9")),
             subset=True),
    Scenario("a missing requirements file fails", "command line",
             (("install", "six"), ("install", "-r", "missing.txt")), subset=True),
]

_PYPROJECT = (
    "[project]\nname = 'app'\nversion = '0.1'\nrequires-python = '>=3.9'\ndependencies = [%s]\n"
    "[build-system]\nrequires = ['hatchling']\nbuild-backend = 'hatchling.build'\n"
)
_APP = {"src/app/__init__.py": "", "pyproject.toml": _PYPROJECT % "'six'"}

PROJECTS = [
    Scenario("sync a fresh project", "project", (("sync",),), files=_APP, subset=True),
    Scenario("sync a project without a build system", "project", (("sync",),),
             files={"pyproject.toml": "[project]\nname = 'app'\nversion = '0.1'\nrequires-python = '>=3.9'\n"
                                      "dependencies = ['idna']\n"}),
    Scenario("sync from uv.lock", "project", (("@uv", "lock"), ("sync",)), files=_APP, subset=True),
    Scenario("sync a stale uv.lock", "project",
             (("@uv", "lock"), ("@write", "pyproject.toml", _PYPROJECT % "'six', 'idna'"), ("sync",)),
             files=_APP, subset=True),
    Scenario("sync --locked refuses a stale uv.lock", "project",
             (("@uv", "lock"), ("@write", "pyproject.toml", _PYPROJECT % "'six', 'idna'"), ("sync", "--locked")),
             files=_APP, subset=True),
    Scenario("sync keeps the project installed with -e", "project",
             (("install", "-e", "."), ("sync",)), files=_APP, subset=True),
    Scenario("sync removes what the project does not ask for", "project",
             (("sync",), ("install", "idna"), ("sync",)), files=_APP),
]

CORPUS = PACKAGES + COMMAND_LINES + PROJECTS
SUBSET = [scenario for scenario in CORPUS if scenario.subset]
