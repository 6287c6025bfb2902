"""Settings schema of the Digitallabor plugin (rendered as the admin form)."""

import marshmallow as ma

from mash_core.api import _l

PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


class DigitallaborSettings(ma.Schema):
    library_name = ma.fields.String(load_default="Stadtbücherei Heidelberg",
                                    metadata={"label": _l("Betreibende Stelle (Stadtbücherei)")})
    library_address = ma.fields.String(load_default="Poststraße 15, Heidelberg",
                                       metadata={"label": _l("Anschrift der Stadtbücherei")})
    contact_email = ma.fields.Email(load_default="biblab@heidelberg.de",
                                    metadata={"label": _l("E-Mail für Buchungen und Fragen")})
    contact_phone = ma.fields.String(load_default="", validate=PHONE,
                                     metadata={"label": _l("Telefon für Buchungen (optional)")})
