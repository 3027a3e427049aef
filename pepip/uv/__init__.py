"""The uv side: the only part that runs uv (``resolve``), the answers it remembers
(``resolutions``) and the hashes requirement files allow (``hashes``).

Below the store, the venvs and the commands: it takes paths and values, never a ``Store`` or a
``OpenVenv``.
"""
