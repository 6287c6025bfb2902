"""Demo data of the catalogue and the help directory — only facts the domain brief marks verified.

* help directory: the rows of brief §5 with Seed = yes (numbers, hours, sources as given; the
  Elterntelefon's hours are left out because the sources conflict);
* life situations: the tree of brief §9.1;
* services: brief §9.2 and §4 in MAsH's own short words (no official texts), LeiKa keys only
  where the brief gives them, ``last_verified`` left empty until an editor checks the entry.

Idempotent: records are matched by slug and never overwritten (an editor's change survives).
"""

from __future__ import annotations

from mash_core.api import db_session, select

from .catalogue import set_services
from .catalogue_models import PUBLISHED, HelpEntry, HelpTopic, LifeSituation, Service
from .models import Office

HELP = [
    # slug, category, name, number, alt, hours, free, languages, description, source, position
    ("notruf-112", "notruf", "Lebensgefahr: Feuerwehr und Rettungsdienst (Euronotruf)", "112", "",
     "rund um die Uhr", True, "", "Ohne Vorwahl, in der ganzen EU; auch per Fax und mit der Notruf-App nora.",
     "https://gesund.bund.de/notfallnummern", 0),
    ("polizei-110", "notruf", "Polizei", "110", "", "rund um die Uhr", True, "", "",
     "augsburger-allgemeine.de: „Wann wählt man welche Notruf-Nummer“ (2018)", 1),
    ("bereitschaftsdienst-116117", "notruf", "Ärztlicher Bereitschaftsdienst", "116 117", "",
     "außerhalb der Sprechzeiten der Arztpraxen", True, "", "Bundesweit, ohne Vorwahl.",
     "https://mobil.teltarif.de/116-117-aerztlicher-bereitschaftsdienst-start-16-april-kostenlos-bundesweit/"
     "news/46343.html", 2),
    ("giftnotruf-freiburg", "notruf", "Giftnotruf: Vergiftungs-Informations-Zentrale Freiburg", "0761 19240", "",
     "rund um die Uhr, das ganze Jahr", None, "", "Universitätsklinikum Freiburg, zuständig für Baden-Württemberg.",
     "https://www.uniklinik-freiburg.de/giftberatung/wir-ueber-uns.html", 3),
    ("telefonseelsorge", "beratung", "TelefonSeelsorge", "0800 111 0 111", "0800 111 0 222",
     "rund um die Uhr", True, "", "Anonym; auch Chat und Mail über telefonseelsorge.de.",
     "https://www.domradio.de/glossar/telefonseelsorge-0", 10),
    ("kinder-jugendtelefon", "beratung", "Nummer gegen Kummer: Kinder- und Jugendtelefon", "116 111",
     "0800 111 0 333", "Mo–Sa 14–20 Uhr, dazu weitere Zeiten", None, "",
     "Samstags beraten Jugendliche Jugendliche.", "klecks-os.de (Information des BMFSFJ, 2020); telekom.com (2008)",
     11),
    ("elterntelefon", "familie", "Nummer gegen Kummer: Elterntelefon", "0800 111 0 550", "", "", None, "",
     "Die Erreichbarkeit wird gerade geprüft.", "klecks-os.de (Information des BMFSFJ, 2020)", 20),
    ("hilfetelefon-gewalt-frauen", "beratung", "Hilfetelefon „Gewalt gegen Frauen“", "116 016", "",
     "rund um die Uhr", True, "18 Sprachen, Gebärdensprache", "Anonym; Chat auf hilfetelefon.de.",
     "https://www.der-paritaetische.de/alle-meldungen/bundesweites-hilfetelefon-gewalt-gegen-frauen-wird-zehn-"
     "und-bekommt-vereinfachte-rufnummer/", 12),
    ("hilfetelefon-schwangere", "beratung", "Hilfetelefon „Schwangere in Not“ (vertrauliche Geburt)",
     "0800 40 40 020", "", "rund um die Uhr", True, "viele Sprachen", "Anonym; geburt-vertraulich.de.",
     "https://hebammen-bw.de/vertraulich-und-anonym/", 13),
    ("info-telefon-depression", "gesundheit", "Info-Telefon Depression", "0800 33 44 533", "", "", None, "",
     "", "infranken.de (eine Quelle; wird bei der ersten Prüfung erneut bestätigt)", 30),
    ("familienkasse", "familie", "Familienkasse (Kindergeld, Kinderzuschlag)", "0800 4 5555 30", "",
     "Mo–Fr 8–18 Uhr", True, "", "Aus dem Ausland: +49 911 12031010.",
     "service-bw „Kindergeld beantragen“ (eingebunden bei gemeinde-koenigsheim.de)", 21),
    ("l-bank-familienfoerderung", "familie", "L-Bank Familienförderung (Elterngeld)", "0800 6645 471", "",
     "Mo–Fr 8:30–16 Uhr", None, "", "Aus dem Ausland: +49 721 150-2862.", "Webarchiv der Stadt Tübingen, 2023", 22),
    ("buergeramt-termine", "verwaltung", "Bürgerämter Heidelberg: Terminvereinbarung", "06221 58-13333", "",
     "Mo–Fr 8–16 Uhr", None, "", "Online: termin.heidelberg.de", "mrn-news.de, 10.12.2022", 40),
]

TOPICS = [
    ("lebensgefahr", "Lebensgefahr, Unfall, Feuer",
     ["Notfall", "Unfall", "Feuer", "Brand", "bewusstlos", "Herzinfarkt", "Rettungswagen", "Krankenwagen"],
     ["notruf-112"]),
    ("vergiftung", "Vergiftung", ["Gift", "Vergiftung", "verschluckt", "Pilze", "Medikamente", "Putzmittel"],
     ["giftnotruf-freiburg"]),
    ("krank-nachts", "Krank außerhalb der Sprechzeiten", ["Arzt", "krank", "Fieber", "nachts", "Wochenende"],
     ["bereitschaftsdienst-116117"]),
    ("gewalt", "Gewalt", ["Gewalt", "häusliche Gewalt", "geschlagen", "bedroht", "Stalking"],
     ["polizei-110", "hilfetelefon-gewalt-frauen"]),
    ("krise", "Sorgen, Einsamkeit, Krise", ["Sorgen", "einsam", "Einsamkeit", "Krise", "Angst", "Suizid",
                                            "Trauer", "reden"],
     ["telefonseelsorge", "info-telefon-depression"]),
    ("depression", "Depression", ["Depression", "niedergeschlagen", "antriebslos"], ["info-telefon-depression"]),
    ("kinder-jugendliche", "Kinder und Jugendliche", ["Kind", "Jugendliche", "Mobbing", "Schule", "Streit"],
     ["kinder-jugendtelefon"]),
    ("erziehung", "Erziehung und Elternsorgen", ["Erziehung", "Eltern", "Baby", "schreit", "Pubertät"],
     ["elterntelefon"]),
    ("schwanger", "Schwanger und in Not", ["schwanger", "Schwangerschaft", "vertrauliche Geburt", "anonym"],
     ["hilfetelefon-schwangere"]),
    ("kindergeld", "Kindergeld und Kinderzuschlag", ["Kindergeld", "Kinderzuschlag", "Familienkasse"],
     ["familienkasse"]),
    ("elterngeld", "Elterngeld", ["Elterngeld", "Elternzeit", "L-Bank"], ["l-bank-familienfoerderung"]),
    ("behoerde", "Termin im Bürgeramt", ["Termin", "Ausweis", "Reisepass", "ummelden", "Umzug", "Bürgeramt"],
     ["buergeramt-termine"]),
]

SITUATIONS = [
    # slug, title, parent, summary
    ("familie-kind", "Familie & Kind", None, "Von der Schwangerschaft bis zur Kinderbetreuung."),
    ("schwangerschaft", "Schwangerschaft", "familie-kind",
     "Mutterschutz, Hilfe in Notlagen und was Eltern schon vor der Geburt erledigen können."),
    ("geburt-eines-kindes", "Geburt eines Kindes", "familie-kind",
     "Geburt anzeigen, Vornamen bestimmen, Kindergeld und Elterngeld beantragen, Elternzeit verlangen."),
    ("kinderbetreuung", "Kinderbetreuung", "familie-kind",
     "Der Rechtsanspruch auf einen Platz ab dem ersten Geburtstag (§ 24 SGB VIII) und die zentrale Vormerkung."),
    ("beratung-hilfe", "Beratung und Hilfe", "familie-kind", "Elterntelefon, Nummer gegen Kummer und weitere "
                                                             "Beratungsangebote."),
    ("umzug-wohnen", "Umzug / Wohnen", None, "Wohnsitz anmelden und abmelden, Meldebescheinigung."),
    ("ausweise", "Ausweise", None, "Personalausweis, Reisepass und Kinderreisepass."),
    ("hilfe-in-notlagen", "Hilfe in Notlagen", None, "Notrufe und Beratungstelefone – Lebensgefahr: 112."),
]

ELTERNGELD = """Elterngeld gleicht einen Teil des Einkommens aus, das nach der Geburt wegfällt, weil Sie Ihr Kind
selbst betreuen. In Baden-Württemberg beantragen Sie es bei der **L-Bank**.

Rückwirkend wird Elterngeld nur für die letzten drei Lebensmonate vor dem Monat gezahlt, in dem der Antrag
eingeht. Stellen Sie den Antrag daher möglichst in den ersten drei Lebensmonaten."""

KINDERGELD = """Kindergeld bekommen Sie von der **Familienkasse der Bundesagentur für Arbeit** – ab dem Monat
der Geburt. Beschäftigte im öffentlichen Dienst wenden sich an ihre Familienkasse des öffentlichen Dienstes.

Rückwirkend wird Kindergeld nur für die letzten sechs Monate vor dem Monat gezahlt, in dem der Antrag
eingeht."""

GEBURT = """Kommt Ihr Kind in einer Klinik oder einer anderen Einrichtung zur Welt, meldet die Einrichtung die
Geburt schriftlich dem Standesamt. Bei einer Hausgeburt zeigt jeder sorgeberechtigte Elternteil die Geburt
mündlich an.

Die Vornamen können Sie innerhalb eines Monats nachreichen (§ 22 Abs. 1 PStG)."""

KITA = """Über die **Zentrale Vormerkung** lassen Sie Ihr Kind für einen Platz in einer Heidelberger Kita
vormerken – ab der Geburt bis zum Schuleintritt.

- bis zu drei Wunsch-Kitas je Vormerkung
- Kindergartenjahr: 1. September bis 31. August
- die Kitas vergeben die Plätze ab dem 15. Februar; das Kinder- und Jugendamt informiert per E-Mail
- verbindlich wird der Platz erst mit dem Betreuungsvertrag

Ohne Internet: ein Papierformular gibt es beim Kinder- und Jugendamt und in den Kitas."""

SERVICES = [
    dict(slug="elterngeld-beantragen", name="Elterngeld beantragen",
         teaser="Elterngeld ersetzt einen Teil des Einkommens, während Sie Ihr Kind betreuen.",
         description=ELTERNGELD, synonyms=["Basiselterngeld", "ElterngeldPlus", "Elterngeldantrag", "L-Bank"],
         prerequisites=["Wohnsitz oder gewöhnlicher Aufenthalt in Deutschland",
                        "Kind lebt im eigenen Haushalt und wird selbst betreut und erzogen",
                        "höchstens 30 Wochenstunden Erwerbstätigkeit",
                        "zu versteuerndes Einkommen nicht über 175.000 € (Geburten ab 01.04.2025)"],
         documents=["Geburtsurkunde (Original)", "Einkommensnachweise der 12 Monate vor der Geburt",
                    "Bescheinigung über Mutterschaftsgeld und Arbeitgeberzuschuss",
                    "ggf. Arbeitszeitbestätigung"],
         costs="keine", responsible="L-Bank, Familienförderung, 76113 Karlsruhe – Telefon 0800 6645 471",
         legal=[{"name": "§§ 1–14 BEEG"}, {"name": "§ 7 BEEG (Antrag)"}],
         deadlines="Möglichst in den ersten drei Lebensmonaten beantragen (rückwirkend nur drei Monate)."),
    dict(slug="kindergeld-beantragen", name="Kindergeld beantragen",
         teaser="Kindergeld gibt es ab dem Monat der Geburt – der Antrag geht an die Familienkasse.",
         description=KINDERGELD, synonyms=["Kindergeldantrag", "Familienkasse", "KG 1", "Anlage Kind"],
         documents=["Steuer-Identifikationsnummer des Kindes",
                    "Steuer-Identifikationsnummer des antragstellenden Elternteils"],
         forms=[{"name": "KG 1 Antrag auf Kindergeld"}, {"name": "Anlage Kind (je Kind)"}],
         costs="keine", responsible="Familienkasse der Bundesagentur für Arbeit – Telefon 0800 4 5555 30",
         legal=[{"name": "§§ 62, 63, 66, 67, 70 EStG"}],
         deadlines="Rückwirkend nur für die letzten sechs Monate vor dem Monat des Antrags."),
    dict(slug="geburt-anzeigen", name="Geburt beim Standesamt anzeigen",
         teaser="Die Geburt muss innerhalb einer Woche dem Standesamt des Geburtsorts angezeigt werden.",
         description=GEBURT, synonyms=["Geburtsanzeige", "Geburtsurkunde", "Standesamt", "Hausgeburt"],
         responsible="Standesamt des Geburtsorts", legal=[{"name": "§§ 18–20, 22 PStG"}],
         deadlines="innerhalb einer Woche nach der Geburt (§ 18 Abs. 1 PStG)"),
    dict(slug="kita-vormerken-heidelberg", name="Kita-Platz zentral vormerken (Heidelberg)",
         teaser="Bis zu drei Wunsch-Kitas angeben – ab der Geburt bis zum Schuleintritt.",
         description=KITA, synonyms=["Kita-Anmeldung", "Krippe", "Kindergarten", "Kitaplatz", "Betreuungsplatz"],
         responsible="Stadt Heidelberg, Kinder- und Jugendamt", legal=[{"name": "§ 24 SGB VIII"}],
         sources=["https://www.heidelberg.de/hd/HD/Lernen+und+Forschen/zentrale+vormerkung+kitaplatz.html"]),
    dict(slug="wohnsitz-anmelden", name="Wohnsitz anmelden", leika_key="99115005000000",
         teaser="Nach dem Umzug melden Sie Ihre neue Wohnung im Bürgeramt an.",
         description="Melden Sie Ihre neue Wohnung innerhalb von zwei Wochen nach dem Einzug an – in jedem "
                     "Bürgeramt, am besten mit Termin.",
         synonyms=["Ummeldung", "ummelden", "Anmeldung", "Umzug", "Meldebescheinigung"], office="Bürgeramt Mitte",
         appointment_url="https://termin.heidelberg.de"),
    dict(slug="personalausweis-beantragen", name="Personalausweis beantragen", leika_key="99008001000000",
         teaser="Den Personalausweis beantragen Sie persönlich in einem Bürgeramt.",
         description="Personalausweise beantragen Sie persönlich in einem Bürgeramt – am besten mit Termin.",
         synonyms=["Perso", "Ausweis", "Personalausweis"], office="Bürgeramt Mitte",
         appointment_url="https://termin.heidelberg.de"),
    dict(slug="reisepass-beantragen", name="Reisepass beantragen", leika_key="99085001000000",
         teaser="Den Reisepass beantragen Sie persönlich in einem Bürgeramt.",
         description="Reisepässe beantragen Sie persönlich in einem Bürgeramt – am besten mit Termin.",
         synonyms=["Pass", "Reisepass"], office="Bürgeramt Mitte", appointment_url="https://termin.heidelberg.de"),
]

LINKS = {
    "geburt-eines-kindes": ["geburt-anzeigen", "kindergeld-beantragen", "elterngeld-beantragen",
                            "kita-vormerken-heidelberg"],
    "kinderbetreuung": ["kita-vormerken-heidelberg"],
    "umzug-wohnen": ["wohnsitz-anmelden", "kita-vormerken-heidelberg"],
    "ausweise": ["personalausweis-beantragen", "reisepass-beantragen"],
}


def load() -> None:
    session = db_session()
    have = set(session.exec(select(HelpEntry.slug)).all())
    for slug, category, name, number, alt, hours, free, languages, description, source, position in HELP:
        if slug not in have:
            session.add(HelpEntry(slug=slug, category=category, name=name, number=number, alt_number=alt,
                                  hours=hours, free_of_charge=free, languages=languages, description=description,
                                  source=source, position=position, status="verified"))
    have = set(session.exec(select(HelpTopic.slug)).all())
    for slug, title, topic_words, entries in TOPICS:
        if slug not in have:
            session.add(HelpTopic(slug=slug, title=title, words=topic_words, entries=entries))

    offices = {o.name: o.id for o in session.exec(select(Office)).all()}
    services = {s.slug: s for s in session.exec(select(Service)).all()}
    for record in SERVICES:
        if record["slug"] in services:
            continue
        record = dict(record)
        office = record.pop("office", None)
        service = Service(status=PUBLISHED, office_id=offices.get(office), **record)
        session.add(service)
        services[service.slug] = service
    situations = {s.slug: s for s in session.exec(select(LifeSituation)).all()}
    new = []
    for position, (slug, title, parent, summary) in enumerate(SITUATIONS):
        if slug not in situations:
            situations[slug] = LifeSituation(slug=slug, title=title, summary=summary, position=position,
                                             status=PUBLISHED)
            session.add(situations[slug])
            new.append((slug, parent))
    session.flush()
    for slug, parent in new:
        if parent:
            situations[slug].parent_id = situations[parent].id
            session.add(situations[slug])
        if slug in LINKS:
            set_services(situations[slug], [services[s].id for s in LINKS[slug]])
    session.commit()
