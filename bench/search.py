#!/usr/bin/env python3
"""Bürgerportal search: engine and as-you-type HTTP latency on a catalogue of 10,000 services.

    .venv/bin/python bench/search.py [--services 10000] [--rounds 20] [--database-url URL]

What it does:

1. creates a temporary instance (SQLite file by default; a fresh PostgreSQL database with
   ``--database-url postgresql://…``), applies the migrations, enables ``buergerportal`` for one
   municipality and loads its demo data;
2. generates ``--services`` published services (realistic German names, teasers, descriptions,
   synonyms; fixed random seed) through the ORM, so the index is filled by the same
   ``after_flush`` listener as in production;
3. measures the engine (``mash_buergerportal.search.search``, limit 8, snippets included) over a
   fixed list of queries — whole words, word forms, synonyms, two-word queries and the prefixes a
   citizen types — each run ``--rounds`` times after a warm-up;
4. measures the as-you-type endpoint ``GET /api/v1/buergerportal/search?q=…&limit=8`` through the
   Flask test client (full request cycle: municipality by host, plugin state, JSON);
5. measures a baseline in the same run: a naive ``LIKE '%word%'`` search over the same documents.

Prints progress on stderr and ONE JSON object as the last line of stdout with ``services``,
``queries``, ``p50_ms``, ``p95_ms`` (engine), ``api_p50_ms``, ``api_p95_ms`` (HTTP),
``baseline_like_p50_ms``, ``baseline_like_p95_ms`` and ``targets_met``, and the machine's 1-minute
load average before and after the measurements (``load_1min``: latencies on a shared machine vary
with it; compare runs made at a similar load). Targets on SQLite: engine p95 < 5 ms, HTTP p95 < 15 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUNICIPALITY = "heidelberg"

OBJECTS = ["Elterngeld", "Kindergeld", "Wohngeld", "Hundesteuer", "Personalausweis", "Reisepass", "Führerschein",
           "Gewerbe", "Parkausweis", "Bewohnerparkausweis", "Baugenehmigung", "Sondernutzung", "Meldebescheinigung",
           "Geburtsurkunde", "Sterbeurkunde", "Eheschließung", "Namensänderung", "Fischereischein", "Waffenschein",
           "Zweitwohnungsteuer", "Grundsteuer", "Abfallgebühr", "Sperrmüll", "Biotonne", "Kitaplatz", "Schülerticket",
           "Ferienbetreuung", "Wahlschein", "Briefwahl", "Führungszeugnis", "Beglaubigung", "Fundsache",
           "Veranstaltung", "Straßenfest", "Baumfällung", "Hausnummer", "Anwohnerparken", "Schwerbehindertenausweis",
           "Blauer Parkausweis", "Landesfamilienpass", "Unterhaltsvorschuss", "Beistandschaft", "Elternzeit",
           "Kinderzuschlag", "Bildungspaket", "Wohnberechtigungsschein", "Einbürgerung", "Aufenthaltstitel",
           "Niederlassungserlaubnis", "Arbeitserlaubnis", "Gaststättenerlaubnis", "Marktstand", "Taxikonzession",
           "Lärmschutz", "Feuerwerk", "Jagdschein", "Hundehaltung", "Kampfhund", "Pflegegeld", "Pflegeberatung",
           "Seniorenausweis", "Sozialpass", "Vereinsregister", "Spendenquittung", "Ehrenamtskarte", "Sportförderung",
           "Musikschule", "Volkshochschule", "Bibliotheksausweis", "Stadtführung", "Trauung", "Lebenspartnerschaft",
           "Vaterschaftsanerkennung", "Sorgeerklärung", "Kirchenaustritt", "Erbschein", "Grabstelle", "Bestattung",
           "Umweltzone", "Lastenrad", "Carsharing", "Ladesäule", "Solaranlage", "Denkmalschutz", "Gartenabfall"]
VERBS = ["beantragen", "anmelden", "abmelden", "ummelden", "verlängern", "ändern", "kündigen", "erstatten",
         "nachweisen", "zurückgeben", "ersetzen", "prüfen lassen", "beglaubigen lassen", "einreichen",
         "widersprechen", "ermäßigen", "befreien lassen", "übertragen", "auszahlen lassen", "vormerken"]
QUALIFIERS = ["", "für Familien", "für Unternehmen", "für Studierende", "im Ausland", "online", "für Senioren",
              "für Vereine", "in Heidelberg", "für Minderjährige", "bei Umzug", "im Eilverfahren"]
WORDS = ("Antrag Anträge Unterlagen Nachweis Frist Gebühr Kosten Bürgeramt Termin Online Formular Einkommen "
         "Haushalt Kind Kinder Eltern Familie Wohnung Umzug Adresse Steuer Bescheid Zahlung Konto Ausweis "
         "Staatsangehörigkeit Geburt Ehe Behörde Amt Stadt Landkreis Land Bund Rechtsgrundlage Satzung Gesetz "
         "Voraussetzung Bearbeitung Dauer Wochen Monate Tage persönlich schriftlich elektronisch vollständig "
         "rechtzeitig zuständig Stelle Sachbearbeitung Auskunft Beratung Hilfe Unterstützung Zuschuss Förderung "
         "Erstattung Ermäßigung Befreiung Widerspruch Klage Verfahren Prüfung Genehmigung Erlaubnis Anzeige "
         "Meldung Registrierung Bestätigung Bescheinigung Urkunde Kopie Original Lichtbild Unterschrift").split()
QUERIES = ["Elterngeld", "elt", "elterng", "Kindergeldes", "Kinderg", "Ausweis", "Ausweise", "Perso", "Anträge",
           "antr", "ummeldung", "Hundesteuer", "hund", "Parkausweis beantragen", "Gewerbe anmelden", "gew",
           "Reisepass verlängern", "reisep", "Kita", "Kitas", "Krippe", "Briefwahl", "wahl", "Baugenehmigung",
           "Sperrmüll", "sperr", "Führungszeugnis", "Einbürgerung", "Wohngeld Einkommen", "Familie Zuschuss",
           "Geburtsurkunde", "Bürgeramt Termin", "Lebensgefahr", "Vergiftung", "Notruf", "Zauberstab",
           "Trauung", "Grabstelle", "Solaranlage Förderung", "Ladesäule"]
SYNONYMS = {"Personalausweis": ["Perso", "Ausweis"], "Gewerbe": ["Gewerbeschein", "Firma"],
            "Kitaplatz": ["Kita", "Krippe", "Kindergarten"], "Briefwahl": ["Wahlunterlagen"],
            "Sperrmüll": ["Möbel", "Sofa"], "Hundesteuer": ["Hund", "Hundemarke"]}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 3)


class Database:
    def __init__(self, url: str | None, folder: Path):
        self.server = None
        if url and url.startswith("postgresql"):
            from sqlalchemy import create_engine, text
            self.server = create_engine(url, isolation_level="AUTOCOMMIT")
            self.name = f"mash_bench_{uuid.uuid4().hex[:10]}"
            with self.server.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url, self.backend = f"{url.rpartition('/')[0]}/{self.name}", "postgresql"
        else:
            self.url, self.backend = f"sqlite:///{folder / 'search-bench.db'}", "sqlite"

    def drop(self) -> None:
        if self.server is not None:
            from sqlalchemy import text
            with self.server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.server.dispose()


def build_app(url: str, folder: Path):
    from sqlalchemy import text

    from mash_core.testing import MashClient, build_app as build

    app = build(url, folder, plugins=("buergerportal",), municipalities=(MUNICIPALITY,))
    app.test_client_class = MashClient
    with app.extensions["mash"].engine.connect() as conn:
        mid = conn.execute(text("SELECT id FROM core_municipality WHERE slug = :s"), {"s": MUNICIPALITY}).scalar()
    return app, mid

def services(n: int, seed: int = 7):
    rng = random.Random(seed)
    names, seen = [], set()
    while len(names) < n:
        obj, verb, qual = rng.choice(OBJECTS), rng.choice(VERBS), rng.choice(QUALIFIERS)
        name = " ".join(p for p in (obj, verb, qual) if p)
        if name in seen:
            name = f"{name} ({len(names)})"
        seen.add(name)
        names.append((obj, name))
    for i, (obj, name) in enumerate(names):
        body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 90)))
        yield {"slug": f"leistung-{i}", "name": name, "teaser": f"{obj}: " + " ".join(rng.choice(WORDS) for _ in range(10)),
               "description": body, "synonyms": SYNONYMS.get(obj, []),
               "prerequisites": [" ".join(rng.choice(WORDS) for _ in range(6))],
               "documents": [rng.choice(WORDS), rng.choice(WORDS)], "costs": rng.choice(["keine", "10 €", "28,80 €"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="mash-search-bench-") as tmp:
        folder = Path(tmp)
        db = Database(args.database_url, folder)
        try:
            result = run(args, db, folder)
        finally:
            db.drop()
    print(json.dumps(result, ensure_ascii=False))


def run(args, db: Database, folder: Path) -> dict:
    from sqlalchemy import func, or_

    from mash_buergerportal import catalogue_demo, demo, search
    from mash_buergerportal.catalogue_models import PUBLISHED, SearchDoc, Service
    from mash_core.api import db_session, select
    from mash_core.tenancy import municipality_context

    log(f"backend {db.backend}: migrating and enabling buergerportal")
    app, mid = build_app(db.url, folder)
    started = time.perf_counter()
    with app.app_context(), municipality_context(mid):
        demo.load()
        catalogue_demo.load()
        session = db_session()
        batch = []
        for record in services(args.services):
            batch.append(Service(status=PUBLISHED, **record))
            if len(batch) == 1000:
                session.add_all(batch)
                session.commit()
                batch = []
        if batch:
            session.add_all(batch)
            session.commit()
        if db.backend == "sqlite":
            from sqlalchemy import text
            session.execute(text("INSERT INTO buergerportal_search_fts(buergerportal_search_fts) VALUES ('optimize')"))
            session.execute(text("ANALYZE"))
            session.commit()
        docs = session.exec(select(func.count(SearchDoc.id))).one()
    build_s = time.perf_counter() - started
    log(f"catalogue: {args.services} services, {docs} documents in {build_s:.1f} s")

    engine_ms, like_ms, hits, per_query = [], [], {}, {}
    load_before = round(os.getloadavg()[0], 2)
    with app.app_context(), municipality_context(mid), app.test_request_context("/", base_url="http://localhost"):
        for q in QUERIES:  # warm-up
            search.search(q, limit=8)
        for _ in range(args.rounds):
            for q in QUERIES:
                t = time.perf_counter()
                found = search.search(q, limit=8)
                engine_ms.append((time.perf_counter() - t) * 1000)
                per_query.setdefault(q, []).append(engine_ms[-1])
                hits[q] = len(found)
        session = db_session()
        for _ in range(max(1, args.rounds // 4)):
            for q in QUERIES:
                t = time.perf_counter()
                words = q.split()
                clauses = [or_(SearchDoc.title.ilike(f"%{w}%"), SearchDoc.body.ilike(f"%{w}%")) for w in words]
                session.exec(select(SearchDoc).where(*clauses).limit(8)).all()
                like_ms.append((time.perf_counter() - t) * 1000)

    client = app.test_client()
    for q in QUERIES:
        client.get("/api/v1/buergerportal/search", query_string={"q": q, "limit": 8})
    api_ms = []
    for _ in range(args.rounds):
        for q in QUERIES:
            t = time.perf_counter()
            response = client.get("/api/v1/buergerportal/search", query_string={"q": q, "limit": 8})
            api_ms.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, response.status_code
    load_after = round(os.getloadavg()[0], 2)
    app.extensions["mash"].engine.dispose()

    result = {
        "bench": "buergerportal-search", "backend": db.backend, "services": args.services, "documents": docs,
        "queries": len(engine_ms), "distinct_queries": len(QUERIES), "rounds": args.rounds,
        "p50_ms": pct(engine_ms, 50), "p95_ms": pct(engine_ms, 95), "max_ms": round(max(engine_ms), 3),
        "api_p50_ms": pct(api_ms, 50), "api_p95_ms": pct(api_ms, 95), "api_requests": len(api_ms),
        "baseline_like_p50_ms": pct(like_ms, 50), "baseline_like_p95_ms": pct(like_ms, 95),
        "mean_ms": round(statistics.mean(engine_ms), 3), "build_s": round(build_s, 1),
        "queries_without_hits": sorted(q for q, n in hits.items() if n == 0),
        "slowest_queries_p50_ms": dict(sorted(((q, round(statistics.median(v), 2)) for q, v in per_query.items()),
                                              key=lambda kv: -kv[1])[:5]),
        "python": platform.python_version(), "machine": platform.machine(),
        "cpus": os.cpu_count(), "load_1min": [load_before, load_after],
    }
    if db.backend == "sqlite":
        result["targets"] = {"p95_ms": 5, "api_p95_ms": 15}
        result["targets_met"] = result["p95_ms"] < 5 and result["api_p95_ms"] < 15
    return result


if __name__ == "__main__":
    main()
