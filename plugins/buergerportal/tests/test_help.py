"""Help directory: 112 always first, verified entries only, tel: links, the topic finder and the
anonymous usage figures for editors."""

import pytest
from catalogue_support import in_context, load_demo, post

from mash_core.api import db_session


@pytest.mark.mash_plugins("buergerportal")
def test_directory_puts_112_first_whatever_the_positions(mash_app, client_as):
    from mash_buergerportal.catalogue_models import HelpEntry
    load_demo(mash_app)
    with in_context(mash_app):
        db_session().add(HelpEntry(slug="zuerst", name="Aaa Beratung", category="beratung", number="0800 1",
                                   position=-5, status="verified"))
        db_session().commit()
    data = client_as(None).get("/api/v1/buergerportal/help").get_json()
    assert data[0]["number"] == "112" and data[0]["tel_uri"] == "tel:112"
    assert data[0]["free_of_charge"] is True and data[0]["source"] == "https://gesund.bund.de/notfallnummern"
    seelsorge = next(e for e in data if e["slug"] == "telefonseelsorge")
    assert seelsorge["tel_uri"] == "tel:08001110111" and seelsorge["alt_tel_uri"] == "tel:08001110222"
    assert set(data[0]) >= {"number", "tel_uri", "hours", "free_of_charge", "languages", "source", "last_verified"}
    html = client_as(None).get("/buergerportal/hilfe").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert main.index("Lebensgefahr: 112") < main.index("Wer hilft bei") < main.index("Polizei")
    assert 'href="tel:112"' in main and 'href="tel:076119240"' in main
    assert main.index("Notrufe") < main.index("Beratung und Seelsorge") < main.index("Familie und Kinder")
    assert "Quelle" in main and "Prüfdatum" in main


@pytest.mark.mash_plugins("buergerportal")
def test_topic_finder_maps_plain_words_and_answers_112_first(mash_app, client_as):
    load_demo(mash_app)
    c = client_as(None)

    def finder(q):
        return [e["slug"] for e in c.get("/api/v1/buergerportal/help/finder", query_string={"q": q}).get_json()["entries"]]

    assert finder("Mein Kind hat Putzmittel verschluckt") == ["notruf-112", "giftnotruf-freiburg",
                                                              "kinder-jugendtelefon"]
    assert finder("Vergiftung")[:2] == ["notruf-112", "giftnotruf-freiburg"]
    assert finder("häusliche Gewalt") == ["notruf-112", "polizei-110", "hilfetelefon-gewalt-frauen"]
    assert finder("einsam")[:2] == ["notruf-112", "telefonseelsorge"]
    assert finder("Kindergeld") == ["notruf-112", "familienkasse"]
    assert finder("Quantenphysik") == ["notruf-112"]
    html = c.get("/buergerportal/hilfe?thema=schwanger").get_data(as_text=True)
    found = html[html.index('id="bp-found"'):]
    assert found.index("Lebensgefahr") < found.index("Schwangere in Not")


@pytest.mark.mash_plugins("buergerportal")
def test_unverified_entries_stay_out_of_public_view(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    data = {"name": "Hilfetelefon Sexueller Missbrauch", "slug": "hilfetelefon-missbrauch", "category": "beratung",
            "number": "0800 22 55 530", "status": "verified"}
    response = post(editor, "/buergerportal/redaktion/hilfe/neu", data, token_from="/buergerportal/redaktion/hilfe/neu")
    assert response.status_code == 422  # "verified" needs a source and a date
    response = post(editor, "/buergerportal/redaktion/hilfe/neu", {**data, "status": "needs_checking"},
                    token_from="/buergerportal/redaktion/hilfe/neu")
    assert response.status_code == 302
    assert "0800 22 55 530" not in client_as(None).get("/buergerportal/hilfe").get_data(as_text=True)
    assert "Hilfetelefon Sexueller Missbrauch" in editor.get("/buergerportal/redaktion/").get_data(as_text=True)
    bad = post(editor, "/buergerportal/redaktion/hilfe/neu", {**data, "slug": "x-y", "number": "call me"},
               token_from="/buergerportal/redaktion/hilfe/neu")
    assert bad.status_code == 422


@pytest.mark.mash_plugins("buergerportal")
def test_insight_counts_views_and_assistant_without_personal_data(mash_app, client_as):
    from mash_buergerportal.catalogue_models import UsageCount
    from mash_core.api import select
    load_demo(mash_app)
    c = client_as("citizen")
    for _ in range(3):
        c.get("/buergerportal/leistungen/elterngeld-beantragen")
    c.get("/buergerportal/leistungen/kindergeld-beantragen")
    assert c.get("/buergerportal/geburt/plan?birth_date=2026-03-10").status_code == 200
    insight = client_as("staff").get("/buergerportal/redaktion/").get_data(as_text=True)
    assert insight.index("elterngeld-beantragen: 3") < insight.index("kindergeld-beantragen: 1")
    assert "geburt: 1" in insight
    with in_context(mash_app):
        rows = db_session().exec(select(UsageCount)).all()
    assert set(UsageCount.model_fields) == {"id", "municipality_id", "kind", "key", "day", "count"}
    assert {r.kind for r in rows} == {"service_view", "assistant_done"}
