"""Settings schema of the Bürgerportal plugin (rendered as the admin form)."""

import marshmallow as ma

PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


class BuergerportalSettings(ma.Schema):
    appointment_url = ma.fields.Url(load_default="https://termin.heidelberg.de", allow_none=True,
                                    metadata={"label": "Adresse der Online-Terminvergabe"})
    appointment_phone = ma.fields.String(load_default="06221 58-13333", validate=PHONE,
                                         metadata={"label": "Telefon für Termine"})
    appointment_phone_hours = ma.fields.String(load_default="Mo–Fr 8–16 Uhr",
                                               metadata={"label": "Erreichbarkeit des Termintelefons"})
    walk_in_note = ma.fields.String(load_default="Jeden Tag sind zwei Außenstellen auch ohne Termin geöffnet.",
                                    metadata={"label": "Hinweis zu Besuchen ohne Termin"})
    contact_email = ma.fields.Email(load_default=None, allow_none=True,
                                    metadata={"label": "E-Mail für allgemeine Anfragen (optional)"})
