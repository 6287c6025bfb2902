"""Manifest and hook implementations of the Mobiles Medien- und Digitallabor plugin."""

import datetime as dt

from mash_core.api import Link, Manifest, Permission, Tile, Widget, _l, db_session, hookimpl, render

from . import demo
from .settings import DigitallaborSettings

manifest = Manifest(
    slug="digitallabor",
    title=_l("Mobiles Medien- und Digitallabor"),
    description=_l("Das Fahrzeug der Stadtbücherei bringt kostenlose Medien- und Digital-Workshops in die "
                   "Stadtteile, Kitas, Schulen und Senioreneinrichtungen."),
    api=">=1.0,<2",
    settings=DigitallaborSettings,
    permissions=(
        Permission("digitallabor.manage", _l("Tourplan und Angebote des Digitallabors pflegen"), ("staff",)),
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
        return [Link(_l("Digitallabor"), "digitallabor.index", priority=30)]
    if slot == "home.tiles":
        return [Tile(_l("Mobiles Medien- und Digitallabor"),
                     _l("Kostenlose Workshops der Stadtbücherei – unterwegs in Stadtteilen, Kitas, Schulen und Senioreneinrichtungen."),
                     "digitallabor.index", priority=30)]
    if slot == "dashboard.widgets":
        return [Widget(_l("Mobiles Medien- und Digitallabor"), _widget, priority=30,
                       permission="digitallabor.manage")]
    return None


def _widget() -> str:
    from .models import local_today, upcoming_stops
    today = local_today()
    stops = upcoming_stops(db_session(), today, today + dt.timedelta(days=30))
    return render("digitallabor/widget.html", count=len(stops), next_stop=stops[0] if stops else None)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
