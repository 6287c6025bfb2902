"""Manifest and hook implementations of the Digital-Lotsen plugin."""

from mash_core.api import Link, Manifest, Permission, Tile, Widget, _l, db_session, hookimpl, render, select

from . import demo
from .settings import LotsenSettings

manifest = Manifest(
    slug="lotsen",
    title=_l("Digital-Lotsen"),
    description=_l("Ansprechpersonen für die Digitalisierung in jedem städtischen Amt."),
    api=">=1.0,<2",
    settings=LotsenSettings,
    permissions=(
        Permission("lotsen.manage", _l("Lotsen-Verzeichnis pflegen"), ("staff",)),
    ),
)


@hookimpl
def mash_register_routes(app):
    from .views import bp
    return bp


@hookimpl
def mash_register_api(api):
    from .api import blp
    return [blp]


@hookimpl
def mash_slot_items(slot, request):
    if slot == "nav.main":
        return [Link(_l("Digital-Lotsen"), "lotsen.index", priority=40)]
    if slot == "home.tiles":
        return [Tile(_l("Digital-Lotsen"), _l("Ihre Ansprechpersonen für digitale Angebote in jedem Amt."),
                     "lotsen.index", priority=40)]
    if slot == "dashboard.widgets":
        return [Widget(_l("Digital-Lotsen"), _widget, priority=40, permission="lotsen.manage")]
    return None


def _widget() -> str:
    from .models import Pilot
    count = len(db_session().exec(select(Pilot.id)).all())
    return render("lotsen/widget.html", count=count)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
