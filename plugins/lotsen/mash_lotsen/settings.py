"""Settings schema of the Digital-Lotsen plugin (rendered as the admin form)."""

import marshmallow as ma

from mash_core.api import _l


class LotsenSettings(ma.Schema):
    coordinator_name = ma.fields.String(load_default="Amt für Digitales und Informationsverarbeitung",
                                        metadata={"label": _l("Koordinierende Stelle")})
    coordinator_email = ma.fields.Email(load_default="digitales@heidelberg.de",
                                        metadata={"label": _l("E-Mail der koordinierenden Stelle")})
    show_phone = ma.fields.Boolean(load_default=True, metadata={"label": _l("Telefonnummern der Lotsen anzeigen")})
