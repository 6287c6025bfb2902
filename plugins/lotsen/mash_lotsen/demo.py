"""Demo directory: one Digital-Lotse per office (fictitious people, real Heidelberg offices)."""

from mash_core.api import db_session, select

from .models import Pilot

PILOTS = [
    ("Anna Berger", "Bürgeramt", "Online-Termine, Bürgerportal"),
    ("Jonas Keller", "Amt für Digitales und Informationsverarbeitung", "E-Akte, Videokonferenzen"),
    ("Selin Yıldız", "Kinder- und Jugendamt", "Kita-Voranmeldung online"),
    ("Markus Hoffmann", "Tiefbauamt", "Winterdienst-Sensorik"),
    ("Lea Schäfer", "Stadtbücherei", "Medienbildung, Digitallabor"),
]


def load() -> None:
    session = db_session()
    have = set(session.exec(select(Pilot.name)).all())
    for name, office, topics in PILOTS:
        if name not in have:
            local = name.lower().split()[-1].replace("ı", "i")
            session.add(Pilot(name=name, office=office, topics=topics,
                              email=f"{local}@heidelberg.example", phone="06221 58-0"))
    session.commit()
