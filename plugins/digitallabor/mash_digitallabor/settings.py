"""Settings schema of the Digitallabor plugin (rendered as the admin form)."""

import marshmallow as ma

PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


class DigitallaborSettings(ma.Schema):
    library_name = ma.fields.String(load_default="Stadtbücherei Heidelberg",
                                    metadata={"label": "Betreibende Stelle (Stadtbücherei)"})
    library_address = ma.fields.String(load_default="Poststraße 15, Heidelberg",
                                       metadata={"label": "Anschrift der Stadtbücherei"})
    contact_email = ma.fields.Email(load_default="biblab@heidelberg.de",
                                    metadata={"label": "E-Mail für Buchungen und Fragen"})
    contact_phone = ma.fields.String(load_default="", validate=PHONE,
                                     metadata={"label": "Telefon für Buchungen (optional)"})
