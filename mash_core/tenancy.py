"""The current municipality (tenant) of a request, CLI call or job, held in a context variable."""

from __future__ import annotations

import contextlib
import contextvars
from typing import Iterator

_current: contextvars.ContextVar[int | None] = contextvars.ContextVar("mash_municipality", default=None)


def current_municipality_id() -> int | None:
    return _current.get()


def set_municipality_id(municipality_id: int | None) -> contextvars.Token:
    return _current.set(municipality_id)


def reset_municipality_id(token: contextvars.Token) -> None:
    _current.reset(token)


@contextlib.contextmanager
def municipality_context(municipality_id: int) -> Iterator[None]:
    """Run a block as municipality ``municipality_id``: every query and insert is scoped to it."""
    token = _current.set(municipality_id)
    try:
        yield
    finally:
        _current.reset(token)
