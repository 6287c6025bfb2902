"""Public page of the Digital-Lotsen: what they do and whom to contact."""

from mash_core.api import db_session, get_settings, plugin_blueprint, public, render, select

from .models import Pilot

bp = plugin_blueprint("lotsen", __name__)


@bp.get("/")
@public
def index():
    pilots = db_session().exec(select(Pilot).order_by(Pilot.office, Pilot.name)).all()
    return render("lotsen/index.html", pilots=pilots, settings=get_settings("lotsen"))
