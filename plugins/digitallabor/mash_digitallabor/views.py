"""Public page of the Digitallabor: what it offers, where it stops next, whom to contact."""

from mash_core.api import db_session, get_settings, plugin_blueprint, public, render

from .models import upcoming_stops

bp = plugin_blueprint("digitallabor", __name__)


@bp.get("/")
@public
def index():
    return render("digitallabor/index.html", stops=upcoming_stops(db_session()),
                  settings=get_settings("digitallabor"))
