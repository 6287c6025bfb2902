"""Admin section (being built)."""
from . import bp  # noqa: F401
