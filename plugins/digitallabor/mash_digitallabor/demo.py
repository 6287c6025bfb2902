"""Demo tour: six upcoming stops, dated relative to the day the demo is loaded.

The workshop formats are those of Heidelberg's BibLab (domain brief §9.3); the places are
generic institutions in real Heidelberg districts. Loading is idempotent by (date, place), and
also across days: a place that already has an upcoming stop gets no second one, so running
``mash demo load`` again tomorrow does not add a shifted copy of the tour.
"""

import datetime as dt

from mash_core.api import db_session, select

from .models import Stop, local_today

#: (days from today, place, district, audience, description, start, end)
STOPS = [
    (3, "Kindertagesstätte im Boxberg", "Boxberg", "Kita-Kinder im Vorschulalter",
     "Bee-Bot: Programmieren für Vorschulkinder – kleine Roboter spielerisch steuern.", "09:30", "11:00"),
    (6, "Grundschule in Kirchheim", "Kirchheim", "Klasse 4",
     "Netiquette – freundlich und sicher im Klassenchat.", "08:30", "11:30"),
    (9, "Seniorenzentrum in Rohrbach", "Rohrbach", "Seniorinnen und Senioren",
     "E-Books ausleihen mit der metropolbib – Schritt für Schritt am eigenen Gerät oder am Leihgerät.",
     "14:00", "15:30"),
    (13, "Gemeinschaftsschule in Wieblingen", "Wieblingen", "Klasse 8",
     "Fake News enttarnen mit dem Spiel „Escape Fake“.", "10:00", "11:30"),
    (16, "Weiterführende Schule in Neuenheim", "Neuenheim", "Jugendliche ab Klasse 7",
     "Wie funktioniert YouTube? Videos selbst planen, drehen und schneiden.", "13:00", "15:00"),
    (20, "Stadtteilzentrum Emmertsgrund", "Emmertsgrund", "offen für alle",
     "Offene Station: Tablets, E-Book-Reader und Roboter ausprobieren und Fragen stellen.", "15:00", "17:00"),
]


def _weekday(day: dt.date) -> dt.date:
    """``day`` or, when it falls on a weekend, the following Monday."""
    return day + dt.timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text)


def load() -> None:
    session = db_session()
    today = local_today()
    planned = {place for place in session.exec(select(Stop.place).where(Stop.date >= today)).all()}
    for days, place, district, audience, description, start, end in STOPS:
        if place in planned:
            continue
        session.add(Stop(date=_weekday(today + dt.timedelta(days=days)), start_time=_time(start),
                         end_time=_time(end), place=place, district=district, audience=audience,
                         description=description))
    session.commit()
