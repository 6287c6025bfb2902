"""Manifest and hook implementations of the Bürgerportal plugin."""

from mash_core.api import (Link, Manifest, Permission, Tile, Widget, _l, db_session, hookimpl, render,
                           select)

from . import demo
from .settings import BuergerportalSettings

manifest = Manifest(
    slug="buergerportal",
    title=_l("Bürgerportal"),
    description=_l("Alle wichtigen Informationen und Dienstleistungen der Stadt, gebündelt nach "
                   "Lebenslagen, mit den Bürgerämtern und ihren Öffnungszeiten."),
    api=">=1.0,<2",
    settings=BuergerportalSettings,
    permissions=(
        Permission("buergerportal.edit", _l("Bürgerämter und Inhalte des Bürgerportals pflegen"), ("staff",)),
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
        return [Link(_l("Bürgerportal"), "buergerportal.index", priority=10)]
    if slot == "home.tiles":
        return [Tile(_l("Bürgerportal"),
                     _l("Dienstleistungen nach Lebenslagen – von der Geburt bis zum Umzug – und Ihre Bürgerämter."),
                     "buergerportal.index", priority=10)]
    if slot == "dashboard.widgets":
        return [Widget(_l("Bürgerportal"), _widget, priority=10, permission="buergerportal.edit")]
    return None


def _widget() -> str:
    from .models import Office
    count = len(db_session().exec(select(Office.id)).all())
    return render("buergerportal/widget.html", count=count)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
