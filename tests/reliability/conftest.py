"""Fixtures of the reliability tests: ``team`` (two real users sharing a store)."""

from teamstore import team  # noqa: F401 (a fixture, found by pytest here)
