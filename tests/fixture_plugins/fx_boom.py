"""Raises in hooks and while rendering: the page must survive, the error must be recorded."""

from mash_core.api import Link, Manifest, Permission, Section, Tile, Widget, hookimpl

manifest = Manifest(slug="fxboom", title="Boom", description="fails on purpose",
                    permissions=(Permission("fxboom.view", "see the widgets", ("staff",)),))


class Boom(RuntimeError):
    pass


def _explode() -> str:
    raise Boom("widget render exploded")


def _fine() -> str:
    return '<p class="fxboom-fine">fine widget body</p>'


@hookimpl
def mash_slot_items(slot, request):
    if slot == "home.tiles":
        raise Boom("tiles hook exploded")
    if slot == "nav.main":
        return [Link("Boom nav", url="/boom-nav", priority=99)]
    if slot == "dashboard.widgets":
        return [Widget("Boom widget", _explode, permission="fxboom.view"),
                Widget("Fine widget", _fine, permission="fxboom.view")]
    if slot == "account.sections":
        return [Section("Boom section", _explode)]
    if slot == "admin.plugin.sections":
        return [Section("Boom admin section", _explode), Section("Fine admin section", _fine)]
    return None
