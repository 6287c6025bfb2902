"""Requires a plugin that is not installed."""

from mash_core.api import Manifest

manifest = Manifest(slug="fxneedsmissing", title="Needs missing", description="requires nosuchplugin",
                    requires=("nosuchplugin",))
