"""A settings schema with a secret, a validated number, a string, a flag and a choice."""

import marshmallow as ma

from mash_core.api import Manifest


class FxSettings(ma.Schema):
    api_key = ma.fields.String(load_default=None, allow_none=True,
                               metadata={"label": "API key", "secret": True})
    threshold = ma.fields.Integer(load_default=5, validate=ma.validate.Range(min=1, max=100),
                                  metadata={"label": "Threshold"})
    greeting = ma.fields.String(load_default="Hallo", metadata={"label": "Greeting"})
    loud = ma.fields.Boolean(load_default=False, metadata={"label": "Loud"})
    mode = ma.fields.String(load_default="fast", validate=ma.validate.OneOf(("fast", "exact"), labels=("Fast", "")),
                            metadata={"label": "Mode"})


manifest = Manifest(slug="fxset", title="Settings fixture", description="settings", settings=FxSettings)
