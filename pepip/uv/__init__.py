"""The uv side: the only part that runs uv (``runner``), the uv commands pepip runs
(``resolve``) with the options it passes through (``options``), the requirements a user
types (``requests``), the answers it remembers (``resolutions``), uv's ``pylock.toml`` read
and written (``pylock``), the hashes requirement files allow (``hashes``), and what a
resolution is offered beside the indexes (``installed``: the venv's distributions;
``stored``: offline, the store's builds).

Below the store, the venvs and the commands: it takes paths and values, never a ``Store`` or a
``OpenVenv``.
"""
