"""Settings schema of the Bürgerportal plugin (rendered as the admin form)."""

import marshmallow as ma

from mash_core.api import _l

PHONE = ma.validate.Regexp(r"^[0-9+ ()/-]*$", error="Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")


class BuergerportalSettings(ma.Schema):
    appointment_url = ma.fields.Url(load_default="https://termin.heidelberg.de", allow_none=True,
                                    metadata={"label": _l("Adresse der Online-Terminvergabe")})
    appointment_phone = ma.fields.String(load_default="06221 58-13333", validate=PHONE,
                                         metadata={"label": _l("Telefon für Termine")})
    appointment_phone_hours = ma.fields.String(load_default="Mo–Fr 8–16 Uhr",
                                               metadata={"label": _l("Erreichbarkeit des Termintelefons")})
    walk_in_note = ma.fields.String(load_default="Jeden Tag sind zwei Außenstellen auch ohne Termin geöffnet.",
                                    metadata={"label": _l("Hinweis zu Besuchen ohne Termin")})
    contact_email = ma.fields.Email(load_default=None, allow_none=True,
                                    metadata={"label": _l("E-Mail für allgemeine Anfragen (optional)")})
    kita_offer_days = ma.fields.Integer(
        load_default=14, strict=False, validate=ma.validate.Range(1, 60),
        metadata={"label": _l("Antwortfrist für Kita-Angebote (Tage)"),
                  "description": _l("So viele Tage haben Eltern, um ein Kita-Angebot anzunehmen oder abzulehnen, "
                                    "wenn die Kita keine andere Frist einträgt. Danach beendet eine stündliche "
                                    "Aufgabe das Angebot und gibt den Platz frei. Voreinstellung 14 Tage.")})
