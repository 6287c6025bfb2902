"""Core endpoints: the municipality, its enabled plugins, the caller, health."""

from __future__ import annotations

import marshmallow as ma
from flask import current_app, g
from flask_smorest import Blueprint

from ..db import get_session
from ..identity.permissions import public, require_permission, roles_of, permissions_of

blp = Blueprint("core_api", __name__, url_prefix="/api/v1/core", description="Core: municipality, plugins, identity")


class MunicipalitySchema(ma.Schema):
    slug = ma.fields.String()
    name = ma.fields.String()
    contact_email = ma.fields.String()
    contact_phone = ma.fields.String()
    address = ma.fields.String()
    primary_color = ma.fields.String()
    accent_color = ma.fields.String()


class PluginSchema(ma.Schema):
    slug = ma.fields.String()
    title = ma.fields.String()
    version = ma.fields.String()


class MeSchema(ma.Schema):
    email = ma.fields.String()
    name = ma.fields.String()
    roles = ma.fields.List(ma.fields.String())
    permissions = ma.fields.List(ma.fields.String())


@blp.route("/municipality")
@blp.response(200, MunicipalitySchema)
@public
def municipality():
    """The municipality serving this host name."""
    return g.municipality


@blp.route("/plugins")
@blp.response(200, PluginSchema(many=True))
@public
def plugins():
    """Plugins enabled in this municipality."""
    registry = current_app.extensions["mash"].registry
    return [dict(slug=s, title=registry.records[s].title, version=registry.records[s].version)
            for s in sorted(g.enabled_plugins)]


@blp.route("/me")
@blp.response(200, MeSchema)
@blp.doc(security=[{"bearer": []}])
@require_permission()
def me():
    """The user the token belongs to, with roles and effective permissions."""
    user = g.user
    return dict(email=user.email, name=user.name, roles=sorted(roles_of(user)),
                permissions=sorted(permissions_of(user)))


class SettingSchema(ma.Schema):
    key = ma.fields.String()
    value = ma.fields.Raw(allow_none=True, metadata={"description": "secrets are redacted"})
    source = ma.fields.String(metadata={"description": "default, admin or locked"})
    secret = ma.fields.Boolean()
    choices = ma.fields.List(ma.fields.Raw(), metadata={"description": "the values the setting accepts, "
                                                                       "when it only accepts a fixed set"})


class PluginStateSchema(ma.Schema):
    enabled = ma.fields.Boolean(required=True)


def _settings_schema(slug: str):
    from flask import abort

    record = current_app.extensions["mash"].registry.get(slug)
    if record is None or record.builtin or record.manifest is None:
        abort(404, f"unknown plugin {slug!r}")
    if record.manifest.settings is None:
        abort(404, f"plugin {slug!r} has no settings")
    return record.manifest.settings


@blp.route("/plugins/<slug>/settings")
@blp.response(200, SettingSchema(many=True))
@blp.doc(security=[{"bearer": []}])
@require_permission("core.admin")
def plugin_settings(slug: str):
    """A plugin's effective settings with the layer each value comes from (secrets redacted)."""
    return _settings_view(slug)


def _settings_view(slug: str) -> list[dict]:
    from .. import settings as plugin_settings_mod

    values = plugin_settings_mod.resolve(get_session(), slug, _settings_schema(slug))
    return [dict(key=k, value=v.public(), source=v.source, secret=v.secret,
                 **({"choices": [c for c, _label in v.choices]} if v.choices and not v.secret else {}))
            for k, v in values.items()]


@blp.route("/plugins/<slug>/settings", methods=["PATCH"])
@blp.response(200, SettingSchema(many=True))
@blp.doc(security=[{"bearer": []}])
@require_permission("core.admin")
def plugin_settings_update(slug: str):
    """Change admin values; the body is a JSON object validated by the plugin's schema.
    Locked values are refused; an empty secret keeps the stored one."""
    from flask import abort, request

    from .. import settings as plugin_settings_mod
    from ..identity.audit import audit
    from ..plugins.state import bump_version

    schema = _settings_schema(slug)
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "body must be a JSON object of setting values")
    session = get_session()
    try:
        changed = plugin_settings_mod.save(session, slug, schema, data)
    except ma.ValidationError as exc:
        session.rollback()
        from flask_smorest import abort as api_abort
        api_abort(422, message="invalid settings", errors={"json": exc.messages})
    if changed:
        bump_version(session, g.municipality)
        audit("plugin.settings_changed", target=slug, keys=changed, via="api")
    session.commit()
    return _settings_view(slug)


@blp.route("/plugins/<slug>/state", methods=["PUT"])
@blp.arguments(PluginStateSchema)
@blp.response(200, PluginStateSchema)
@blp.doc(security=[{"bearer": []}])
@require_permission("core.admin")
def plugin_state(data, slug: str):
    """Enable or disable a plugin in this municipality (same checks as the admin page)."""
    from flask import abort

    from ..identity.audit import audit
    from ..migrations_runner import pending_by_branch
    from ..plugins.state import PluginStateError

    mash = current_app.extensions["mash"]
    try:
        mash.states.set_enabled(get_session(), g.municipality, slug, data["enabled"],
                                pending_migrations=set(pending_by_branch(mash)))
    except PluginStateError as exc:
        abort(409, str(exc))
    audit("plugin.enabled" if data["enabled"] else "plugin.disabled", target=slug, via="api")
    get_session().commit()
    return data
