"""Settings schema of the Digital-Lotsen plugin (rendered as the admin form)."""

import marshmallow as ma


class LotsenSettings(ma.Schema):
    coordinator_name = ma.fields.String(load_default="Amt für Digitales und Informationsverarbeitung",
                                        metadata={"label": "Koordinierende Stelle"})
    coordinator_email = ma.fields.Email(load_default="digitales@heidelberg.de",
                                        metadata={"label": "E-Mail der koordinierenden Stelle"})
    show_phone = ma.fields.Boolean(load_default=True, metadata={"label": "Telefonnummern der Lotsen anzeigen"})
