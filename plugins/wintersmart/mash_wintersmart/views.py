"""Public page of WinterSMART: how the intelligent winter service works and whom to contact."""

from mash_core.api import db_session, get_settings, plugin_blueprint, public, render, select

from .models import Depot

bp = plugin_blueprint("wintersmart", __name__)


@bp.get("/")
@public
def index():
    depots = db_session().exec(select(Depot).order_by(Depot.name)).all()
    return render("wintersmart/index.html", depots=depots, settings=get_settings("wintersmart"))


# the citizen page of current warnings (its own module, registered on this blueprint)
from . import warning_views  # noqa: E402,F401
# the operator dashboard (Leitstand, its own module, registered on this blueprint)
from . import dashboard_views  # noqa: E402,F401
# gritting plans (operator pages, their own module, registered on this blueprint)
from . import plan_views  # noqa: E402,F401
