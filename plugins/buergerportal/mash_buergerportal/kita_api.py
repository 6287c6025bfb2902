"""REST API of the Kita search: ``GET /api/v1/buergerportal/kitas`` (filtered list) and
``GET /api/v1/buergerportal/kitas/<id>``. Public facility data only; no personal data."""

import marshmallow as ma
from flask import abort

from mash_core.api import public

from . import kita
from .api import blp
from .kita import KitaQuerySchema


class KitaSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    provider = ma.fields.String()
    street = ma.fields.String()
    postcode = ma.fields.String()
    city = ma.fields.String()
    district = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    age_groups = ma.fields.Function(lambda f: f.age_group_list)
    opens_at = ma.fields.String()
    closes_at = ma.fields.String()
    opening_days = ma.fields.String()
    places = ma.fields.Integer(metadata={"description": "Places handed out per care year"})
    concept = ma.fields.String()
    languages = ma.fields.Function(lambda f: f.language_list)
    accessible = ma.fields.Boolean()


@blp.route("/kitas")
@blp.arguments(KitaQuerySchema, location="query")
@blp.response(200, KitaSchema(many=True))
@public
def kitas(filters):
    """Kitas of the municipality, filtered by district, age group, language and opening hours.

    ``open_from``/``open_until`` select facilities that open at or before and close at or after
    the given times. Invalid parameters give 422 with the offending ones in ``errors.query``.
    """
    return kita.search_facilities(**filters)


@blp.route("/kitas/<int:kita_id>")
@blp.response(200, KitaSchema)
@public
def kita_detail(kita_id):
    """One Kita."""
    found = kita.facility(kita_id)
    if found is None:
        abort(404)
    return found
