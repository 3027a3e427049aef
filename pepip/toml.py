"""Reading TOML: the standard library's ``tomllib`` on Python 3.11+, else ``tomli``, which
it is (pypa/build keeps the same shim in ``_compat/tomllib.py``).

Import it inside the function that reads a file: most commands read no TOML, and a
remembered resolution or a warm install should not pay for loading the parser.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from tomllib import loads
else:  # pragma: no cover - the stdlib's tomllib is tomli
    from tomli import loads

__all__ = ["loads"]
