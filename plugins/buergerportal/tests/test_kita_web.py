"""Kita over HTTP: search filters (page and API), the citizen's and the staff's pages,
permissions, CSRF, audit and the demo data."""

import re
from datetime import date, timedelta

import pytest

from kita_support import (add_kita, check_invariants, client_for, ctx, mails_to, next_year, outbox, post, register,
                          user)
from mash_buergerportal.kita_models import KitaOffer, KitaRegistration
from mash_core.api import db_session, select

pytestmark = pytest.mark.mash_plugins("buergerportal")
API = "/api/v1/buergerportal/kitas"


def _demo(app, times=1):
    from mash_buergerportal.kita_demo import load
    with ctx(app):
        for _ in range(times):
            load()


# -- search ---------------------------------------------------------------------------------
def test_api_filters(mash_app, client_as):
    add_kita(mash_app, name="Krippe Bahnstadt", district="Bahnstadt", age_groups="krippe", languages="de,en",
             opens_at="07:00", closes_at="17:00")
    add_kita(mash_app, name="Kiga Rohrbach", district="Rohrbach", age_groups="kindergarten", languages="de,tr",
             opens_at="08:00", closes_at="14:00")
    add_kita(mash_app, name="Kita Rohrbach", district="Rohrbach", age_groups="krippe,kindergarten",
             languages="de", opens_at="06:45", closes_at="18:30")
    client = client_as(None)

    def names(query=""):
        response = client.get(f"{API}{query}")
        assert response.status_code == 200, response.get_json()
        return [k["name"] for k in response.get_json()]

    assert names() == ["Krippe Bahnstadt", "Kiga Rohrbach", "Kita Rohrbach"]
    assert names("?district=Rohrbach") == ["Kiga Rohrbach", "Kita Rohrbach"]
    assert names("?age_group=krippe") == ["Krippe Bahnstadt", "Kita Rohrbach"]
    assert names("?language=tr") == ["Kiga Rohrbach"]
    assert names("?language=en&age_group=krippe") == ["Krippe Bahnstadt"]
    assert names("?open_from=07:00&open_until=17:00") == ["Krippe Bahnstadt", "Kita Rohrbach"]
    assert names("?open_until=18:00") == ["Kita Rohrbach"]
    assert names("?district=Altstadt") == []
    first = client.get(API).get_json()[0]
    assert first["age_groups"] == ["krippe"] and first["languages"] == ["de", "en"]
    assert {"lat", "lon", "street", "postcode", "provider", "places", "concept", "opens_at"} <= set(first)
    assert client.get(f"{API}/{first['id']}").get_json()["name"] == "Krippe Bahnstadt"
    assert client.get(f"{API}/999999").status_code == 404


@pytest.mark.parametrize("query", ["age_group=hort", "language=english", "open_from=7", "open_until=25:00",
                                   "district="])
def test_api_rejects_bad_filters(mash_app, client_as, query):
    response = client_as(None).get(f"{API}?{query}")
    assert response.status_code == 422
    assert "query" in response.get_json()["errors"]


def test_search_page_lists_and_maps_without_external_assets(mash_app, client_as):
    _demo(mash_app)
    client = client_as(None)
    html = client.get("/buergerportal/kita").get_data(as_text=True)
    main = html[html.index("<main"):]
    assert "40 Kitas gefunden" in main
    assert main.count('class="kita-card"') == 40 and main.count('class="kita-map-marker"') == 40
    assert "<svg" in main and "<title" in main and "Neckar" in main
    assert "style=" not in main and "<script" not in main
    assert not re.search(r'(src|href)="https?://', main)
    filtered = client.get("/buergerportal/kita?district=Bahnstadt&age_group=krippe").get_data(as_text=True)
    assert "Kita Grüne Meile" in filtered and "Kita Plöckzwerge" not in filtered
    bad = client.get("/buergerportal/kita?open_from=nachmittags")
    assert bad.status_code == 422 and 'role="alert"' in bad.get_data(as_text=True)
    detail = client.get(f"/buergerportal/kita/{_first_id(mash_app)}")
    assert detail.status_code == 200 and "Als Wunsch-Kita vormerken" in detail.get_data(as_text=True)
    assert client.get("/buergerportal/kita/999999").status_code == 404


def _first_id(app):
    from mash_buergerportal.kita_models import KitaFacility
    with ctx(app):
        return db_session().exec(select(KitaFacility.id)).first()


def test_demo_data_is_idempotent_and_covers_the_districts(mash_app, client_as):
    _demo(mash_app, times=2)
    data = client_as(None).get(API).get_json()
    assert len(data) == 40
    assert len({k["district"] for k in data}) == 15
    assert all(49.35 < k["lat"] < 49.45 and 8.62 < k["lon"] < 8.80 for k in data)


# -- citizen flow over HTTP ---------------------------------------------------------------------
def test_parent_registers_picks_three_kitas_and_accepts_an_offer(mash_app):
    ids = [add_kita(mash_app, name=f"Wunschkita {i}", places=2) for i in range(1, 4)]
    parent, staff = user(mash_app), user(mash_app, "staff")
    citizen = client_for(mash_app, parent)
    response = post(citizen, "/buergerportal/kita/kinder",
                    {"first_name": "Mia", "birth_date": (date.today() - timedelta(days=300)).isoformat()})
    assert response.status_code == 302
    child_id = int(re.search(r"child=(\d+)", response.headers["Location"]).group(1))
    form = citizen.get(f"/buergerportal/kita/vormerken?child={child_id}&kita={ids[0]}").get_data(as_text=True)
    assert f'<option value="{ids[0]}" selected>' in form
    year = next_year()
    data = {"child": child_id, "care_year": year, "start_date": f"{year}-09-01", "wish1": ids[0], "wish2": ids[1],
            "wish3": ids[2]}
    too_many = post(citizen, "/buergerportal/kita/vormerken", {**data, "wish": ids[0]})
    assert too_many.status_code == 422 and "höchstens drei" in too_many.get_data(as_text=True)
    assert post(citizen, "/buergerportal/kita/vormerken", data).status_code == 302
    again = post(citizen, "/buergerportal/kita/vormerken", data)
    assert again.status_code == 422 and "schon eine Vormerkung" in again.get_data(as_text=True)
    status_page = citizen.get("/buergerportal/kita/meine").get_data(as_text=True)
    assert "Eingegangen" in status_page and "Wunschkita 3" in status_page

    with ctx(mash_app):
        reg = db_session().exec(select(KitaRegistration)).one()
    desk = client_for(mash_app, staff)
    page = desk.get(f"/buergerportal/kita/verwaltung/{ids[1]}?jahr={year}").get_data(as_text=True)
    assert "Mia" in page and "Platz anbieten" in page
    for k in (ids[1], ids[2]):
        response = post(desk, f"/buergerportal/kita/verwaltung/{k}/angebot",
                        {"registration": reg.id, "deadline": (date.today() + timedelta(days=7)).isoformat(),
                         "jahr": year}, token_from=f"/buergerportal/kita/verwaltung/{k}?jahr={year}")
        assert response.status_code == 302
    with ctx(mash_app):
        offers = db_session().exec(select(KitaOffer).order_by(KitaOffer.id)).all()
        assert [o.status for o in offers] == ["offered", "offered"] and offers[0].staff_id == staff.id
        from mash_core.models import AuditEntry
        actions = [a.action for a in db_session().exec(select(AuditEntry)).all()]
        assert actions.count("buergerportal.kita.offer") == 2
    status_page = citizen.get("/buergerportal/kita/meine").get_data(as_text=True)
    assert "Angebot liegt vor" in status_page and status_page.count("Platz annehmen") == 2
    assert post(citizen, f"/buergerportal/kita/angebot/{offers[1].id}/annehmen").status_code == 302
    page = citizen.get("/buergerportal/kita/meine").get_data(as_text=True)
    assert "Platz angenommen" in page and "Platz annehmen" not in page
    with ctx(mash_app):
        assert [db_session().get(KitaOffer, o.id).status for o in offers] == ["withdrawn", "accepted"]
    assert mails_to(mash_app, parent.email)[-1] == "Sie haben einen Kita-Platz angenommen"
    assert "/buergerportal/kita/meine" in outbox(mash_app)[-1].get_content()
    check_invariants(mash_app)


# -- permissions and CSRF -----------------------------------------------------------------------
def test_staff_pages_need_the_kita_permission(mash_app, client_as):
    k = add_kita(mash_app)
    reg = register(mash_app, user(mash_app), [k])
    assert client_as("staff").get("/buergerportal/kita/verwaltung").status_code == 200
    citizen = client_as("citizen")
    assert citizen.get("/buergerportal/kita/verwaltung").status_code == 403
    assert citizen.get(f"/buergerportal/kita/verwaltung/{k}").status_code == 403
    assert post(citizen, f"/buergerportal/kita/verwaltung/{k}/angebot", {"registration": reg}).status_code == 403
    anonymous = client_as(None)
    assert anonymous.get("/buergerportal/kita/meine").status_code == 302
    assert anonymous.get("/buergerportal/kita/verwaltung").status_code == 302
    with ctx(mash_app):
        assert db_session().exec(select(KitaOffer)).all() == []
    assert "Kita-Vormerkungen" in client_as("staff").get("/dashboard").get_data(as_text=True)


def test_every_kita_form_needs_the_csrf_token(mash_app, client_as):
    k = add_kita(mash_app)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [k])
    citizen, desk = client_for(mash_app, parent), client_for(mash_app, staff)
    for client, path, data in [
        (citizen, "/buergerportal/kita/kinder", {"first_name": "X", "birth_date": date.today().isoformat()}),
        (citizen, "/buergerportal/kita/vormerken", {"child": 1}),
        (citizen, f"/buergerportal/kita/vormerkung/{reg}/zurueckziehen", {}),
        (citizen, "/buergerportal/kita/angebot/1/annehmen", {}),
        (desk, f"/buergerportal/kita/verwaltung/{k}/angebot", {"registration": reg}),
    ]:
        assert client.post(path, data=data).status_code == 400, path
    with ctx(mash_app):
        assert db_session().get(KitaRegistration, reg).status == "submitted"
        assert db_session().exec(select(KitaOffer)).all() == []
    for path in ("/buergerportal/kita/meine", "/buergerportal/kita/vormerken"):
        html = citizen.get(path).get_data(as_text=True)
        for form in re.findall(r"<form[^>]*method=\"post\".*?</form>", html, re.S):
            assert 'name="csrf_token"' in form


def test_citizen_cannot_touch_other_families(mash_app):
    k = add_kita(mash_app)
    staff, parent, stranger = user(mash_app, "staff"), user(mash_app), user(mash_app)
    reg = register(mash_app, parent, [k])
    from kita_support import offer
    o = offer(mash_app, staff, k, reg)
    other = client_for(mash_app, stranger)
    post(other, f"/buergerportal/kita/angebot/{o}/annehmen")
    post(other, f"/buergerportal/kita/vormerkung/{reg}/zurueckziehen")
    with ctx(mash_app):
        assert db_session().get(KitaOffer, o).status == "offered"
        assert db_session().get(KitaRegistration, reg).status == "offered"
    assert "Mia" not in other.get("/buergerportal/kita/meine").get_data(as_text=True)


def test_pages_in_english(mash_app, client_as):
    add_kita(mash_app, name="Kita Englisch", languages="de,en")
    client = client_as(None)
    client.get("/sprache/en")
    html = client.get("/buergerportal/kita").get_data(as_text=True)
    assert "Day-care search and pre-registration" in html and "1 day-care centre found" in html
    assert "English" in html and "Kita-Suche und Vormerkung" not in html
