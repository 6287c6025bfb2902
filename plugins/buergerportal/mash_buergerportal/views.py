"""Public page of the Bürgerportal: life situations, emergency number, citizen offices."""

from mash_core.api import db_session, get_settings, plugin_blueprint, public, render, select

from .models import Office

bp = plugin_blueprint("buergerportal", __name__)


@bp.get("/")
@public
def index():
    offices = db_session().exec(select(Office).order_by(Office.name)).all()
    return render("buergerportal/index.html", offices=offices, settings=get_settings("buergerportal"))
