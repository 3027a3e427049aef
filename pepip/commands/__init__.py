"""The commands: install, sync, uninstall, repair, doctor and listing, and the step that
every command changing what a venv holds ends with (``apply``: ``plan`` -> store -> wire ->
manifest). Only ``cli.py``, ``install_line.py``, ``list_line.py`` and ``__main__.py`` are above them.
"""
