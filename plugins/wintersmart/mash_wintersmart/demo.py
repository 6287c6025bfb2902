"""Demo data: winter-service depots.

The domain brief names no Heidelberg depot (only that the WinterSMART project fitted sensors to
eight salt silos), so the demo ships clearly labelled example depots with the city's central
number instead of invented addresses.
"""

from mash_core.api import db_session, select

from .models import Depot

DEPOTS = [
    ("Betriebshof Nord (Beispieldaten)", 400.0),
    ("Betriebshof Süd (Beispieldaten)", 250.0),
]


def load() -> None:
    """Add the example depots that are not there yet (idempotent by name)."""
    session = db_session()
    have = set(session.exec(select(Depot.name)).all())
    for name, capacity in DEPOTS:
        if name not in have:
            session.add(Depot(name=name, address="Anschrift folgt (Beispieldaten)",
                              phone="06221 58-0", salt_capacity_t=capacity))
    session.commit()
    # roads, bridges, stations, grit bins, signs and silos (grit bins / network part)
    from . import demo_network
    demo_network.load()
