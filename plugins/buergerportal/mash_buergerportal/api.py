"""REST API of the Bürgerportal: the citizen offices and the assistant "Geburt eines Kindes"."""

import marshmallow as ma

from mash_core.api import api_blueprint, db_session, public, select

from .assistant import Answers, build_plan
from .assistant.schema import BirthQuerySchema, BirthPlanSchema
from .models import Office

blp = api_blueprint("buergerportal", __name__,
                    description="Bürgerportal: citizen offices; the life-situation assistant 'Geburt eines Kindes'")


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


@blp.route("/assistant/birth")
@blp.arguments(BirthQuerySchema, location="query")
@blp.response(200, BirthPlanSchema)
@public
def assistant_birth(answers):
    """The personal plan after the birth of a child, computed from the answers; nothing is stored.

    Each step has a stable ``key``, ``title``, the responsible ``office``, the ``legal_basis``
    and either one date ``due`` or the two dates ``recommended`` and ``latest`` (ISO 8601).
    Deadlines that fall on a weekend or a Baden-Württemberg public holiday are moved to the next
    working day where the law says so (``shifted`` tells from when). Invalid answers give 422
    with the offending parameters named in ``errors.query``.
    """
    return build_plan(Answers(**answers)).to_dict(), 200, {"Cache-Control": "no-store"}


# Kita search (routes in kita_api.py)
from . import kita_api  # noqa: E402,F401


# Service catalogue, search, help directory (routes in catalogue_api.py)
from . import catalogue_api  # noqa: E402,F401


# Plans "Geburt eines Kindes" saved to the citizen's account (routes in plan_api.py)
from . import plan_api  # noqa: E402,F401
