"""REST API of the Digital-Lotsen: the directory of pilots."""

import marshmallow as ma

from mash_core.api import api_blueprint, db_session, public, select

from .models import Pilot

blp = api_blueprint("lotsen", __name__, description="Digital-Lotsen: directory of contacts")


class PilotSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    office = ma.fields.String()
    email = ma.fields.String()
    phone = ma.fields.String()
    topics = ma.fields.String()


@blp.route("/pilots")
@blp.response(200, PilotSchema(many=True))
@public
def pilots():
    """All Digital-Lotsen of the municipality, by office."""
    return db_session().exec(select(Pilot).order_by(Pilot.office, Pilot.name)).all()
