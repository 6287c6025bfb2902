"""REST API of WinterSMART: the winter-service depots."""

import marshmallow as ma

from mash_core.api import api_blueprint, db_session, public, select

from .models import Depot

blp = api_blueprint("wintersmart", __name__, description="WinterSMART: winter-service depots")


class DepotSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    phone = ma.fields.String()
    salt_capacity_t = ma.fields.Float(allow_none=True, metadata={"description": "salt storage capacity in tonnes"})


@blp.route("/depots")
@blp.response(200, DepotSchema(many=True))
@public
def depots():
    """All winter-service depots (Betriebshöfe) of the municipality, by name."""
    return db_session().exec(select(Depot).order_by(Depot.name)).all()
