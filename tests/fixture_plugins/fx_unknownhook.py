"""Implements a hook that the contract does not know: must be quarantined."""

from mash_core.api import Manifest, hookimpl

manifest = Manifest(slug="fxunknown", title="Unknown hook", description="implements mash_frobnicate")


@hookimpl
def mash_frobnicate(thing):
    return thing
