"""The application factory."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Optional

from flask import Flask
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Engine
from sqlmodel import Session, select

from . import builtin, i18n
from .config import Settings
from .db import make_engine
from .models import PluginError, utcnow
from .plugins.registry import PluginRegistry
from .plugins.state import PluginStates

log = logging.getLogger("mash")
csrf = CSRFProtect()


@dataclass
class Mash:
    """Everything the core keeps per application (``app.extensions["mash"]``)."""

    settings: Settings
    engine: Engine
    registry: PluginRegistry
    states: PluginStates


def _error_sink(engine: Engine):
    def store(slug: str, place: str, message: str) -> None:
        # a separate connection, so that the failing request's transaction stays untouched
        with Session(engine) as session:
            row = session.exec(select(PluginError).where(PluginError.slug == slug,
                                                         PluginError.place == place)).first()
            if row is None:
                session.add(PluginError(slug=slug, place=place, message=message[:4000]))
            else:
                row.message, row.at, row.count = message[:4000], utcnow(), row.count + 1
            session.commit()
    return store


def create_app(settings: Optional[Settings] = None, registry: Optional[PluginRegistry] = None,
               engine: Optional[Engine] = None) -> Flask:
    """Build the portal. ``registry`` lets tests pass plugins without entry points."""
    settings = settings or Settings.from_env()
    app = Flask("mash_core", instance_path=str(settings.instance), instance_relative_config=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_NAME="mash_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        # addresses built outside a request (e-mails sent by jobs): secure cookies mean HTTPS
        PREFERRED_URL_SCHEME="https" if settings.secure_cookies else "http",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE=i18n.DEFAULT,
        API_TITLE="MAsH API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
    )
    from .web.sessions import CachedSerializerSessionInterface
    app.session_interface = CachedSerializerSessionInterface()
    engine = engine or make_engine(settings.database_url)
    if registry is None:
        registry = PluginRegistry(disabled=settings.disabled_plugins)
        registry.add_builtin(builtin)
        registry.discover()
    registry.error_sink = _error_sink(engine)
    mash = Mash(settings, engine, registry, PluginStates(registry))
    app.extensions["mash"] = mash

    folders = [Path(__file__).parent / "translations"]
    for record in registry.active():
        folder = Path(record.module.__file__).parent / "translations"
        if folder.is_dir():
            folders.append(folder)
    for folder in folders:
        i18n.compile_catalogues(folder)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(str(f) for f in folders)
    Babel(app, locale_selector=i18n.select_locale)
    from flask_babel import get_locale
    app.jinja_env.globals["get_locale"] = get_locale
    i18n.install_fast_gettext(app)

    from .web import lifecycle, security, slots, shell, errors
    from .identity import views as identity_views
    from . import admin, rest

    lifecycle.install(app)
    csrf.init_app(app)  # after the municipality is resolved: its error page needs the layout
    security.install(app)
    slots.install(app)
    app.register_blueprint(shell.bp)
    app.register_blueprint(identity_views.bp)
    app.register_blueprint(identity_views.account_bp)
    app.register_blueprint(admin.bp)
    api = rest.install(app)
    errors.install(app)  # after the API: its catch-all JSON handler must not answer HTML pages

    for slug, blueprint in registry.call("mash_register_routes", app=app):
        if slug == "core":
            continue
        _register_plugin_blueprint(app, registry, slug, blueprint)
    for slug, blueprints in registry.call("mash_register_api", api=api):
        for blueprint in blueprints:
            if not blueprint.url_prefix.startswith(f"/api/v1/{slug}"):
                registry.record_error(slug, "mash_register_api",
                                      ValueError(f"API prefix must be /api/v1/{slug}"))
                continue
            api.register_blueprint(blueprint)
            csrf.exempt(blueprint)  # token-authenticated, never cookie-authenticated
            registry.blueprint_owner[blueprint.name] = slug
    return app


def _register_plugin_blueprint(app: Flask, registry: PluginRegistry, slug: str, blueprint) -> None:
    if blueprint.name != slug or blueprint.url_prefix != f"/{slug}":
        registry.record_error(slug, "mash_register_routes", ValueError(
            f"blueprint must be named {slug!r} with url_prefix '/{slug}' (use plugin_blueprint)"))
        return
    app.register_blueprint(blueprint)
    registry.blueprint_owner[blueprint.name] = slug
