"""The stable facade: the only module of the core that plugins import.

Everything here follows the plugin API version :data:`PLUGIN_API_VERSION`. Names are removed
only after one minor release in which they raise a :class:`DeprecationWarning`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import flask
from flask import g
from flask_babel import gettext, lazy_gettext, ngettext
from flask_smorest import Blueprint as _ApiBlueprint
from sqlmodel import Field, Session, select  # noqa: F401  (re-exported for plugin models)

from . import PLUGIN_API_VERSION
from . import settings as _settings
from .api_markers import hookimpl
from .db import TenantModel, get_session
from .identity.audit import audit
from .identity.permissions import has_permission, public, require_permission
from .models import District, Municipality, User
from .notify import Message
from .plugins.manifest import Manifest, Permission, Role
from .slots import Asset, Link, Section, Tile, Widget
from .tenancy import current_municipality_id, municipality_context

__all__ = [
    "PLUGIN_API_VERSION", "hookimpl", "Manifest", "Permission", "Role",
    "Link", "Tile", "Widget", "Section", "Asset",
    "TenantModel", "Field", "select", "db_session", "Session",
    "Municipality", "District", "User", "current_municipality", "current_user", "municipality_context",
    "current_municipality_id", "plugin_blueprint", "api_blueprint", "render",
    "require_permission", "has_permission", "public", "audit",
    "get_setting", "get_settings", "notify", "Message", "allow_csp_source", "external_url",
    "gettext", "lazy_gettext", "ngettext", "_", "_l",
]

_ = gettext
_l = lazy_gettext


def db_session() -> Session:
    """The database session of the current request or CLI/job context.

    Queries on :class:`TenantModel` tables are scoped to the current municipality and new rows
    are stamped with it. Commit when your unit of work is done.
    """
    return get_session()


def current_municipality() -> Municipality:
    return g.municipality


def current_user() -> Optional[User]:
    return g.get("user")


def plugin_blueprint(slug: str, import_name: str) -> flask.Blueprint:
    """A Blueprint named ``slug`` at ``/<slug>`` with the package's ``templates/`` and ``static/``.

    Put templates in ``templates/<slug>/`` so that names never collide between plugins.
    """
    root = Path(__import__(import_name.split(".")[0]).__file__).parent
    return flask.Blueprint(slug, import_name, url_prefix=f"/{slug}",
                           template_folder=str(root / "templates"),
                           static_folder=str(root / "static") if (root / "static").is_dir() else None,
                           static_url_path="/static")


def api_blueprint(slug: str, import_name: str, description: str = "") -> _ApiBlueprint:
    """A flask-smorest Blueprint for ``/api/v1/<slug>`` named ``<slug>_api``."""
    return _ApiBlueprint(f"{slug}_api", import_name, url_prefix=f"/api/v1/{slug}", description=description)


def render(template: str, **context: Any) -> str:
    """Render ``template`` inside the portal layout (templates extend ``core/layout.html``)."""
    return flask.render_template(template, **context)


def get_settings(slug: str) -> dict[str, Any]:
    """The effective settings of plugin ``slug`` in the current municipality (secrets included,
    for use in code only — never render or log them)."""
    from flask import current_app

    record = current_app.extensions["mash"].registry.get(slug)
    schema = record.manifest.settings if record and record.manifest else None
    return {k: v.value for k, v in _settings.resolve(get_session(), slug, schema).items()}


def get_setting(slug: str, key: str) -> Any:
    return get_settings(slug)[key]


def allow_csp_source(directive: str, *sources: str) -> None:
    """Allow host ``sources`` in ``directive`` of the Content-Security-Policy of the current
    response only (call it in the view, e.g. for the tile server of a map page).

    Only ``img-src`` and ``connect-src`` can be widened, and only with host sources:
    ``https://host[:port]`` (``https://*.host`` for its subdomains) or ``http://`` on this
    machine (``localhost``, ``127.x.x.x``, ``[::1]``). Anything else raises :class:`ValueError`;
    scripts and styles always stay ``'self'``.
    """
    from .web.security import allow_source

    allow_source(directive, *sources)


def external_url(endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` — ``url_for(endpoint, _external=True, **values)`` —
    that also works outside a request: in a job, a subscription or event handler, a CLI command.
    Use it for links in notifications, e.g. ``external_url("lotsen.index")``.

    In a request it uses the host the request came in on. Elsewhere it uses the current
    municipality's first host name (set in the administration under "Kommunen") and the
    deployment's scheme (``https`` when ``MASH_SECURE_COOKIES=1``, else ``http``). Give the full
    endpoint name (``"<slug>.<view>"``); ``_anchor`` is supported. Raises :class:`RuntimeError`
    outside a request when there is no municipality context or the municipality has no host
    name, and ``werkzeug.routing.BuildError`` for an unknown endpoint. Since plugin API 1.2.
    """
    from .web.urls import external_url as _external_url

    return _external_url(endpoint, **values)


def notify(to: str, subject: str, body: str) -> None:
    """Send a notification through the configured notifier driver."""
    from flask import current_app

    from .notify import send

    send(current_app.extensions["mash"].settings, Message(to=to, subject=subject, body=body))


# -- worker: jobs, messaging, events (plugin API 1.0) -------------------------------------
from .worker.contract import EventHandler, EventType, Job, Received, Subscription  # noqa: E402


def publish(relative_topic: str, payload: bytes | str | dict, qos: int = 1, retain: bool = False) -> None:
    """Publish to ``mash/<municipality>/<relative_topic>`` through the transactional outbox.

    The message is written in the current transaction and published by the worker after the
    commit; a broker outage delays it but never loses it, and the request never waits.
    Use your slug as the first topic level (``"wintersmart/signs/7/set"``).
    """
    from .worker.events import enqueue

    enqueue(relative_topic, payload, qos=qos, retain=retain)


def publish_event(name: str, payload: dict) -> int:
    """Publish domain event ``name`` (``<slug>.<event>``) to the enabled handlers in-process."""
    from .worker.events import bus

    return bus().publish(name, payload)


def insert_ignore(model: type, rows: list[dict]) -> int:
    """Insert ``rows`` into ``model``'s table, skipping rows that violate a unique key.

    The building block of idempotent subscription handlers: a redelivered message hits the
    unique key and is skipped. Rows are stamped with the current municipality. Returns the
    driver's row count (exact on SQLite; on PostgreSQL it may include skipped rows).
    """
    from .worker.bulk import insert_ignore as _insert_ignore

    return _insert_ignore(get_session(), model, rows)


__all__ += ["Job", "Subscription", "Received", "EventHandler", "EventType", "publish", "publish_event",
            "insert_ignore"]
