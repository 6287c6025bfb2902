"""Manifest and hook implementations of the Bürgerportal plugin."""

from mash_core.api import (Job, Link, Manifest, Permission, Section, Tile, Widget, _l, db_session, hookimpl,
                           render, select)

from . import demo
from .settings import BuergerportalSettings

manifest = Manifest(
    slug="buergerportal",
    title=_l("Bürgerportal"),
    description=_l("Alle wichtigen Informationen und Dienstleistungen der Stadt, gebündelt nach "
                   "Lebenslagen, mit den Bürgerämtern und ihren Öffnungszeiten."),
    api=">=1.2,<2",  # 1.2: external_url (links in e-mails sent by the Kita job)
    settings=BuergerportalSettings,
    permissions=(
        Permission("buergerportal.edit", _l("Bürgerämter und Inhalte des Bürgerportals pflegen"), ("staff",)),
        Permission("buergerportal.kita", _l("Kita-Vormerkungen bearbeiten und Plätze anbieten"), ("staff",)),
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
        return [Widget(_l("Bürgerportal"), _widget, priority=10, permission="buergerportal.edit"),
                Widget(_l("Kita-Vormerkungen"), _kita_widget, priority=11, permission="buergerportal.kita")]
    if slot == "footer.links":
        return [Link(_l("Leichte Sprache"), "buergerportal.easy_language", priority=35)]
    if slot == "account.sections":
        return [Section(_l("Meine Pläne: Geburt eines Kindes"), _saved_plans_section, priority=20,
                        permission="core.account")]
    return None


def _saved_plans_section() -> str:
    from .plan_views import account_section
    return account_section()


def _widget() -> str:
    from .models import Office
    count = len(db_session().exec(select(Office.id)).all())
    return render("buergerportal/widget.html", count=count)


@hookimpl
def mash_load_demo(municipality):
    demo.load()
    from .catalogue_demo import load as load_catalogue
    load_catalogue()
    from .kita_demo import load as load_kitas
    load_kitas()


# -- Kita search and pre-registration ----------------------------------------------------------
def _kita_widget() -> str:
    from .kita_views import widget
    return widget()


@hookimpl
def mash_export_user_data(user):
    from .kita import export_user_data
    from .saved_plans import export_user_data as export_saved_plans
    data = {}
    data.update(export_user_data(user) or {})
    data.update(export_saved_plans(user) or {})
    return data or None


@hookimpl
def mash_delete_user_data(user):
    from .kita import delete_user_data
    from .saved_plans import delete_user_data as delete_saved_plans
    delete_user_data(user)
    delete_saved_plans(user)


@hookimpl
def mash_register_jobs():
    from .kita import expire_offers
    return [Job("kita_offers", expire_offers, trigger="interval", trigger_args={"hours": 1}, misfire_grace_time=3600,
                description=_l("Unbeantwortete Kita-Angebote nach Ablauf der Antwortfrist beenden, Plätze "
                               "freigeben und die Eltern benachrichtigen"))]


# -- Service catalogue, search, help directory -------------------------------------------------
from . import search_index  # noqa: E402,F401  (installs the listener that keeps the search index in sync)
