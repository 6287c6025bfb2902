"""Demo data: Heidelberg's Bürgerämter.

Only facts from the domain brief are used: Bürgeramt Mitte in the Bergheimer Straße 69, online
appointments at termin.heidelberg.de and by phone at 06221 58-13333 (Mon–Fri 8–16). Where a
Stadtteil office's address, hours or direct line are not verified, the entry says where to look
and gives the city's central number 06221 58-0 instead of guessing.
"""

from mash_core.api import db_session, select

from .models import Office

CENTRAL_PHONE = "06221 58-0"
HOURS = ("Besuch mit Termin: online über termin.heidelberg.de oder unter 06221 58-13333 (Mo–Fr 8–16 Uhr). "
         "Aktuelle Öffnungszeiten: www.heidelberg.de")
ASK = "Bitte fragen Sie vor Ihrem Besuch telefonisch nach dem barrierefreien Zugang."

OFFICES = [
    ("Bürgeramt Mitte", "Bergheimer Straße 69, 69115 Heidelberg"),
    ("Bürgeramt Handschuhsheim", "Stadtteil Handschuhsheim – Anschrift: www.heidelberg.de"),
    ("Bürgeramt Kirchheim", "Stadtteil Kirchheim – Anschrift: www.heidelberg.de"),
    ("Bürgeramt Rohrbach", "Stadtteil Rohrbach – Anschrift: www.heidelberg.de"),
    ("Bürgeramt Ziegelhausen", "Stadtteil Ziegelhausen – Anschrift: www.heidelberg.de"),
]


def load() -> None:
    """Add the offices that are not there yet (idempotent by name)."""
    session = db_session()
    have = set(session.exec(select(Office.name)).all())
    for name, address in OFFICES:
        if name not in have:
            session.add(Office(name=name, address=address, opening_hours=HOURS, phone=CENTRAL_PHONE,
                               accessibility=ASK))
    session.commit()
