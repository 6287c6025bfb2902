"""Search: German word forms, synonyms, ranking, highlighted and escaped snippets, municipality
isolation, index sync, the as-you-type API and the search page (without JavaScript)."""

import pytest
from catalogue_support import in_context, load_demo

from mash_core.api import db_session, select


def _slugs(client, q, kind=None):
    results = client.get("/api/v1/buergerportal/search", query_string={"q": q}).get_json()["results"]
    return [r["slug"] for r in results if kind is None or r["kind"] == kind]


def test_stemmer_meets_word_forms():
    from mash_buergerportal.textsearch import index_text, stem
    assert stem("Anträge") == stem("Antrag") == stem("antrage")
    assert stem("Kindergeldes") == stem("Kindergeld")
    assert stem("Kitas") == stem("Kita")
    assert stem("Ausweise") == stem("Ausweis")
    assert index_text("Straße, Ämter!") == f"{stem('Straße')} {stem('Ämter')}"


def _reference_highlight(text, match, window):
    """The snippet as specified, computed the plain way: all words, then the window."""
    import re

    from markupsafe import escape
    tokens = list(re.finditer(r"\w+", text))
    start, end = 0, len(text)
    if window and len(tokens) > window:
        first = next((i for i, t in enumerate(tokens) if match(t.group())), 0)
        hi = min(len(tokens), max(0, first - window // 3) + window)
        lo = max(0, hi - window)
        start = tokens[lo].start() if lo > 0 else 0
        end = tokens[hi - 1].end() if hi < len(tokens) else len(text)
        tokens = tokens[lo:hi]
    out, pos = "", start
    for t in tokens:
        if match(t.group()):
            out += str(escape(text[pos:t.start()])) + f"<mark>{t.group()}</mark>"
            pos = t.end()
    out += str(escape(text[pos:end]))
    return ("… " if start > 0 else "") + out + (" …" if end < len(text) else "")


def test_snippet_is_the_window_around_the_first_match():
    from mash_buergerportal.search import SNIPPET_WORDS
    from mash_buergerportal.textsearch import highlight, matcher, query_terms
    filler = " ".join(f"Wort{i}" for i in range(300))
    text = f"{filler} <b>Anträge</b> & {filler} Antrag"
    assert SNIPPET_WORDS == 24  # a third of the window before the first match ("b" is a word)
    assert str(highlight(text, matcher(query_terms("Antrag")), window=SNIPPET_WORDS)) == (
        "… " + " ".join(f"Wort{i}" for i in range(293, 300)) + " &lt;b&gt;<mark>Anträge</mark>&lt;/b&gt; &amp; "
        + " ".join(f"Wort{i}" for i in range(14)) + " …")
    # at the end of the text the window ends there (no "…"); without a match it starts at the start
    assert str(highlight(f"{filler} Antrag", matcher(query_terms("antr")), window=10)) \
        == "… Wort291 Wort292 Wort293 Wort294 Wort295 Wort296 Wort297 Wort298 Wort299 <mark>Antrag</mark>"
    assert str(highlight(filler, matcher(query_terms("Kita")), window=3)) == "Wort0 Wort1 Wort2 …"
    assert str(highlight("", matcher(query_terms("Kita")), window=3)) == ""


def test_highlight_matches_the_plain_computation_of_the_snippet():
    """Random texts (also longer than the chunks the snippet is tokenised in), any predicate."""
    import random

    from mash_buergerportal import textsearch
    rng = random.Random(5)
    vocab = ["Antrag", "Anträge", "Kita", "Kitas", "Straße", "<b>", "&", "'", '"', "Ämter", "é", "x_y", "12",
             "Elterngeld", "·", "Ausweis", "Personalausweis"]
    for i in range(400):
        text = "".join(rng.choice(vocab) + rng.choice([" ", ", ", "", "\n", "<"]) for _ in range(rng.randint(0, 400)))
        terms = textsearch.query_terms(" ".join(rng.sample(vocab, rng.randint(1, 3)))) or [("kita", "kita")]
        window = rng.choice([0, 1, 2, 5, 24, 24, 80])
        match = textsearch.matcher(terms)
        assert str(textsearch.highlight(text, match, window)) == _reference_highlight(text, match, window)
        predicate = {"Kita", "Ämter"}.__contains__  # any predicate on words, not only a matcher
        assert str(textsearch.highlight(text, predicate, window)) == _reference_highlight(text, predicate, window)


@pytest.mark.mash_plugins("buergerportal")
def test_word_forms_synonyms_and_prefixes(mash_app, client_as):
    load_demo(mash_app)
    c = client_as(None)
    assert _slugs(c, "Kindergeldes", "service")[0] == "kindergeld-beantragen"       # word form
    assert _slugs(c, "Ummeldung", "service") == ["wohnsitz-anmelden"]               # synonym
    assert _slugs(c, "Perso", "service")[0] == "personalausweis-beantragen"         # synonym prefix
    assert _slugs(c, "elterng", "service")[0] == "elterngeld-beantragen"            # as you type
    # typed past the stem ("Anmeldung" is indexed as "anmeld"): every keystroke still finds it
    for typed in ("Anmel", "Anmeld", "Anmeldu", "Anmeldun", "Anmeldung"):
        assert "wohnsitz-anmelden" in _slugs(c, typed, "service"), typed
    assert _slugs(c, "Krippe", "service") == ["kita-vormerken-heidelberg"]
    assert "kita-vormerken-heidelberg" in _slugs(c, "Kitas")
    assert "kinderbetreuung" in _slugs(c, "Kinderbetreuung", "life_situation")
    # two words: both must match (Elterngeld AND Einkommen), else any
    assert _slugs(c, "Elterngeld Einkommen", "service")[0] == "elterngeld-beantragen"
    assert _slugs(c, "Elterngeld Zauberstab")  # falls back to any word
    assert _slugs(c, "Zauberstab") == []
    assert _slugs(c, "") == [] and _slugs(c, "a") == []


@pytest.mark.mash_plugins("buergerportal")
def test_ranking_puts_the_service_named_after_the_query_first(mash_app, client_as):
    load_demo(mash_app)
    results = client_as(None).get("/api/v1/buergerportal/search?q=Elterngeld").get_json()["results"]
    assert results[0]["slug"] == "elterngeld-beantragen" and results[0]["kind"] == "service"
    kinds = {r["kind"] for r in results}
    assert {"service", "life_situation", "help"} <= kinds
    assert [r["score"] for r in results] == sorted((r["score"] for r in results),
                                                   reverse=mash_app.extensions["mash"].engine.dialect.name == "postgresql")
    offices = client_as(None).get("/api/v1/buergerportal/search?q=Bergheimer").get_json()["results"]
    assert offices and offices[0]["kind"] == "office"


@pytest.mark.mash_plugins("buergerportal")
def test_snippets_highlight_matches_and_escape_everything_else(mash_app, client_as):
    from mash_buergerportal.catalogue_models import PUBLISHED, Service
    load_demo(mash_app)
    with in_context(mash_app):
        db_session().add(Service(slug="xss", name="Antrag <b>fett</b>", status=PUBLISHED,
                                 teaser="<script>alert(1)</script> Anträge & Formulare"))
        db_session().commit()
    results = client_as(None).get("/api/v1/buergerportal/search?q=antrag").get_json()["results"]
    hit = next(r for r in results if r["slug"] == "xss")
    assert hit["title"] == "<mark>Antrag</mark> &lt;b&gt;fett&lt;/b&gt;"
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Anträge</mark> &amp; Formulare" in hit["snippet"]
    assert "<script" not in hit["snippet"]


@pytest.mark.mash_plugins("buergerportal")
def test_index_follows_create_update_delete(mash_app, client_as):
    from mash_buergerportal.catalogue_models import PUBLISHED, HelpEntry, Service
    from mash_buergerportal.models import Office
    c = client_as(None)
    with in_context(mash_app):
        session = db_session()
        session.add(Service(slug="sperrmuell", name="Sperrmüll anmelden", status=PUBLISHED, synonyms=["Möbel"]))
        session.add(Office(name="Bürgeramt Emmertsgrund", address="Forum 1"))
        session.add(HelpEntry(slug="ungeprueft", name="Geheimtelefon", number="0800 9", status="needs_checking"))
        session.commit()
    assert _slugs(c, "Möbel") == ["sperrmuell"]
    assert [r["kind"] for r in c.get("/api/v1/buergerportal/search?q=Emmertsgrund").get_json()["results"]] == ["office"]
    assert _slugs(c, "Geheimtelefon") == []  # unverified entries are not public
    with in_context(mash_app):
        session = db_session()
        service = session.exec(select(Service).where(Service.slug == "sperrmuell")).one()
        service.name, service.synonyms = "Sperrmüll abholen lassen", ["Sofa"]
        session.add(service)
        session.commit()
    assert _slugs(c, "Möbel") == [] and _slugs(c, "Sofa") == ["sperrmuell"]
    with in_context(mash_app):
        session = db_session()
        session.delete(session.exec(select(Service).where(Service.slug == "sperrmuell")).one())
        session.commit()
    assert _slugs(c, "Sofa") == []


@pytest.mark.mash_plugins("buergerportal")
def test_reindex_rebuilds_the_documents(mash_app, client_as):
    from mash_buergerportal.search_index import reindex_all
    from mash_buergerportal.search_sql import delete_documents
    load_demo(mash_app)
    with in_context(mash_app):
        delete_documents(db_session())
        db_session().commit()
    assert _slugs(client_as(None), "Kindergeld") == []
    with in_context(mash_app):
        assert reindex_all(db_session()) > 20
        db_session().commit()
    assert "kindergeld-beantragen" in _slugs(client_as(None), "Kindergeld")


def test_search_never_crosses_municipalities(mash_app_factory, client_as):
    app = mash_app_factory(plugins=("buergerportal",), municipalities=("heidelberg", "mannheim"))
    load_demo(app, 1)
    from mash_buergerportal.catalogue_models import PUBLISHED, Service
    with in_context(app, 2):
        db_session().add(Service(slug="mannheim-only", name="Quadratestadt Parkausweis", status=PUBLISHED))
        db_session().commit()
    heidelberg = client_as(None, app=app)
    assert _slugs(heidelberg, "Quadratestadt") == []
    # the municipality tokens of the index ("m1", "m2") are no words of any document
    assert _slugs(heidelberg, "M1") == _slugs(heidelberg, "m2") == []
    assert "kindergeld-beantragen" in _slugs(heidelberg, "Kindergeld")
    from mash_core.testing import host_client
    mannheim = host_client(app, "mannheim.test")
    assert _slugs(mannheim, "Quadratestadt") == ["mannheim-only"]
    assert _slugs(mannheim, "Kindergeld") == []
    from mash_buergerportal import search
    with in_context(app, 2), app.test_request_context():
        assert [h.slug for h in search.search("Parkausweis")] == ["mannheim-only"]


def test_anywhere_tier_ranks_the_first_matches_of_the_own_municipality(mash_app_factory, client_as, monkeypatch):
    """Body-only matches are ranked among the first CANDIDATES matches (SQLite): those of the
    current municipality, however many matches other municipalities have before them."""
    from mash_buergerportal import search_sql
    from mash_buergerportal.catalogue_models import PUBLISHED, Service
    monkeypatch.setattr(search_sql, "CANDIDATES", 3)
    app = mash_app_factory(plugins=("buergerportal",), municipalities=("heidelberg", "mannheim"))
    with in_context(app, 2):
        for i in range(6):
            db_session().add(Service(slug=f"mannheim-{i}", name=f"Leistung {i}", status=PUBLISHED,
                                     teaser="Bitte die Quittung mitbringen"))
        db_session().commit()
    with in_context(app, 1):
        for i in range(4):
            db_session().add(Service(slug=f"heidelberg-{i}", name=f"Leistung {i}", status=PUBLISHED,
                                     teaser="Quittung " * (i + 1)))
        db_session().commit()
    found = _slugs(client_as(None, app=app), "Quittungen")
    if app.extensions["mash"].engine.dialect.name == "sqlite":
        assert sorted(found) == ["heidelberg-0", "heidelberg-1", "heidelberg-2"]  # the first three, ranked
        assert found[0] == "heidelberg-2"  # the most occurrences
    else:
        assert sorted(found) == ["heidelberg-0", "heidelberg-1", "heidelberg-2", "heidelberg-3"]


@pytest.mark.mash_plugins("buergerportal")
def test_search_page_works_without_javascript_and_counts_empty_searches(mash_app, client_as):
    load_demo(mash_app)
    c = client_as(None)
    html = c.get("/buergerportal/suche?q=Anträge").get_data(as_text=True)
    assert 'action="/buergerportal/suche"' in html and 'method="get"' in html
    assert "<mark>" in html and "/buergerportal/leistungen/" in html
    assert "search.js" in html and "<script>" not in html
    c.get("/buergerportal/suche?q=Hundeführerschein")
    c.get("/buergerportal/suche?q=Hundeführerschein")
    c.get("/buergerportal/suche?q=Max Mustermann 0176 1234567")  # personal details are not recorded
    c.get("/api/v1/buergerportal/search?q=Hundef")            # as-you-type partials are not counted
    insight = client_as("staff").get("/buergerportal/redaktion/").get_data(as_text=True)
    assert "„hundeführerschein“: 2" in insight
    assert "mustermann" not in insight.lower() and "hundef“" not in insight
