"""Server-side cache of anonymous pages whose content is fully determined by the municipality's
state (plugins, settings, branding), the language and the URL — the home and legal pages.

The per-request plugin-state check still runs before a cached page is served, and the key holds
the municipality's ``state_version``, so enabling or disabling a plugin changes the very next
response. Signed-in users, requests carrying flash messages and non-GET requests always render.
``MASH_PAGE_CACHE=0`` switches it off.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from typing import Callable

from flask import Response, current_app, g, request, session
from flask_babel import get_locale

MAX_ENTRIES = 256  # URLs carry free query strings: bounded, least recently used goes first
_lock = threading.Lock()


def _entries() -> "OrderedDict[tuple, str]":
    """The cache of this application (tests build many apps over identical ids in one process)."""
    return current_app.extensions.setdefault("mash_page_cache", OrderedDict())


def enabled() -> bool:
    return os.environ.get("MASH_PAGE_CACHE", "1") != "0"


def cached_for_anonymous(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if (not enabled() or request.method != "GET" or g.get("user") is not None
                or g.get("municipality") is None or "_flashes" in session):
            return view(*args, **kwargs)
        m = g.municipality
        key = (m.id, m.state_version, str(get_locale()), request.full_path)
        entries = _entries()
        with _lock:
            body = entries.get(key)
            if body is not None:
                entries.move_to_end(key)
        if body is None:
            registry = current_app.extensions["mash"].registry
            errors = registry.error_count
            body = view(*args, **kwargs)
            if not isinstance(body, str) or registry.error_count != errors:
                return body  # a page that saw a plugin fail is rendered afresh next time
            with _lock:
                entries[key] = body
                while len(entries) > MAX_ENTRIES:
                    entries.popitem(last=False)
        return Response(body, mimetype="text/html")

    return wrapped


def clear() -> None:
    with _lock:
        _entries().clear()
