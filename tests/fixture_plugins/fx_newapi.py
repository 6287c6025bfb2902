"""Supports only a future plugin API."""

from mash_core.api import Manifest

manifest = Manifest(slug="fxnewapi", title="Future API", description="needs plugin API 2", api=">=2.0,<3")
