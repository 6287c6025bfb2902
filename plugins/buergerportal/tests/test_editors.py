"""Editors' area: draft revisions of published services, and the editors of the Bürgerämter, the
life-situation tree, the help directory (112 protected) and the topic finder — permissions, CSRF,
validation, confirmation before deleting, and the search index following every change."""

import json

import pytest
from catalogue_support import in_context, load_demo, post, token

from mash_core.api import db_session, select

BP = "/buergerportal"
pytestmark = pytest.mark.mash_plugins("buergerportal")


# -- helpers --------------------------------------------------------------------------------------
def _get(app, model, **where):
    with in_context(app):
        query = select(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return db_session().exec(query).first()


def _all(app, model):
    with in_context(app):
        return db_session().exec(select(model)).all()


def _service(app, slug):
    from mash_buergerportal.catalogue_models import Service
    return _get(app, Service, slug=slug)


def _drafts(app):
    from mash_buergerportal.catalogue_models import ServiceDraft
    return _all(app, ServiceDraft)


def _audit(app, action):
    from mash_core.models import AuditEntry
    return [a for a in _all(app, AuditEntry) if a.action == action]


def _slugs(client, q):
    return [h["slug"] for h in client.get("/api/v1/buergerportal/search", query_string={"q": q}).get_json()["results"]]


def _titles(client, q):
    results = client.get("/api/v1/buergerportal/search", query_string={"q": q}).get_json()["results"]
    return [h["title"].replace("<mark>", "").replace("</mark>", "") for h in results]


def _service_form(service, **changes) -> dict:
    """The editor's form of ``service`` as it would be submitted unchanged, with ``changes``."""
    form = {"slug": service.slug, "leika_key": service.leika_key or "", "name": service.name,
            "teaser": service.teaser, "description": service.description,
            "prerequisites": "\n".join(service.prerequisites), "documents": "\n".join(service.documents),
            "procedure": service.procedure, "deadlines": service.deadlines,
            "processing_time": service.processing_time, "costs": service.costs,
            "legal": "\n".join(f"{x['name']} | {x['link']}" if x.get("link") else x["name"] for x in service.legal),
            "office_id": str(service.office_id or ""), "responsible": service.responsible,
            "forms": "\n".join(f"{x['name']} | {x['link']}" if x.get("link") else x["name"] for x in service.forms),
            "online_service_url": service.online_service_url, "appointment_url": service.appointment_url,
            "synonyms": "\n".join(service.synonyms), "sources": "\n".join(service.sources),
            "last_verified": service.last_verified.isoformat() if service.last_verified else ""}
    form.update(changes)
    return form


def _save(client, path, data):
    return post(client, path, data, token_from=path)


# -- permissions and CSRF -------------------------------------------------------------------------
def test_editors_need_the_permission_and_a_csrf_token(mash_app, client_as):
    from mash_buergerportal.catalogue_models import HelpEntry, HelpTopic, LifeSituation
    from mash_buergerportal.models import Office
    load_demo(mash_app)
    office = _get(mash_app, Office, name="Bürgeramt Mitte")
    entry = _get(mash_app, HelpEntry, slug="telefonseelsorge")
    topic = _all(mash_app, HelpTopic)[0]
    node = _get(mash_app, LifeSituation, slug="umzug-wohnen")
    service = _service(mash_app, "kindergeld-beantragen")
    pages = [f"{BP}/redaktion/buergeraemter/neu", f"{BP}/redaktion/buergeraemter/{office.id}",
             f"{BP}/redaktion/buergeraemter/{office.id}/loeschen", f"{BP}/redaktion/hilfe/neu",
             f"{BP}/redaktion/hilfe/{entry.id}", f"{BP}/redaktion/hilfe/{entry.id}/loeschen",
             f"{BP}/redaktion/hilfe/themen/neu", f"{BP}/redaktion/hilfe/themen/{topic.id}",
             f"{BP}/redaktion/hilfe/themen/{topic.id}/loeschen", f"{BP}/redaktion/lebenslagen/{node.id}/loeschen",
             f"{BP}/redaktion/leistungen/{service.id}/loeschen",
             f"{BP}/redaktion/leistungen/{service.id}/entwurf/verwerfen"]
    anonymous, citizen, editor = client_as(None), client_as("citizen"), client_as("staff")
    for path in pages:
        assert anonymous.get(path).status_code == 302, path  # to the login
        assert citizen.get(path).status_code == 403, path
        assert editor.get(path).status_code in (200, 302), path
    # a citizen with a valid CSRF token may not change anything either
    csrf = token(citizen, "/konto/")
    for path in pages + [f"{BP}/redaktion/leistungen/{service.id}/entwurf/veroeffentlichen"]:
        assert citizen.post(path, data={"csrf_token": csrf, "name": "Gekapert", "title": "Gekapert",
                                        "slug": "gekapert"}).status_code == 403, path
    # an editor without the token changes nothing
    assert editor.post(f"{BP}/redaktion/buergeraemter/neu", data={"name": "Ohne Token"}).status_code == 400
    assert editor.post(f"{BP}/redaktion/buergeraemter/{office.id}/loeschen").status_code == 400
    assert editor.post(f"{BP}/redaktion/hilfe/{entry.id}/loeschen").status_code == 400
    assert editor.post(f"{BP}/redaktion/hilfe/themen/{topic.id}/loeschen").status_code == 400
    assert len(_all(mash_app, Office)) == 5 and _get(mash_app, HelpEntry, slug="telefonseelsorge") is not None
    assert _get(mash_app, HelpTopic, id=topic.id) is not None
    assert _get(mash_app, Office, name="Gekapert") is None and _get(mash_app, Office, name="Ohne Token") is None


# -- draft revisions of published services --------------------------------------------------------
def test_draft_of_a_published_service_leaves_the_live_page_until_published(mash_app, client_as):
    from mash_buergerportal.catalogue_models import ServiceDraft
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    live = _service(mash_app, "kindergeld-beantragen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    old_teaser = live.teaser
    data = _service_form(live, teaser="Neu: Kindergeld gibt es ab dem Monat der Geburt.",
                         synonyms="Kindergeld\nKnirpsgeld", description="Neuer **Entwurf**.", action="draft")

    response = _save(editor, path, data)
    assert response.status_code == 302
    # the published version is unchanged for citizens and in the search
    assert _service(mash_app, "kindergeld-beantragen").teaser == old_teaser
    assert _service(mash_app, "kindergeld-beantragen").status == "published"
    page = citizen.get(f"{BP}/leistungen/kindergeld-beantragen").get_data(as_text=True)
    assert old_teaser in page and "Knirpsgeld" not in page and "Neuer <strong>Entwurf</strong>" not in page
    assert _slugs(citizen, "Knirpsgeld") == []
    assert "kindergeld-beantragen" in _slugs(citizen, "Kindergeld")
    # the editor sees the draft: notice, form with the draft's text, preview, marker in the list
    [draft] = _drafts(mash_app)
    assert draft.service_id == live.id and draft.data["teaser"].startswith("Neu: ")
    form = editor.get(path).get_data(as_text=True)
    assert "Entwurf vorhanden" in form and "Neu: Kindergeld gibt es ab dem Monat der Geburt." in form
    assert "Entwurf veröffentlichen" in form and "/entwurf/verwerfen" in form
    preview = editor.get(f"{path}/vorschau").get_data(as_text=True)
    assert "Neuer <strong>Entwurf</strong>" in preview and "Neu: Kindergeld" in preview and old_teaser not in preview
    assert "Diesen Entwurf veröffentlichen" in preview
    index = editor.get(f"{BP}/redaktion/").get_data(as_text=True)
    assert "Entwurf vorhanden" in index

    # keep editing the draft: still one draft, live still unchanged
    data.update(teaser="Neu und besser: Kindergeld ab Geburt.")
    assert _save(editor, path, data).status_code == 302
    assert [d.data["teaser"] for d in _drafts(mash_app)] == ["Neu und besser: Kindergeld ab Geburt."]
    assert old_teaser in citizen.get(f"{BP}/leistungen/kindergeld-beantragen").get_data(as_text=True)

    # publish the stored draft: replaces the live text, search follows, audited with who and when
    response = post(editor, f"{path}/entwurf/veroeffentlichen", {}, token_from=path)
    assert response.status_code == 302
    page = citizen.get(f"{BP}/leistungen/kindergeld-beantragen").get_data(as_text=True)
    assert "Neu und besser: Kindergeld ab Geburt." in page and old_teaser not in page
    assert "Neuer <strong>Entwurf</strong>" in page
    assert _slugs(citizen, "Knirpsgeld") == ["kindergeld-beantragen"]
    assert _drafts(mash_app) == []
    published = _service(mash_app, "kindergeld-beantragen")
    assert published.updated_at > live.updated_at.replace(tzinfo=published.updated_at.tzinfo)
    [entry] = _audit(mash_app, "buergerportal.service.publish_draft")
    assert entry.target == "kindergeld-beantragen" and entry.actor.startswith("staff")
    assert entry.details["last_modified"].startswith(published.updated_at.isoformat()[:16])
    assert _audit(mash_app, "buergerportal.service.draft_create") and \
        _audit(mash_app, "buergerportal.service.draft_update")
    assert _get(mash_app, ServiceDraft, service_id=live.id) is None


def test_publishing_from_the_form_and_withdrawing(mash_app, client_as):
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    live = _service(mash_app, "personalausweis-beantragen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    assert _save(editor, path, _service_form(live, costs="Im Entwurf: 37 Euro", action="draft")).status_code == 302
    assert "Im Entwurf: 37 Euro" not in citizen.get(f"{BP}/leistungen/{live.slug}").get_data(as_text=True)
    # "Entwurf veröffentlichen" in the form publishes the form's content at once
    assert _save(editor, path, _service_form(live, costs="Jetzt: 37 Euro", action="publish")).status_code == 302
    assert "Jetzt: 37 Euro" in citizen.get(f"{BP}/leistungen/{live.slug}").get_data(as_text=True)
    assert _drafts(mash_app) == [] and _audit(mash_app, "buergerportal.service.publish_draft")
    # "Zurückziehen" still takes a published service offline
    assert _save(editor, path, _service_form(live, action="unpublish")).status_code == 302
    assert citizen.get(f"{BP}/leistungen/{live.slug}").status_code == 404
    assert live.slug not in _slugs(citizen, "Personalausweis")
    # an unpublished service has no separate draft: it is edited in place, as before
    assert _save(editor, path, _service_form(live, costs="Entwurf ohne Fassung", action="draft")).status_code == 302
    assert _drafts(mash_app) == [] and _service(mash_app, live.slug).costs == "Entwurf ohne Fassung"


def test_discarding_a_draft_keeps_the_published_version(mash_app, client_as):
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    live = _service(mash_app, "wohnsitz-anmelden")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    draft = _service_form(live, name="Wohnsitz ummelden (Entwurf)", action="draft")
    assert _save(editor, path, draft).status_code == 302
    confirm = editor.get(f"{path}/entwurf/verwerfen")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Entwurf verwerfen" in html and 'name="csrf_token"' in html
    assert len(_drafts(mash_app)) == 1  # asking changes nothing
    assert post(editor, f"{path}/entwurf/verwerfen", {}, token_from=path).status_code == 302
    assert _drafts(mash_app) == []
    assert _service(mash_app, "wohnsitz-anmelden").name == live.name
    form = editor.get(path).get_data(as_text=True)
    assert "Entwurf vorhanden" not in form and "Wohnsitz ummelden (Entwurf)" not in form
    assert live.name in citizen.get(f"{BP}/leistungen/wohnsitz-anmelden").get_data(as_text=True)
    assert _audit(mash_app, "buergerportal.service.draft_discard")


def test_draft_validation_and_a_short_address_taken_before_publication(mash_app, client_as):
    from mash_buergerportal.catalogue_models import PUBLISHED, Service
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    live = _service(mash_app, "reisepass-beantragen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    bad = _service_form(live, online_service_url="javascript:alert(1)", slug="Kein Slug", action="draft")
    response = _save(editor, path, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#online_service_url"' in html and 'href="#slug"' in html
    assert _drafts(mash_app) == []
    # a draft may change the short address; if another service takes it first, publishing refuses
    assert _save(editor, path, _service_form(live, slug="reisepass-neu", action="draft")).status_code == 302
    assert citizen.get(f"{BP}/leistungen/reisepass-beantragen").status_code == 200
    with in_context(mash_app):
        db_session().add(Service(slug="reisepass-neu", name="Vorweg", status=PUBLISHED))
        db_session().commit()
    response = post(editor, f"{path}/entwurf/veroeffentlichen", {}, token_from=path, follow_redirects=True)
    assert "gehört inzwischen zu einer anderen Leistung" in response.get_data(as_text=True)
    assert len(_drafts(mash_app)) == 1 and _service(mash_app, "reisepass-beantragen").status == "published"


def test_export_shows_the_published_version_and_import_leaves_drafts(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    live = _service(mash_app, "kindergeld-beantragen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    assert _save(editor, path, _service_form(live, teaser="Nur im Entwurf", action="draft")).status_code == 302
    exported = editor.get(f"{BP}/redaktion/export.json").get_json()
    service = next(s for s in exported["services"] if s["slug"] == "kindergeld-beantragen")
    assert service["teaser"] == live.teaser and "Nur im Entwurf" not in json.dumps(exported)
    # an import updates the published version; the draft stays and is marked as older
    service["teaser"] = "Aus dem Import"
    doc = {"format": exported["format"], "version": exported["version"], "services": [service]}
    report = post(editor, f"{BP}/redaktion/import", {"json": json.dumps(doc)}, token_from=f"{BP}/redaktion/import")
    assert report.status_code == 200
    assert _service(mash_app, "kindergeld-beantragen").teaser == "Aus dem Import"
    assert [d.data["teaser"] for d in _drafts(mash_app)] == ["Nur im Entwurf"]
    assert "nach dem letzten Speichern dieses Entwurfs geändert" in editor.get(path).get_data(as_text=True)


def test_deleting_a_service_asks_first_and_removes_its_draft(mash_app, client_as):
    load_demo(mash_app)
    editor = client_as("staff")
    live = _service(mash_app, "geburt-anzeigen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    assert _save(editor, path, _service_form(live, teaser="Entwurf", action="draft")).status_code == 302
    confirm = editor.get(f"{path}/loeschen").get_data(as_text=True)
    assert "endgültig löschen" in confirm and "Der Entwurf wird mitgelöscht." in confirm
    assert _service(mash_app, "geburt-anzeigen") is not None
    assert post(editor, f"{path}/loeschen", {}, token_from=path).status_code == 302
    assert _service(mash_app, "geburt-anzeigen") is None and _drafts(mash_app) == []


# -- Bürgerämter ----------------------------------------------------------------------------------
def test_office_editor_validates_and_the_search_follows(mash_app, client_as):
    from mash_buergerportal.models import Office
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    new = f"{BP}/redaktion/buergeraemter/neu"
    bad = {"name": "", "phone": "ruf mich an", "email": "keine-adresse", "website": "www.ohne-schema.de"}
    response = _save(editor, new, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'class="error-summary"' in html
    for field in ("name", "phone", "email", "website"):
        assert f'href="#{field}"' in html, field
    assert _save(editor, new, {"name": "Bürgeramt Mitte"}).status_code == 422  # the name is taken
    assert _save(editor, new, {"name": "X", "phone": "+"}).status_code == 422  # no tel: link possible

    office = {"name": "Bürgeramt Emmertsgrund", "address": "Forum 1, 69126 Heidelberg",
              "opening_hours": "Mo–Fr 8–12 Uhr", "phone": "06221 58-47110", "email": "emmertsgrund@heidelberg.de",
              "website": "https://www.heidelberg.de/emmertsgrund", "accessibility": "Stufenloser Zugang, Aufzug"}
    assert _save(editor, new, office).status_code == 302
    row = _get(mash_app, Office, name="Bürgeramt Emmertsgrund")
    assert row.email == "emmertsgrund@heidelberg.de" and row.website.endswith("/emmertsgrund")
    public = citizen.get(f"{BP}/").get_data(as_text=True)
    assert "Bürgeramt Emmertsgrund" in public and 'href="https://www.heidelberg.de/emmertsgrund"' in public
    assert "Bürgeramt Emmertsgrund" in _titles(citizen, "Emmertsgrund")
    edit = editor.get(f"{BP}/redaktion/buergeraemter/{row.id}").get_data(as_text=True)
    assert 'href="tel:062215847110"' in edit

    path = f"{BP}/redaktion/buergeraemter/{row.id}"
    assert _save(editor, path, {**office, "name": "Bürgeramt Boxberg", "address": "Boxbergring 1"}).status_code == 302
    assert _titles(citizen, "Emmertsgrund") == [] and "Bürgeramt Boxberg" in _titles(citizen, "Boxberg")
    assert _audit(mash_app, "buergerportal.office.create") and _audit(mash_app, "buergerportal.office.update")

    # an office that a service names cannot be deleted; an unused one only after confirmation
    mitte = _get(mash_app, Office, name="Bürgeramt Mitte")
    used = post(editor, f"{BP}/redaktion/buergeraemter/{mitte.id}/loeschen", {}, token_from=path)
    assert used.status_code == 409 and "Wohnsitz anmelden" in used.get_data(as_text=True)
    assert _get(mash_app, Office, name="Bürgeramt Mitte") is not None
    confirm = editor.get(f"{path}/loeschen").get_data(as_text=True)
    assert "Bürgeramt Boxberg" in confirm and "Endgültig löschen" in confirm
    assert post(editor, f"{path}/loeschen", {}, token_from=path).status_code == 302
    assert _get(mash_app, Office, name="Bürgeramt Boxberg") is None and _titles(citizen, "Boxberg") == []
    assert _audit(mash_app, "buergerportal.office.delete")


def test_an_office_named_only_in_a_draft_is_not_deleted(mash_app, client_as):
    from mash_buergerportal.models import Office
    load_demo(mash_app)
    editor = client_as("staff")
    kirchheim = _get(mash_app, Office, name="Bürgeramt Kirchheim")
    live = _service(mash_app, "kindergeld-beantragen")
    path = f"{BP}/redaktion/leistungen/{live.id}"
    assert _save(editor, path, _service_form(live, office_id=str(kirchheim.id), action="draft")).status_code == 302
    response = post(editor, f"{BP}/redaktion/buergeraemter/{kirchheim.id}/loeschen", {}, token_from=path)
    assert response.status_code == 409 and "(Entwurf)" in response.get_data(as_text=True)
    assert _get(mash_app, Office, name="Bürgeramt Kirchheim") is not None


# -- life situations ------------------------------------------------------------------------------
def test_life_situation_tree_refuses_cycles_with_a_clear_error(mash_app, client_as):
    from mash_buergerportal.catalogue_models import LifeSituation
    load_demo(mash_app)
    editor = client_as("staff")
    ids = {s.slug: s for s in _all(mash_app, LifeSituation)}
    top, child = ids["familie-kind"], ids["geburt-eines-kindes"]
    path = f"{BP}/redaktion/lebenslagen/{top.id}"
    data = {"title": top.title, "slug": top.slug, "summary": top.summary, "action": "publish"}
    for parent in (child, top):  # under its own descendant, under itself
        response = _save(editor, path, {**data, "parent_id": str(parent.id)})
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'href="#parent_id"' in html
        assert "unter sich selbst oder unter einer ihrer Unterlagen" in html
    assert _get(mash_app, LifeSituation, slug="familie-kind").parent_id is None
    # a valid move works, and rich text is sanitised on the public page
    leaf = ids["umzug-wohnen"]
    leaf_path = f"{BP}/redaktion/lebenslagen/{leaf.id}"
    response = _save(editor, leaf_path, {"title": leaf.title, "slug": leaf.slug, "parent_id": str(top.id),
                                         "summary": "Neu <script>alert(1)</script> **fett**", "action": "publish"})
    assert response.status_code == 302
    assert _get(mash_app, LifeSituation, slug="umzug-wohnen").parent_id == top.id
    page = client_as(None).get(f"{BP}/lebenslagen/umzug-wohnen").get_data(as_text=True)
    main = page[page.index("<main"):]
    assert "<strong>fett</strong>" in main and "<script>alert(1)" not in main


def test_deleting_a_life_situation_asks_and_keeps_the_children(mash_app, client_as):
    from mash_buergerportal.catalogue_models import LifeSituation
    load_demo(mash_app)
    editor = client_as("staff")
    top = _get(mash_app, LifeSituation, slug="familie-kind")
    children = [s.title for s in _all(mash_app, LifeSituation) if s.parent_id == top.id]
    path = f"{BP}/redaktion/lebenslagen/{top.id}/loeschen"
    confirm = editor.get(path).get_data(as_text=True)
    assert children and all(title in confirm for title in children) and "oberste Ebene" in confirm
    assert post(editor, path, {}, token_from=path).status_code == 302
    assert _get(mash_app, LifeSituation, slug="familie-kind") is None
    assert _get(mash_app, LifeSituation, slug="geburt-eines-kindes").parent_id is None


# -- help directory -------------------------------------------------------------------------------
HELP = {"name": "Pflegetelefon", "slug": "pflegetelefon", "category": "beratung", "number": "030 20179131",
        "hours": "Mo–Do 9–18 Uhr", "free_of_charge": "no", "languages": "Deutsch",
        "source": "https://www.wege-zur-pflege.de", "last_verified": "2026-02-01", "status": "verified",
        "position": "14"}


def test_lebensgefahr_112_stays_first_and_cannot_be_deleted_or_demoted(mash_app, client_as):
    from mash_buergerportal.catalogue_models import HelpEntry
    load_demo(mash_app)
    editor = client_as("staff")
    entry = _get(mash_app, HelpEntry, slug="notruf-112")
    path = f"{BP}/redaktion/hilfe/{entry.id}"
    form = {"name": entry.name, "slug": entry.slug, "category": "notruf", "number": "112", "hours": entry.hours,
            "free_of_charge": "yes", "source": entry.source, "last_verified": "2026-01-10", "status": "verified",
            "position": "0", "description": entry.description}
    page = editor.get(path).get_data(as_text=True)
    assert "kann nicht gelöscht werden" in page and "/loeschen" not in page
    confirm = editor.get(f"{path}/loeschen")
    assert confirm.status_code == 200 and "Endgültig löschen" not in confirm.get_data(as_text=True)
    response = post(editor, f"{path}/loeschen", {}, token_from=path)
    assert response.status_code == 409 and _get(mash_app, HelpEntry, slug="notruf-112") is not None
    for change, field in (({"number": "110"}, "number"), ({"category": "beratung"}, "category"),
                          ({"status": "needs_checking"}, "status")):
        response = _save(editor, path, {**form, **change})
        assert response.status_code == 422 and f'href="#{field}"' in response.get_data(as_text=True), change
    assert _get(mash_app, HelpEntry, slug="notruf-112").number == "112"
    # no second 112 entry
    response = _save(editor, f"{BP}/redaktion/hilfe/neu", {**HELP, "slug": "noch-ein-notruf", "number": "1 1 2"})
    assert response.status_code == 422 and "gibt es schon" in response.get_data(as_text=True)
    # its other fields may change; it stays first, however low its position
    assert _save(editor, path, {**form, "hours": "rund um die Uhr, auch per App", "position": "999"}).status_code == 302
    data = client_as(None).get("/api/v1/buergerportal/help").get_json()
    assert data[0]["slug"] == "notruf-112" and data[0]["hours"] == "rund um die Uhr, auch per App"
    assert data[0]["tel_uri"] == "tel:112"


def test_help_entry_editor_validates_numbers_and_search_and_topics_follow(mash_app, client_as):
    from mash_buergerportal.catalogue_models import HelpEntry, HelpTopic
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    new = f"{BP}/redaktion/hilfe/neu"
    for bad, field in (({"number": "ruf an"}, "number"), ({"number": "++49 30"}, "number"),
                       ({"alt_number": "12"}, "alt_number"), ({"website": "ftp://x"}, "website"),
                       ({"last_verified": "2026-02-30"}, "last_verified"), ({"category": "sonstiges"}, "category"),
                       ({"position": "zehn"}, "position")):
        response = _save(editor, new, {**HELP, **bad})
        assert response.status_code == 422 and f'href="#{field}"' in response.get_data(as_text=True), bad
    assert _get(mash_app, HelpEntry, slug="pflegetelefon") is None

    assert _save(editor, new, HELP).status_code == 302
    entry = _get(mash_app, HelpEntry, slug="pflegetelefon")
    html = citizen.get(f"{BP}/hilfe").get_data(as_text=True)
    assert 'href="tel:03020179131"' in html and "Pflegetelefon" in html
    assert _slugs(citizen, "Pflegetelefon") == ["pflegetelefon"]

    # the topic finder follows a new short address, and a deletion
    topic = _all(mash_app, HelpTopic)[0]
    path = f"{BP}/redaktion/hilfe/themen/{topic.id}"
    ranks = {f"order-{entry.id}": "1"}
    assert _save(editor, path, {"title": topic.title, "slug": topic.slug, "words": "\n".join(topic.words),
                                "entries": ["pflegetelefon"], **ranks}).status_code == 302
    entry_path = f"{BP}/redaktion/hilfe/{entry.id}"
    assert _save(editor, entry_path, {**HELP, "slug": "pflege-telefon", "hours": "Mo–Do 9–18 Uhr (neu)"}).status_code \
        == 302
    assert _get(mash_app, HelpTopic, id=topic.id).entries == ["pflege-telefon"]
    assert "Mo–Do 9–18 Uhr (neu)" in citizen.get(f"{BP}/hilfe").get_data(as_text=True)
    # unverified: out of the public directory and the search
    assert _save(editor, entry_path, {**HELP, "slug": "pflege-telefon", "status": "needs_checking"}).status_code == 302
    assert _slugs(citizen, "Pflegetelefon") == [] and "Pflegetelefon" not in citizen.get(f"{BP}/hilfe").get_data(
        as_text=True)
    assert _save(editor, entry_path, {**HELP, "slug": "pflege-telefon"}).status_code == 302
    confirm = editor.get(f"{entry_path}/loeschen").get_data(as_text=True)
    assert topic.title in confirm  # the confirmation names the topics that lose the entry
    assert post(editor, f"{entry_path}/loeschen", {}, token_from=entry_path).status_code == 302
    assert _get(mash_app, HelpEntry, slug="pflege-telefon") is None and _slugs(citizen, "Pflegetelefon") == []
    assert _get(mash_app, HelpTopic, id=topic.id).entries == []


# -- topic finder ---------------------------------------------------------------------------------
def test_topic_finder_editor_maps_plain_words_to_contacts(mash_app, client_as):
    from mash_buergerportal.catalogue_models import HelpEntry, HelpTopic
    load_demo(mash_app)
    editor, citizen = client_as("staff"), client_as(None)
    entries = {e.slug: e for e in _all(mash_app, HelpEntry)}
    new = f"{BP}/redaktion/hilfe/themen/neu"

    def finder(q):
        return [e["slug"] for e in citizen.get("/api/v1/buergerportal/help/finder", query_string={"q": q})
                .get_json()["entries"]]

    response = _save(editor, new, {"title": "", "slug": "Schimmel!", "words": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    for field in ("title", "slug", "words", "entries"):
        assert f'href="#{field}"' in html, field
    assert finder("Schimmelpilz") == ["notruf-112"]

    data = {"title": "Schimmel in der Wohnung", "slug": "schimmel", "words": "Schimmelpilz\nSchimmel\n\nfeuchte Wand",
            "entries": ["telefonseelsorge", "buergeramt-termine"],
            f"order-{entries['buergeramt-termine'].id}": "1", f"order-{entries['telefonseelsorge'].id}": "2"}
    assert _save(editor, new, data).status_code == 302
    topic = _get(mash_app, HelpTopic, slug="schimmel")
    assert topic.words == ["Schimmelpilz", "Schimmel", "feuchte Wand"]
    assert topic.entries == ["buergeramt-termine", "telefonseelsorge"]
    assert finder("Schimmelpilz im Bad") == ["notruf-112", "buergeramt-termine", "telefonseelsorge"]
    assert finder("feuchte Wände") == ["notruf-112", "buergeramt-termine", "telefonseelsorge"]

    path = f"{BP}/redaktion/hilfe/themen/{topic.id}"
    form = editor.get(path).get_data(as_text=True)
    assert 'value="buergeramt-termine" checked' in form
    assert _save(editor, path, {**data, "entries": ["telefonseelsorge"]}).status_code == 302
    assert finder("Schimmel") == ["notruf-112", "telefonseelsorge"]
    confirm = editor.get(f"{path}/loeschen").get_data(as_text=True)
    assert "Schimmel in der Wohnung" in confirm
    assert post(editor, f"{path}/loeschen", {}, token_from=path).status_code == 302
    assert finder("Schimmel") == ["notruf-112"] and _get(mash_app, HelpTopic, slug="schimmel") is None
    assert _audit(mash_app, "buergerportal.help_topic.create") and _audit(mash_app, "buergerportal.help_topic.delete")


def test_two_editors_saving_the_first_draft_at_once_both_succeed(mash_app, monkeypatch):
    """The second insert of a first draft hits the one-draft-per-service rule; it becomes an update
    instead of an error (the race window is forced by hiding the other editor's draft once)."""
    from mash_buergerportal import service_drafts
    from mash_buergerportal.catalogue_models import ServiceDraft
    load_demo(mash_app)
    live = _service(mash_app, "kindergeld-beantragen")
    with in_context(mash_app):
        session = db_session()
        service = session.get(type(live), live.id)
        first = service_drafts.working_copy(service)
        first.teaser = "Fassung von Redakteurin A"
        service_drafts.save(service, first)
        session.commit()
        second = service_drafts.working_copy(service)
        second.teaser = "Fassung von Redakteur B"
        real_get, calls = service_drafts.get, []

        def stale_get(s):  # editor B looked before A's draft was committed
            calls.append(s)
            return None if len(calls) == 1 else real_get(s)

        monkeypatch.setattr(service_drafts, "get", stale_get)
        service_drafts.save(service, second)
        session.commit()
    assert len(calls) == 2  # the insert failed and the save re-read the draft
    [draft] = _all(mash_app, ServiceDraft)
    assert draft.data["teaser"] == "Fassung von Redakteur B"
