"""Per-request set-up: municipality by host name, signed-in user or token, plugin gate."""

from __future__ import annotations

from flask import Flask, abort, current_app, g, jsonify, request
from sqlmodel import select

from ..db import close_session, get_session
from ..identity.sessions import load_user
from ..identity.tokens import authenticate_token
from ..models import Municipality, User
from ..tenancy import reset_municipality_id, set_municipality_id


def resolve_municipality(host: str) -> Municipality | None:
    """The municipality whose host list contains ``host``; otherwise the default one."""
    return current_app.extensions["mash_municipalities"].resolve(host)


def _before_request():
    if request.endpoint == "static" or (request.endpoint or "").endswith(".static"):
        return None
    municipality = resolve_municipality(request.host)
    if municipality is None:
        abort(503, "no municipality configured: run `mash init`")
    g.municipality = municipality
    g.mash_tenant_token = set_municipality_id(municipality.id)
    mash = current_app.extensions["mash"]
    g.enabled_plugins = mash.states.cached(municipality)
    if g.enabled_plugins is None:
        g.enabled_plugins = mash.states.enabled(get_session(), municipality)
    owner = mash.registry.blueprint_owner.get(request.blueprint or "")
    if owner is not None and owner not in g.enabled_plugins:
        abort(404)
    g.user, g.token_scopes = None, None
    auth = request.headers.get("Authorization", "")
    if request.path.startswith("/api/") and auth.startswith("Bearer "):
        token = authenticate_token(get_session(), auth[7:].strip())
        if token is None:
            return jsonify(code=401, status="Unauthorized", message="invalid, expired or revoked token"), 401
        g.token_scopes = frozenset(token.scope_list())
        if token.user_id is not None:
            g.user = get_session().exec(select(User).where(User.id == token.user_id)).first()
            # a deactivated (or vanished) account's tokens must not act, not even by scopes alone
            if g.user is None or not g.user.active:
                g.user, g.token_scopes = None, None
                return jsonify(code=401, status="Unauthorized", message="the token's account is deactivated"), 401
        get_session().commit()  # last_used_at
    elif not request.path.startswith("/api/"):
        # the API authenticates by token only, so cookies cannot be used for CSRF against it
        g.user = load_user(municipality.id)
    return None


def _teardown(exc=None):
    token = g.pop("mash_tenant_token", None)
    close_session(exc)
    if token is not None:
        reset_municipality_id(token)


def install(app: Flask) -> None:
    from .municipalities import MunicipalityCache

    app.extensions["mash_municipalities"] = MunicipalityCache(app.extensions["mash"].engine)
    app.before_request(_before_request)
    app.teardown_appcontext(_teardown)
