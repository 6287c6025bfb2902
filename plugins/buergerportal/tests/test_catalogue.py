"""Service catalogue: models, editor workflow (drafts, publication, permissions, CSRF, audit),
the rich-text sanitiser and JSON import/export."""

import json
import re

import pytest
from catalogue_support import api_headers, in_context, load_demo, post

from mash_core.api import db_session, select

SERVICE = {"name": "Hundesteuer anmelden", "slug": "hundesteuer-anmelden", "teaser": "Für jeden Hund.",
           "description": "Bitte **rechtzeitig** anmelden.\n\n- Nachweis\n- Chipnummer",
           "prerequisites": "Hund lebt im Haushalt\n", "documents": "Chipnummer", "legal": "Hundesteuersatzung | https://example.org/satzung",
           "forms": "Anmeldeformular", "synonyms": "Hund\nBello-Steuer", "costs": "keine", "last_verified": "2026-01-15"}


def _service(app, slug):
    from mash_buergerportal.catalogue_models import Service
    with in_context(app):
        return db_session().exec(select(Service).where(Service.slug == slug)).first()


def _audit_actions(app):
    from mash_core.models import AuditEntry
    with in_context(app):
        return [a.action for a in db_session().exec(select(AuditEntry)).all()]


@pytest.mark.mash_plugins("buergerportal")
def test_demo_catalogue_is_idempotent_and_only_verified(mash_app):
    from mash_buergerportal.catalogue_models import HelpEntry, LifeSituation, Service
    load_demo(mash_app)
    load_demo(mash_app)
    with in_context(mash_app):
        session = db_session()
        services = session.exec(select(Service)).all()
        assert len({s.slug for s in services}) == len(services) >= 7
        elterngeld = next(s for s in services if s.slug == "elterngeld-beantragen")
        assert elterngeld.leika_key is None  # never guessed (brief §10.1)
        assert "175.000 €" in " ".join(elterngeld.prerequisites)
        assert next(s for s in services if s.slug == "wohnsitz-anmelden").leika_key == "99115005000000"
        numbers = {e.number for e in session.exec(select(HelpEntry)).all()}
        assert {"112", "110", "116 117", "0761 19240", "116 016", "0800 40 40 020"} <= numbers
        assert not numbers & {"115", "116 116", "116 123", "0800 22 55 530", "06221 58-37131"}  # needs checking
        tree = {s.slug: s for s in session.exec(select(LifeSituation)).all()}
        assert tree["geburt-eines-kindes"].parent_id == tree["familie-kind"].id


@pytest.mark.mash_plugins("buergerportal")
def test_editor_creates_draft_then_publishes(mash_app, client_as):
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    response = post(editor, "/buergerportal/redaktion/leistungen/neu", {**SERVICE, "action": "draft"},
                    token_from="/buergerportal/redaktion/leistungen/neu")
    assert response.status_code == 302
    service = _service(mash_app, "hundesteuer-anmelden")
    assert service.status == "draft" and service.synonyms == ["Hund", "Bello-Steuer"]
    assert service.legal == [{"name": "Hundesteuersatzung", "link": "https://example.org/satzung"}]
    # a draft is invisible to the public and to the search
    assert citizen.get("/buergerportal/leistungen/hundesteuer-anmelden").status_code == 404
    assert citizen.get("/api/v1/buergerportal/search?q=hundesteuer").get_json()["results"] == []
    preview = editor.get(f"/buergerportal/redaktion/leistungen/{service.id}/vorschau").get_data(as_text=True)
    assert "<strong>rechtzeitig</strong>" in preview and "<li>Chipnummer</li>" in preview

    path = f"/buergerportal/redaktion/leistungen/{service.id}"
    assert post(editor, path, {**SERVICE, "action": "publish"}, token_from=path).status_code == 302
    page = citizen.get("/buergerportal/leistungen/hundesteuer-anmelden")
    assert page.status_code == 200 and "Zuletzt geprüft am 15.01.2026" in page.get_data(as_text=True)
    hits = citizen.get("/api/v1/buergerportal/search?q=bello").get_json()["results"]
    assert [h["slug"] for h in hits] == ["hundesteuer-anmelden"]  # synonym found after publication

    # withdrawing takes it offline ("draft" on a published service keeps it online: test_editors.py)
    assert post(editor, path, {**SERVICE, "action": "unpublish"}, token_from=path).status_code == 302
    assert citizen.get("/buergerportal/leistungen/hundesteuer-anmelden").status_code == 404
    assert citizen.get("/api/v1/buergerportal/search?q=bello").get_json()["results"] == []
    actions = _audit_actions(mash_app)
    for action in ("buergerportal.service.create", "buergerportal.service.publish",
                   "buergerportal.service.unpublish"):
        assert action in actions


@pytest.mark.mash_plugins("buergerportal")
def test_editor_validation_errors_are_shown(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    bad = {**SERVICE, "slug": "Kindergeld Beantragen!", "leika_key": "123", "online_service_url": "javascript:alert(1)",
           "name": "", "action": "publish"}
    response = post(editor, "/buergerportal/redaktion/leistungen/neu", bad, token_from="/buergerportal/redaktion/leistungen/neu")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'class="error-summary"' in html and 'aria-invalid="true"' in html
    for field in ("slug", "leika_key", "online_service_url", "name"):
        assert f'href="#{field}"' in html
    taken = {**SERVICE, "slug": "kindergeld-beantragen", "action": "draft"}
    response = post(editor, "/buergerportal/redaktion/leistungen/neu", taken, token_from="/buergerportal/redaktion/leistungen/neu")
    assert response.status_code == 422 and "schon vergeben" in response.get_data(as_text=True)


@pytest.mark.mash_plugins("buergerportal")
def test_editor_area_needs_permission_and_csrf(mash_app, client_as):
    load_demo(mash_app)
    service = _service(mash_app, "kindergeld-beantragen")
    anonymous, citizen, editor = client_as(None), client_as("citizen"), client_as("staff")
    assert anonymous.get("/buergerportal/redaktion/").status_code == 302  # to the login
    for path in ("/buergerportal/redaktion/", "/buergerportal/redaktion/leistungen/neu",
                 f"/buergerportal/redaktion/leistungen/{service.id}", "/buergerportal/redaktion/export.json"):
        assert citizen.get(path).status_code == 403, path
    # a citizen with a valid CSRF token still may not change anything
    token_page = "/konto/"
    from catalogue_support import token
    response = citizen.post(f"/buergerportal/redaktion/leistungen/{service.id}/loeschen",
                            data={"csrf_token": token(citizen, token_page)})
    assert response.status_code == 403
    # without a CSRF token nothing happens, even for an editor
    assert editor.post(f"/buergerportal/redaktion/leistungen/{service.id}/loeschen").status_code == 400
    assert editor.post("/buergerportal/redaktion/leistungen/neu", data={**SERVICE, "action": "publish"}).status_code == 400
    assert _service(mash_app, "kindergeld-beantragen") is not None
    assert _service(mash_app, "hundesteuer-anmelden") is None
    # with the token the editor may delete; the search forgets the service
    assert post(editor, f"/buergerportal/redaktion/leistungen/{service.id}/loeschen", {}).status_code == 302
    assert _service(mash_app, "kindergeld-beantragen") is None
    hits = anonymous.get("/api/v1/buergerportal/search?q=kindergeld").get_json()["results"]
    assert "kindergeld-beantragen" not in [h["slug"] for h in hits]
    assert "buergerportal.service.delete" in _audit_actions(mash_app)


@pytest.mark.mash_plugins("buergerportal")
def test_life_situation_editor_links_services_and_refuses_cycles(mash_app, client_as):
    from mash_buergerportal.catalogue_models import LifeSituation
    load_demo(mash_app)
    editor = client_as("staff")
    kindergeld = _service(mash_app, "kindergeld-beantragen")
    with in_context(mash_app):
        ids = {s.slug: s.id for s in db_session().exec(select(LifeSituation)).all()}
    data = {"title": "Alleinerziehend", "slug": "alleinerziehend", "summary": "Hilfe für *Alleinerziehende*.",
            "parent_id": str(ids["familie-kind"]), "position": "5", "services": [str(kindergeld.id)], "action": "publish"}
    assert post(editor, "/buergerportal/redaktion/lebenslagen/neu", data,
                token_from="/buergerportal/redaktion/lebenslagen/neu").status_code == 302
    page = client_as(None).get("/buergerportal/lebenslagen/alleinerziehend").get_data(as_text=True)
    assert "<em>Alleinerziehende</em>" in page and "/buergerportal/leistungen/kindergeld-beantragen" in page
    # the parent may not be one of its own descendants
    path = f"/buergerportal/redaktion/lebenslagen/{ids['familie-kind']}"
    cyc = {"title": "Familie & Kind", "slug": "familie-kind", "parent_id": str(ids["geburt-eines-kindes"]),
           "action": "publish"}
    response = post(editor, path, cyc, token_from=path)
    assert response.status_code == 422 and "unter sich selbst" in response.get_data(as_text=True)


XSS = [
    "<script>alert(1)</script>Text",
    "[klick](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)" onclick="x()">a</a>',
    "<iframe src=//evil.example></iframe>",
    "<svg onload=alert(1)>",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "<style>body{display:none}</style>",
]


@pytest.mark.parametrize("payload", XSS)
def test_rich_text_strips_xss(payload):
    from mash_buergerportal.richtext import render, sanitize_html
    for html in (str(render(payload)), sanitize_html(payload)):
        lowered = html.lower()
        assert "<script" not in lowered and "<img" not in lowered and "<iframe" not in lowered
        assert "<svg" not in lowered and "<style" not in lowered
        assert not re.search(r"<[^>]*\son\w+\s*=", lowered), html  # (escaped text is harmless)
        assert not re.search(r"<a\s[^>]*href\s*=\s*\"?\s*(javascript|data):", lowered), html


def test_rich_text_keeps_the_allowed_subset():
    from mash_buergerportal.richtext import plain, render
    html = str(render("# Titel\n\n**fett** *kursiv* [Link](https://heidelberg.de) [Tel](tel:112)\n\n- a\n- b"))
    assert "<h3>Titel</h3>" in html and "<strong>fett</strong>" in html and "<em>kursiv</em>" in html
    assert '<a href="https://heidelberg.de" rel="noopener noreferrer">Link</a>' in html
    assert 'href="tel:112"' in html and "<ul>" in html
    assert plain("**fett** & <b>") == "fett & <b>"


@pytest.mark.mash_plugins("buergerportal")
def test_xss_in_a_published_description_is_never_rendered(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    data = {**SERVICE, "description": "<script>alert(1)</script> [x](javascript:alert(1)) <b onmouseover=x>b</b>",
            "teaser": "<script>alert(2)</script>", "action": "publish"}
    post(editor, "/buergerportal/redaktion/leistungen/neu", data, token_from="/buergerportal/redaktion/leistungen/neu")
    html = client_as(None).get("/buergerportal/leistungen/hundesteuer-anmelden").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert "<script>alert" not in main and 'href="javascript' not in main and "<b onmouseover" not in main
    assert "&lt;script&gt;alert(2)" in main


def _document(**changes):
    doc = {"format": "mash-buergerportal-catalogue", "version": 1,
           "offices": [{"name": "Bürgeramt Test", "address": "Teststraße 1", "phone": "06221 1"}],
           "services": [{"slug": "test-leistung", "name": "Testleistung", "office": "Bürgeramt Test",
                         "synonyms": ["Probe"], "legal": [{"name": "§ 1 Test", "link": "https://example.org"}],
                         "last_verified": "2026-02-01", "status": "published"}],
           "life_situations": [{"slug": "test-lage", "title": "Testlage", "services": ["test-leistung"],
                                "status": "published"},
                               {"slug": "unterlage", "title": "Unterlage", "parent": "test-lage"}],
           "help_entries": [{"slug": "test-hilfe", "name": "Testhilfe", "category": "beratung", "number": "0800 1",
                             "status": "verified"}],
           "help_topics": [{"slug": "test-thema", "title": "Test", "words": ["testen"], "entries": ["test-hilfe"]}]}
    doc.update(changes)
    return doc


@pytest.mark.mash_plugins("buergerportal")
def test_import_reports_every_rejected_record_with_reason(mash_app, client_as):
    load_demo(mash_app)
    bad_services = [
        {"slug": "ok-leistung", "name": "Gute Leistung"},
        {"slug": "Böser Slug", "name": "x"},
        {"slug": "ohne-name"},
        {"slug": "falscher-schluessel", "name": "x", "leika_key": "12"},
        {"slug": "amt-fehlt", "name": "x", "office": "Bürgeramt Atlantis"},
        {"slug": "ok-leistung", "name": "Doppelt"},
        {"slug": "kaputtes-datum", "name": "x", "last_verified": "2026-02-30"},
        {"slug": "link-js", "name": "x", "online_service_url": "javascript:alert(1)"},
        {"slug": "extra-feld", "name": "x", "gibt_es_nicht": 1},
        "kein Objekt",
    ]
    bad_situations = [{"slug": "a-lage", "title": "A", "parent": "b-lage"}, {"slug": "b-lage", "title": "B", "parent": "a-lage"},
                      {"slug": "c-lage", "title": "C", "services": ["gibt-es-nicht"]},
                      {"slug": "d-lage", "title": "D", "parent": "nirgendwo"}]
    doc = _document(services=bad_services, life_situations=bad_situations, help_entries=[
        {"slug": "h1", "name": "x", "category": "unbekannt"}], help_topics=[
        {"slug": "t1", "title": "T", "words": ["x"], "entries": ["nicht-da"]}])
    response = client_as(None).post("/api/v1/buergerportal/catalogue", json=doc, headers=api_headers(mash_app))
    assert response.status_code == 200
    report = response.get_json()
    rejected = {(r["section"], r["index"]): r["reason"] for r in report["rejected"]}
    for index in range(1, 10):
        assert ("services", index) in rejected, index
    assert ("services", 0) not in rejected
    assert "duplicate" in rejected[("services", 5)] and "Atlantis" in rejected[("services", 4)]
    assert "leika_key" in rejected[("services", 3)] and "last_verified" in rejected[("services", 6)]
    assert "cycle" in rejected[("life_situations", 0)] or "cycle" in rejected[("life_situations", 1)]
    assert "gibt-es-nicht" in rejected[("life_situations", 2)]
    assert "nirgendwo" in rejected[("life_situations", 3)]
    assert ("help_entries", 0) in rejected and "nicht-da" in rejected[("help_topics", 0)]
    assert report["created"]["services"] == 1 and report["ok"] is False
    assert _service(mash_app, "ok-leistung").name == "Gute Leistung"


@pytest.mark.mash_plugins("buergerportal")
def test_import_rejects_foreign_documents(mash_app, client_as):
    editor, headers = client_as(None), api_headers(mash_app)
    for doc in ({"format": "other", "version": 1}, [], {"format": "mash-buergerportal-catalogue", "version": 2}):
        report = editor.post("/api/v1/buergerportal/catalogue", json=doc, headers=headers).get_json()
        assert report["ok"] is False and report["rejected"][0]["section"] == "document"
    citizen = api_headers(mash_app, role="citizen")
    assert client_as(None).post("/api/v1/buergerportal/catalogue", json=_document(), headers=citizen).status_code == 403
    assert client_as(None).post("/api/v1/buergerportal/catalogue", json=_document()).status_code == 401


@pytest.mark.mash_plugins("buergerportal")
def test_export_round_trips_into_another_municipality(mash_app_factory, client_as):
    app = mash_app_factory(plugins=("buergerportal",), municipalities=("heidelberg", "mannheim"))
    load_demo(app)
    staff, headers = client_as(None, app=app), api_headers(app)
    assert staff.post("/api/v1/buergerportal/catalogue", json=_document(), headers=headers).get_json()["ok"] is True
    exported = staff.get("/api/v1/buergerportal/catalogue", headers=headers).get_json()
    from jsonschema import Draft202012Validator
    schema = client_as(None, app=app).get("/api/v1/buergerportal/catalogue/schema.json").get_json()
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(exported)) == []

    from mash_buergerportal import catalogue
    with in_context(app, 2):
        report = catalogue.import_catalogue(json.loads(json.dumps(exported)))
        db_session().commit()
        assert report.rejected == []
        again = catalogue.export()
    assert again == exported
    # importing the same document again only updates
    with in_context(app, 2):
        report = catalogue.import_catalogue(exported)
        db_session().commit()
    assert report.created == {} and report.updated["services"] == len(exported["services"])


@pytest.mark.mash_plugins("buergerportal")
def test_editor_import_page_and_export_download(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    export = editor.get("/buergerportal/redaktion/export.json")
    assert export.status_code == 200 and "attachment" in export.headers["Content-Disposition"]
    doc = _document(services=[{"slug": "x", "name": ""}])
    page = post(editor, "/buergerportal/redaktion/import", {"json": json.dumps(doc)},
                token_from="/buergerportal/redaktion/import").get_data(as_text=True)
    assert "Abgelehnte Einträge" in page and "services" in page
    broken = post(editor, "/buergerportal/redaktion/import", {"json": "{kein json"}, token_from="/buergerportal/redaktion/import")
    assert broken.status_code == 422
    assert "buergerportal.catalogue.import" in _audit_actions(mash_app)
