"""Fixture plugins and small helpers for the core's tests.

Each ``fx_*.py`` module here is a plain plugin module (a ``manifest`` plus hook implementations)
that tests hand to the registry with ``mash_app_factory(extra={"<slug>": module})``. They are
imported as top-level modules (this folder is put on ``sys.path``) because the core attributes a
table to the plugin whose top-level package defines it: one shared package would mix their tables.
"""

from __future__ import annotations

import html
import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def load(name: str):
    """Import fixture plugin module ``name`` (for example ``"fx_boom"``)."""
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    return importlib.import_module(name)


def csrf_token(client, path: str = "/") -> str:
    """The CSRF token of ``client``'s session, read from a form on ``path``."""
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token in {path} ({page.status_code})"
    return match.group(1)


def post_form(client, path: str, data: dict | None = None, token_from: str = "/", **kwargs):
    """POST ``data`` to ``path`` with a valid CSRF token, as a browser would."""
    data = dict(data or {})
    data["csrf_token"] = csrf_token(client, token_from)
    return client.post(path, data=data, **kwargs)


def text(response) -> str:
    """The response body with HTML entities decoded (for searching reasons with quotes)."""
    return html.unescape(response.get_data(as_text=True))


def other_worker(app, plugins=(), extra=None):
    """Another application object (a second web worker) on ``app``'s database.

    Returns ``(app2, engine)``; dispose the engine when done.
    """
    from mash_core.app import create_app
    from mash_core.db import make_engine
    from mash_core.testing import MashClient, build_registry

    mash = app.extensions["mash"]
    engine = make_engine(mash.settings.database_url)
    other = create_app(mash.settings, build_registry(plugins, extra), engine)
    other.config.update(TESTING=True)
    other.test_client_class = MashClient
    return other, engine
