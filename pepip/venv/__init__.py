"""The venv side: a venv opened as a transaction (``target``, ``journal``), made from a
template (``templates``), wired to the store (``wiring``, ``scripts``), the facts of its
interpreter (``interpreter``) and what pip or uv installed into it (``foreign``).

It uses the store, uv and the top-level modules; the commands use it.
"""
