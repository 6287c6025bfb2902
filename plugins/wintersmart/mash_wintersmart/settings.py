"""Settings schema of the WinterSMART plugin (rendered as the admin form)."""

import marshmallow as ma

from mash_core.api import _l

PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


class WinterSmartSettings(ma.Schema):
    service_name = ma.fields.String(load_default="Winterdienst der Stadt",
                                    metadata={"label": _l("Zuständige Stelle für den Winterdienst")})
    hotline_phone = ma.fields.String(load_default="06221 58-0", validate=PHONE,
                                     metadata={"label": _l("Telefon der Winterdienst-Hotline")})
    hotline_hours = ma.fields.String(load_default="",
                                     metadata={"label": _l("Erreichbarkeit der Hotline (z. B. „in der Wintersaison rund um die Uhr“)")})
    contact_email = ma.fields.Email(load_default=None, allow_none=True,
                                    metadata={"label": _l("E-Mail für Hinweise zum Winterdienst (optional)")})
