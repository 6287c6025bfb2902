"""REST API of the Digitallabor: the tour plan."""

import marshmallow as ma

from mash_core.api import api_blueprint, db_session, public

from .models import upcoming_stops

blp = api_blueprint("digitallabor", __name__, description="Mobiles Medien- und Digitallabor: tour stops")


class StopQuerySchema(ma.Schema):
    from_ = ma.fields.Date(data_key="from", load_default=None,
                           metadata={"description": "first day, YYYY-MM-DD (default: today, local time)"})
    to = ma.fields.Date(load_default=None, metadata={"description": "last day, YYYY-MM-DD (default: open)"})

    @ma.validates_schema
    def _range(self, data, **kwargs):
        if data.get("from_") and data.get("to") and data["to"] < data["from_"]:
            raise ma.ValidationError("must not be before 'from'", field_name="to")


class StopSchema(ma.Schema):
    id = ma.fields.Integer()
    date = ma.fields.Date()
    start_time = ma.fields.Time()
    end_time = ma.fields.Time()
    place = ma.fields.String()
    district = ma.fields.String()
    audience = ma.fields.String()
    description = ma.fields.String()


@blp.route("/stops")
@blp.arguments(StopQuerySchema, location="query", as_kwargs=True)
@blp.response(200, StopSchema(many=True))
@public
def stops(from_=None, to=None):
    """The lab's stops from ``from`` (default today) up to ``to``, ordered by date and time.

    An invalid date answers 422 with the offending parameter named in ``errors.query``.
    """
    return upcoming_stops(db_session(), from_, to)
