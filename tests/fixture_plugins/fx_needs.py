"""Requires the Lotsen plugin."""

from mash_core.api import Manifest, Tile, hookimpl

manifest = Manifest(slug="fxneeds", title="Needs Lotsen", description="requires lotsen", requires=("lotsen",))


@hookimpl
def mash_slot_items(slot, request):
    if slot == "home.tiles":
        return [Tile("Needs-Lotsen tile", "depends on lotsen", url="/lotsen/")]
    return None
