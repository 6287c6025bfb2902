"""Demo data: 40 fictional Kitas across Heidelberg's districts.

The facilities, their names and providers are invented; the districts and streets are real and
the coordinates approximate (a few hundred metres around the street). No phone numbers or
e-mail addresses are invented, so that no real line is called by mistake.
"""

from mash_core.api import db_session, select

from .kita_models import KitaFacility

#: approximate centre (lat, lon) and postcode of each district
DISTRICTS = {
    "Altstadt": (49.4106, 8.7060, "69117"),
    "Bergheim": (49.4077, 8.6890, "69115"),
    "Bahnstadt": (49.4007, 8.6720, "69115"),
    "Weststadt": (49.4005, 8.6905, "69115"),
    "Südstadt": (49.3935, 8.6905, "69126"),
    "Rohrbach": (49.3835, 8.6880, "69126"),
    "Kirchheim": (49.3885, 8.6620, "69124"),
    "Pfaffengrund": (49.4030, 8.6460, "69123"),
    "Wieblingen": (49.4255, 8.6460, "69123"),
    "Neuenheim": (49.4185, 8.6950, "69120"),
    "Handschuhsheim": (49.4315, 8.6900, "69121"),
    "Ziegelhausen": (49.4205, 8.7730, "69118"),
    "Schlierbach": (49.4095, 8.7470, "69118"),
    "Boxberg": (49.3770, 8.7080, "69126"),
    "Emmertsgrund": (49.3675, 8.7160, "69126"),
}

K, G = "krippe", "kindergarten"
CITY = "Stadt Heidelberg"
EV = "Evangelischer Kita-Verbund Heidelberg (Demo)"
KA = "Katholische Kita-Trägerschaft Heidelberg (Demo)"
#: name, provider, street, district, age groups, opens, closes, places, languages, concept
KITAS = [
    ("Kita Plöckzwerge", "Elterninitiative Plöckzwerge e. V.", "Plöck 40", "Altstadt", (K,), "07:30", "15:00", 3, "de", "Elterninitiative mit kleiner Gruppe, Mitarbeit der Eltern erwünscht"),
    ("Kinderhaus Kornmarkt", CITY, "Ingrimstraße 12", "Altstadt", (K, G), "07:00", "17:00", 8, "de,en", "Offenes Konzept mit Funktionsräumen"),
    ("Ev. Kita Heiliggeist", EV, "Hauptstraße 190", "Altstadt", (G,), "07:30", "16:30", 6, "de", "Religionspädagogik, Feste im Kirchenjahr"),
    ("Kita Neckarstaden", CITY, "Bergheimer Straße 30", "Bergheim", (K, G), "07:00", "17:30", 10, "de,tr", "Sprachförderung im Alltag, Elterncafé"),
    ("Kinderkrippe Vangerow", "Kinderbetreuung Kurpfalz gGmbH (Demo)", "Vangerowstraße 16", "Bergheim", (K,), "07:30", "17:00", 5, "de,en", "Kleine Krippengruppen, Eingewöhnung nach dem Berliner Modell"),
    ("Kita Alte Glockengießerei", KA, "Alte Glockengießerei 5", "Bergheim", (G,), "07:30", "16:00", 7, "de,it", "Situationsansatz, Zusammenarbeit mit der Gemeinde"),
    ("Kita Grüne Meile", CITY, "Grüne Meile 20", "Bahnstadt", (K, G), "07:00", "18:00", 14, "de,en", "Naturwissenschaft und Technik, Forscherecke"),
    ("Bilinguale Kita Schwetzinger Terrasse", "Bilingual Kids Heidelberg gGmbH (Demo)", "Schwetzinger Terrasse 8", "Bahnstadt", (K, G), "07:30", "17:30", 12, "de,en", "Immersion Deutsch–Englisch, eine Person – eine Sprache"),
    ("Kita Langer Anger", "Kinderbetreuung Kurpfalz gGmbH (Demo)", "Langer Anger 60", "Bahnstadt", (K, G), "07:00", "17:00", 10, "de,fr", "Bewegungskita mit Turnhalle"),
    ("Kita Promenade", CITY, "Pfaffengrunder Terrasse 3", "Bahnstadt", (K,), "07:30", "16:30", 6, "de", "Krippe mit Garten, Eingewöhnung in kleinen Schritten"),
    ("Kita Römerkreis", CITY, "Römerstraße 24", "Weststadt", (K, G), "07:00", "17:00", 9, "de,ar", "Interkulturelle Pädagogik, Familienzentrum"),
    ("Ev. Kita Christuskirche", EV, "Zähringerstraße 28", "Weststadt", (G,), "07:30", "16:00", 6, "de", "Religionspädagogik, altersgemischte Gruppen"),
    ("Kinderhaus Kaiserstraße", "Montessori-Förderkreis Heidelberg e. V. (Demo)", "Kaiserstraße 55", "Weststadt", (K, G), "08:00", "16:00", 5, "de,en", "Montessori-Pädagogik"),
    ("Kita Rheinstraße", CITY, "Rheinstraße 10", "Südstadt", (K, G), "07:00", "17:00", 8, "de", "Gesunde Ernährung, eigene Küche"),
    ("Kita Campbell Barracks", "Kinderbetreuung Kurpfalz gGmbH (Demo)", "Römerstraße 170", "Südstadt", (K, G), "07:00", "18:00", 12, "de,en,uk", "Offene Arbeit, Atelier und Lernwerkstatt"),
    ("Kath. Kita St. Michael", KA, "Kirschgartenstraße 30", "Südstadt", (G,), "07:30", "15:30", 5, "de,pl", "Religionspädagogik, Waldtage"),
    ("Kita Rathausstraße", CITY, "Rathausstraße 50", "Rohrbach", (K, G), "07:00", "17:00", 10, "de,tr", "Sprachkita, Zusammenarbeit mit der Grundschule"),
    ("Waldkindergarten Rohrbacher Wald", "Waldkindergarten Heidelberg-Süd e. V. (Demo)", "Heinrich-Fuchs-Straße 100", "Rohrbach", (G,), "08:00", "14:00", 4, "de", "Waldkindergarten, bei jedem Wetter draußen"),
    ("Ev. Kita Melanchthon", EV, "Karlsruher Straße 80", "Rohrbach", (K, G), "07:30", "16:30", 7, "de", "Religionspädagogik, Musik und Singen"),
    ("Kita Hasenleiser", CITY, "Freiburger Straße 12", "Rohrbach", (K, G), "07:00", "17:30", 9, "de,ru", "Familienzentrum mit Beratungsangeboten"),
    ("Kita Hegenichstraße", CITY, "Hegenichstraße 20", "Kirchheim", (K, G), "07:00", "17:00", 11, "de,tr", "Sprachförderung, Elternbildung"),
    ("Kita Pleikartsförster Hof", "Elterninitiative Kirchheimer Strolche e. V. (Demo)", "Pleikartsförster Straße 110", "Kirchheim", (K, G), "07:30", "15:30", 4, "de", "Bauernhofpädagogik"),
    ("Kath. Kita St. Peter", KA, "Schwetzinger Straße 60", "Kirchheim", (G,), "07:30", "16:00", 6, "de,es", "Religionspädagogik, Gartenprojekt"),
    ("Kita Im Bieth", CITY, "Im Bieth 2", "Kirchheim", (K,), "07:00", "17:00", 6, "de", "Krippe mit Bewegungsbaustelle"),
    ("Kita Eppelheimer Straße", CITY, "Eppelheimer Straße 50", "Pfaffengrund", (K, G), "07:00", "17:00", 9, "de,ar", "Interkulturelle Pädagogik"),
    ("Kita Schwalbennest", "Elterninitiative Schwalbennest e. V. (Demo)", "Schwalbenweg 10", "Pfaffengrund", (K,), "07:30", "15:00", 3, "de", "Elterninitiative, altersgemischte Kleingruppe"),
    ("Ev. Kita Pfaffengrund", EV, "Kranichweg 15", "Pfaffengrund", (G,), "07:30", "16:30", 6, "de", "Religionspädagogik, Naturtage"),
    ("Kita Klostergarten", KA, "Klostergasse 8", "Wieblingen", (K, G), "07:30", "16:30", 7, "de,it", "Situationsansatz, Kräutergarten"),
    ("Kita Mannheimer Straße", CITY, "Mannheimer Straße 250", "Wieblingen", (K, G), "07:00", "17:00", 8, "de", "Bewegung und Gesundheit"),
    ("Kita Mönchhof", CITY, "Mönchhofstraße 20", "Neuenheim", (K, G), "07:00", "17:30", 9, "de,en,fr", "Mehrsprachiger Alltag, Bücherei"),
    ("Kinderhaus Uferstraße", "Montessori-Förderkreis Heidelberg e. V. (Demo)", "Uferstraße 40", "Neuenheim", (K, G), "08:00", "16:30", 6, "de,en", "Montessori-Pädagogik, Neckarwiese vor der Tür"),
    ("Kita Im Neuenheimer Feld", "Kinderbetreuung Kurpfalz gGmbH (Demo)", "Berliner Straße 45", "Neuenheim", (K,), "06:45", "18:30", 12, "de,en,es", "Lange Öffnungszeiten für Eltern im Schichtdienst"),
    ("Kita Tiefburg", CITY, "Dossenheimer Landstraße 15", "Handschuhsheim", (K, G), "07:00", "17:00", 10, "de", "Offenes Konzept, Ateliers"),
    ("Ev. Kita Friedenskirche", EV, "Steubenstraße 30", "Handschuhsheim", (G,), "07:30", "16:00", 6, "de,en", "Religionspädagogik, Musikschwerpunkt"),
    ("Kita Heiligenberg", "Waldkindergarten Heidelberg-Nord e. V. (Demo)", "Mühltalstraße 100", "Handschuhsheim", (G,), "08:00", "14:30", 4, "de", "Naturpädagogik, Waldtage am Heiligenberg"),
    ("Kita Peterstal", CITY, "Peterstaler Straße 50", "Ziegelhausen", (K, G), "07:00", "16:30", 8, "de", "Naturnahes Außengelände, Bewegung"),
    ("Kath. Kita St. Laurentius", KA, "Kleingemünder Straße 10", "Ziegelhausen", (G,), "07:30", "15:30", 5, "de", "Religionspädagogik"),
    ("Kita Schlierbacher Landstraße", CITY, "Schlierbacher Landstraße 120", "Schlierbach", (K, G), "07:30", "16:30", 5, "de,fr", "Kleine Einrichtung, familiäre Atmosphäre"),
    ("Kita Boxbergring", CITY, "Boxbergring 10", "Boxberg", (K, G), "07:00", "17:00", 9, "de,ru,tr", "Familienzentrum, Sprachförderung"),
    ("Kita Emmertsgrund Forum", CITY, "Forum 1", "Emmertsgrund", (K, G), "07:00", "17:30", 12, "de,ar,tr,ru", "Interkulturelle Pädagogik, Familienzentrum"),
]


def load() -> None:
    """Add the Kitas that are not there yet (idempotent by name)."""
    session = db_session()
    have = set(session.exec(select(KitaFacility.name)).all())
    for index, (name, provider, street, district, groups, opens, closes, places, langs, concept) in enumerate(KITAS):
        if name in have:
            continue
        lat, lon, postcode = DISTRICTS[district]
        # spread the Kitas of one district a little around its centre (deterministic)
        lat += ((index * 7) % 9 - 4) * 0.0012
        lon += ((index * 5) % 9 - 4) * 0.0016
        session.add(KitaFacility(
            name=name, provider=provider, street=street, postcode=postcode, city="Heidelberg", district=district,
            lat=round(lat, 5), lon=round(lon, 5), age_groups=",".join(groups), opens_at=opens, closes_at=closes,
            opening_days="Mo–Fr", places=places, concept=concept, languages=langs,
            accessible=index % 3 != 1))
    session.commit()
