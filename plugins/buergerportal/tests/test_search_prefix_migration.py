"""Revision buergerportal0009: the FTS5 prefix index for prefixes of 2 to 10 characters.

Upgrade and downgrade rebuild the index from its content table: every document stays findable
(same hits, order and snippets), documents indexed under the old definition are found under the
new one, the sync triggers keep working, and prefix queries of every length find exactly what a
plain scan of the indexed words finds. Runs on SQLite and on PostgreSQL (MASH_TEST_DATABASE_URL),
where the revision changes nothing."""

import importlib.util
import re
from pathlib import Path

import pytest
from catalogue_support import in_context, load_demo
from sqlalchemy import text

from mash_core.api import db_session, select

pytestmark = pytest.mark.mash_plugins("buergerportal")

FTS = "buergerportal_search_fts"
QUERIES = ["Elterngeld", "elt", "elterng", "Kindergeldes", "Kinderg", "Anträge", "antr", "Perso", "Ummeldung",
           "Kita", "Kitas", "Krippe", "Hundesteuer", "hund", "Personalausweis beantragen", "Elterngeld Einkommen",
           "Bürgeramt Termin", "Elterngeld Zauberstab", "Zauberstab", "Bergheimer", "m1",
           # as typed, one letter more each time, past every prefix index length
           *("Meldebescheinigung"[:n] for n in range(2, 19)),
           *("Staatsangehörigkeitsurkunde"[:n] for n in range(2, 28))]


def _migration():
    import mash_buergerportal
    path = (Path(mash_buergerportal.__file__).parent / "migrations" / "versions"
            / "buergerportal0009_fts_prefix.py")
    spec = importlib.util.spec_from_file_location("buergerportal0009_fts_prefix", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sqlite(app) -> bool:
    return app.extensions["mash"].engine.dialect.name == "sqlite"


def _migrate(app, target: str) -> None:
    from alembic import command

    from mash_core.migrations_runner import alembic_config, upgrade
    mash = app.extensions["mash"]
    if target == "heads":
        upgrade(mash)
        return
    cfg = alembic_config(mash)
    with mash.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, target)


def _fts_sql(app) -> str:
    with app.extensions["mash"].engine.connect() as conn:
        return conn.execute(text("SELECT sql FROM sqlite_master WHERE name = :n"), {"n": FTS}).scalar()


def _check_integrity(app) -> None:
    """FTS5 compares its index with the content table (raises when they differ)."""
    with app.extensions["mash"].engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {FTS}({FTS}, rank) VALUES ('integrity-check', 1)"))


def _results(app, queries=QUERIES) -> dict:
    from mash_buergerportal import search
    with in_context(app), app.test_request_context():
        return {q: [h.to_dict() for h in search.search(q, limit=8)] for q in queries}


def _add_service(app, slug: str, name: str, teaser: str = "") -> None:
    from mash_buergerportal.catalogue_models import PUBLISHED, Service
    with in_context(app):
        db_session().add(Service(slug=slug, name=name, status=PUBLISHED, teaser=teaser))
        db_session().commit()


def _delete_service(app, slug: str) -> None:
    from mash_buergerportal.catalogue_models import Service
    with in_context(app):
        session = db_session()
        session.delete(session.exec(select(Service).where(Service.slug == slug)).one())
        session.commit()


def _slugs(app, q: str) -> list[str]:
    return [hit["slug"] for hit in _results(app, [q])[q]]


def _load(app) -> None:
    load_demo(app)
    _add_service(app, "meldebescheinigung", "Meldebescheinigung ausstellen lassen",
                 "Die Staatsangehörigkeitsurkunde und die Voraussetzungen der Einbürgerung")


def test_fresh_database_gets_the_long_prefix_index(mash_app):
    migration = _migration()
    assert migration.PREFIX == "2 3 4 5 6 7 8 9 10" and migration.PREVIOUS_PREFIX == "2 3 4"
    if not _sqlite(mash_app):  # PostgreSQL: the tsvector column, no FTS5 table
        from sqlalchemy import inspect
        inspector = inspect(mash_app.extensions["mash"].engine)
        assert FTS not in inspector.get_table_names()
        assert "tsv" in {c["name"] for c in inspector.get_columns("buergerportal_search_doc")}
        return
    assert _fts_sql(mash_app) == migration.fts_definition(migration.PREFIX)


def test_downgrade_and_upgrade_keep_every_document_findable(mash_app):
    migration = _migration()
    _load(mash_app)
    before = _results(mash_app)
    assert before["Anträge"] and before["elterng"][0]["slug"] == "elterngeld-beantragen"
    assert before["Meldebescheinigung"][0]["slug"] == "meldebescheinigung"
    assert before["Staatsangehörigkeitsurk"][0]["slug"] == "meldebescheinigung"
    assert before["Zauberstab"] == [] and before["m1"] == []

    _migrate(mash_app, "buergerportal0008")
    if _sqlite(mash_app):
        assert _fts_sql(mash_app) == migration.fts_definition(migration.PREVIOUS_PREFIX)
        _check_integrity(mash_app)
    assert _results(mash_app) == before

    # documents indexed under the old definition, then the upgrade
    _add_service(mash_app, "zweitwohnung", "Zweitwohnungsteuer Befreiung", "Nebenwohnung abmelden")
    _delete_service(mash_app, "meldebescheinigung")
    assert _slugs(mash_app, "Zweitwohnungst") == ["zweitwohnung"]
    old = _results(mash_app, QUERIES + ["Zweitwohnungst", "Nebenwohn"])
    assert "meldebescheinigung" not in [hit["slug"] for hit in old["Meldebescheinigung"]]

    _migrate(mash_app, "heads")
    if _sqlite(mash_app):
        assert _fts_sql(mash_app) == migration.fts_definition(migration.PREFIX)
        _check_integrity(mash_app)
    assert _results(mash_app, QUERIES + ["Zweitwohnungst", "Nebenwohn"]) == old

    # the sync triggers work on the new table
    _add_service(mash_app, "meldebescheinigung", "Meldebescheinigung ausstellen lassen",
                 "Die Staatsangehörigkeitsurkunde und die Voraussetzungen der Einbürgerung")
    _delete_service(mash_app, "zweitwohnung")
    assert _slugs(mash_app, "Zweitwohnungst") == []
    after = _results(mash_app)
    assert [[h["slug"] for h in hits] for hits in after.values()] == \
        [[h["slug"] for h in hits] for hits in before.values()]
    if _sqlite(mash_app):
        _check_integrity(mash_app)


def _tokens(value: str) -> list[str]:
    return re.findall(r"[^\W_]+", value.lower())


@pytest.mark.parametrize("revision", ["heads", "buergerportal0008"])
def test_prefix_queries_of_every_length_find_what_a_scan_finds(mash_app, revision):
    """Raw FTS5 prefix queries, with and without the title column filter, for every prefix of
    2 to 14 characters of the indexed words, against the words of the content table: after the
    downgrade (prefix index 2–4) and after the upgrade again (2–10)."""
    if not _sqlite(mash_app):
        pytest.skip("FTS5 (SQLite) only")
    _load(mash_app)
    _migrate(mash_app, "buergerportal0008")  # filled under the old definition,
    _migrate(mash_app, revision)              # then (heads) rebuilt by the upgrade
    with mash_app.extensions["mash"].engine.connect() as conn:
        docs = conn.execute(text("SELECT id, title_idx, body_idx, scope FROM buergerportal_search_doc")).all()
        words = sorted({w for _, title, body, _ in docs for w in _tokens(f"{title} {body}")})
        prefixes = sorted({w[:n] for w in words for n in range(2, min(len(w), 14) + 1)})
        assert len(prefixes) > 500 and any(len(p) == 14 for p in prefixes)
        for prefix in prefixes:
            quoted = f'"{prefix}"*'
            found = [row[0] for row in conn.execute(
                text(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH :q ORDER BY rowid"), {"q": quoted})]
            assert found == sorted(i for i, title, body, scope in docs
                                   if any(w.startswith(prefix) for w in _tokens(f"{title} {body} {scope}"))), prefix
            in_title = [row[0] for row in conn.execute(
                text(f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH :q ORDER BY rowid"),
                {"q": f"{{title_idx}} : {quoted}"})]
            assert in_title == sorted(i for i, title, _, _ in docs
                                      if any(w.startswith(prefix) for w in _tokens(title))), prefix
