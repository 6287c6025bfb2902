"""Manifest and hook implementations of the WinterSMART plugin."""

from mash_core.api import (Link, Manifest, Permission, Role, Tile, Widget, _l, db_session, hookimpl, render,
                           select)

from . import demo
from .settings import WinterSmartSettings

manifest = Manifest(
    slug="wintersmart",
    title=_l("WinterSMART"),
    description=_l("Intelligenter Winterdienst: Sensoren erkennen Glättegefahr auf Straßen und Brücken früh, "
                   "Schilder warnen, der Winterdienst rückt gezielt aus."),
    api=">=1.0,<2",
    settings=WinterSmartSettings,
    permissions=(
        Permission("wintersmart.operate", _l("Winterdienst steuern: Betriebshöfe, Warnungen, Schilder und Touren"),
                   ("staff", "winterdienst")),
    ),
    roles=(Role("winterdienst", _l("Winterdienst: Einsatzleitung und Fahrpersonal")),),
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
        return [Link(_l("WinterSMART"), "wintersmart.index", priority=20)]
    if slot == "home.tiles":
        return [Tile(_l("WinterSMART"),
                     _l("Intelligenter Winterdienst: Glättegefahr früh erkennen, warnen und gezielt streuen."),
                     "wintersmart.index", priority=20)]
    if slot == "dashboard.widgets":
        return [Widget(_l("WinterSMART"), _widget, priority=20, permission="wintersmart.operate")]
    return None


def _widget() -> str:
    from .models import Depot
    depots = db_session().exec(select(Depot)).all()
    capacity = sum(d.salt_capacity_t or 0 for d in depots)
    return render("wintersmart/widget.html", count=len(depots), capacity=capacity)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
