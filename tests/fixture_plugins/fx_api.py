"""An API endpoint that needs a permission, and the account-data hooks (export, delete)."""

import marshmallow as ma

from mash_core.api import Manifest, Permission, api_blueprint, hookimpl, require_permission

manifest = Manifest(slug="fxapi", title="API fixture", description="permission-protected API",
                    permissions=(Permission("fxapi.read", "read the fixture API", ("staff",)),))

blp = api_blueprint("fxapi", __name__, description="fixture API")

#: user ids passed to mash_delete_user_data (tests clear it)
DELETED: list[int] = []


class SecretSchema(ma.Schema):
    secret = ma.fields.String()


@blp.route("/secret")
@blp.response(200, SecretSchema)
@require_permission("fxapi.read")
def secret():
    return {"secret": "42"}


class EchoSchema(ma.Schema):
    text = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=20))


@blp.route("/echo", methods=["POST"])
@require_permission("fxapi.read")  # before parsing: anonymous callers learn nothing about the body
@blp.arguments(EchoSchema)
@blp.response(200, EchoSchema)
def echo(data):
    return data


@hookimpl
def mash_register_api(api):
    return [blp]


@hookimpl
def mash_export_user_data(user):
    return {"fixture_user_id": user.id, "fixture_email": user.email}


@hookimpl
def mash_delete_user_data(user):
    DELETED.append(user.id)
