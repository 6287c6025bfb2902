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
