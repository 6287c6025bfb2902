"""Implements a known hook with an argument name the spec does not have (pluggy rejects it)."""

from mash_core.api import Manifest, Tile, hookimpl

manifest = Manifest(slug="fxwrongargs", title="Wrong arguments", description="bad hookimpl signature")


@hookimpl
def mash_slot_items(slot, req):
    return [Tile("Never shown", "wrong arguments", url="/never")]
