"""pepip: install each distribution once into a shared store and wire venvs to it."""

__all__ = ["__version__"]

__version__ = "0.1.0"
