"""REST API of the Bürgerportal: the citizen offices."""

import marshmallow as ma

from mash_core.api import api_blueprint, db_session, public, select

from .models import Office

blp = api_blueprint("buergerportal", __name__, description="Bürgerportal: citizen offices")


class OfficeSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    opening_hours = ma.fields.String()
    phone = ma.fields.String()
    email = ma.fields.String()
    accessibility = ma.fields.String()


@blp.route("/offices")
@blp.response(200, OfficeSchema(many=True))
@public
def offices():
    """All citizen offices (Bürgerämter) of the municipality, by name."""
    return db_session().exec(select(Office).order_by(Office.name)).all()
