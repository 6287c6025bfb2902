"""Municipalities (tenants): no page, API call or query of municipality A returns data of B."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from mash_core.db import UNSCOPED, TenantViolation
from mash_core.identity.tokens import issue_token
from mash_core.models import District, Municipality, User, UserRole
from mash_core.tenancy import current_municipality_id, municipality_context
from mash_core.testing import TEST_PASSWORD, host_client, login_client, make_user
from mash_lotsen.models import Pilot

A_HOST, B_HOST = "localhost", "musterdorf.test"


@pytest.fixture
def two(mash_app_factory):
    """Heidelberg (A, default) and Musterdorf (B), each with a pilot, a district and a staff user."""
    app = mash_app_factory(plugins=("lotsen",), municipalities=("heidelberg", "musterdorf"))
    engine = app.extensions["mash"].engine
    ids = {}
    with Session(engine) as session:
        ms = {m.slug: m.id for m in session.exec(select(Municipality), execution_options=UNSCOPED)}
        for slug, word in (("heidelberg", "Alpha"), ("musterdorf", "Beta")):
            with municipality_context(ms[slug]):
                pilot = Pilot(name=f"{word} Pilotin", office=f"{word}-Amt", email=f"{word.lower()}@{slug}.example",
                              topics=f"{word}-Themen")
                session.add(pilot)
                session.add(District(name=f"{word}-Viertel"))
                session.commit()
                ids[f"pilot_{slug}"] = pilot.id
    ids.update(a=ms["heidelberg"], b=ms["musterdorf"])
    ids["user_a"] = make_user(app, "staff@heidelberg.example", ["staff"], "heidelberg")
    ids["user_b"] = make_user(app, "staff@musterdorf.example", ["staff"], "musterdorf")
    return app, ids


def test_data_exists_in_both(two):
    """Guard for the other tests: both municipalities really hold rows."""
    app, ids = two
    with Session(app.extensions["mash"].engine) as session:
        names = {p.name for p in session.exec(select(Pilot), execution_options=UNSCOPED)}
        users = {u.email for u in session.exec(select(User), execution_options=UNSCOPED)}
    assert names == {"Alpha Pilotin", "Beta Pilotin"}
    assert users == {"staff@heidelberg.example", "staff@musterdorf.example"}


def test_pages_show_only_own_rows(two):
    app, _ = two
    page_a = host_client(app, A_HOST).get("/lotsen/").get_data(as_text=True)
    page_b = host_client(app, B_HOST).get("/lotsen/").get_data(as_text=True)
    assert "Alpha Pilotin" in page_a and "Beta" not in page_a and "musterdorf" not in page_a.lower()
    assert "Beta Pilotin" in page_b and "Alpha" not in page_b and "Heidelberg" not in page_b
    home_b = host_client(app, B_HOST).get("/").get_data(as_text=True)
    assert "Stadt Musterdorf" in home_b and "Stadt Heidelberg" not in home_b


def test_api_shows_only_own_rows(two):
    app, _ = two
    a = host_client(app, A_HOST).get("/api/v1/lotsen/pilots").get_json()
    b = host_client(app, B_HOST).get("/api/v1/lotsen/pilots").get_json()
    assert [p["name"] for p in a] == ["Alpha Pilotin"]
    assert [p["name"] for p in b] == ["Beta Pilotin"]
    assert host_client(app, A_HOST).get("/api/v1/core/municipality").get_json()["slug"] == "heidelberg"
    assert host_client(app, B_HOST).get("/api/v1/core/municipality").get_json()["slug"] == "musterdorf"
    # an unknown host is served by the default municipality
    assert host_client(app, "elsewhere.test").get("/api/v1/core/municipality").get_json()["slug"] == "heidelberg"


def test_staff_dashboard_and_account_are_per_municipality(two):
    app, ids = two
    staff_b = login_client(app, ids["user_b"], host=B_HOST)
    page = staff_b.get("/konto/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "staff@musterdorf.example" in html and "heidelberg" not in html.lower()


def test_orm_queries_are_scoped(two):
    app, ids = two
    with Session(app.extensions["mash"].engine) as session, municipality_context(ids["a"]):
        assert [p.name for p in session.exec(select(Pilot))] == ["Alpha Pilotin"]
        assert session.exec(select(Pilot.name)).all() == ["Alpha Pilotin"]
        assert session.exec(select(func.count()).select_from(Pilot)).one() == 1
        assert session.exec(select(func.count(Pilot.id))).one() == 1
        assert [d.name for d in session.exec(select(District))] == ["Alpha-Viertel"]
        assert [u.email for u in session.exec(select(User))] == ["staff@heidelberg.example"]
        joined = session.exec(select(User.email, UserRole.role).join(UserRole, UserRole.user_id == User.id)).all()
        assert joined == [("staff@heidelberg.example", "staff")]
        assert session.exec(select(Pilot).where(Pilot.id == ids["pilot_musterdorf"])).first() is None
        assert session.get(Pilot, ids["pilot_musterdorf"]) is None


def test_bulk_update_and_delete_are_scoped(two):
    app, ids = two
    engine = app.extensions["mash"].engine
    with Session(engine) as session, municipality_context(ids["a"]):
        session.execute(update(Pilot).values(topics="geändert"))
        session.execute(delete(District))
        session.commit()
    with Session(engine) as session:
        pilots = {p.name: p.topics for p in session.exec(select(Pilot), execution_options=UNSCOPED)}
        districts = [d.name for d in session.exec(select(District), execution_options=UNSCOPED)]
    assert pilots == {"Alpha Pilotin": "geändert", "Beta Pilotin": "Beta-Themen"}
    assert districts == ["Beta-Viertel"]


def test_writing_a_row_of_b_while_a_is_current_raises(two):
    app, ids = two
    engine = app.extensions["mash"].engine
    with Session(engine) as session:
        with municipality_context(ids["b"]):
            pilot_b = session.exec(select(Pilot)).one()
        with municipality_context(ids["a"]):
            pilot_b.name = "gekapert"
            with pytest.raises(TenantViolation):
                session.flush()
            session.rollback()
            session.add(Pilot(name="untergeschoben", office="x", municipality_id=ids["b"]))
            with pytest.raises(TenantViolation):
                session.flush()
            session.rollback()
    with Session(engine) as session:
        names = sorted(p.name for p in session.exec(select(Pilot), execution_options=UNSCOPED))
    assert names == ["Alpha Pilotin", "Beta Pilotin"]


def test_new_rows_are_stamped_with_the_current_municipality(two):
    app, ids = two
    engine = app.extensions["mash"].engine
    with Session(engine) as session, municipality_context(ids["b"]):
        pilot = Pilot(name="Neu", office="Neu-Amt")
        session.add(pilot)
        session.commit()
        assert pilot.municipality_id == ids["b"]
    assert [p["name"] for p in host_client(app, A_HOST).get("/api/v1/lotsen/pilots").get_json()] == ["Alpha Pilotin"]


def test_without_current_municipality_nothing_is_returned_or_written(two):
    app, _ = two
    assert current_municipality_id() is None
    with Session(app.extensions["mash"].engine) as session:
        assert session.exec(select(Pilot)).all() == []
        assert session.exec(select(User)).all() == []
        assert session.exec(select(func.count()).select_from(District)).one() == 0
        session.add(District(name="herrenlos"))
        with pytest.raises(TenantViolation):
            session.flush()


def test_session_cookie_of_a_does_not_sign_in_on_b(two):
    app, ids = two
    client_a = login_client(app, ids["user_a"], host=A_HOST)
    assert client_a.get("/konto/").status_code == 200
    cookie = client_a.get_cookie("mash_session", domain=A_HOST)
    assert cookie is not None

    client_b = host_client(app, B_HOST)
    client_b.set_cookie("mash_session", cookie.value, domain=B_HOST)
    response = client_b.get("/konto/")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    assert "staff@heidelberg.example" not in client_b.get("/").get_data(as_text=True)


def test_login_and_tokens_are_per_municipality(two):
    app, ids = two
    # the account exists only in A: signing in on B fails like an unknown address
    client_b = host_client(app, B_HOST)
    login = client_b.get("/anmelden")
    token = login.get_data(as_text=True).split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client_b.post("/anmelden", data={"csrf_token": token, "email": "staff@heidelberg.example",
                                                "password": TEST_PASSWORD})
    assert response.status_code == 400

    with Session(app.extensions["mash"].engine) as session, municipality_context(ids["a"]):
        _, plain = issue_token(session, "device", ["core.dashboard"], user=ids["user_a"])
        session.commit()
    auth = {"Authorization": f"Bearer {plain}"}
    assert host_client(app, A_HOST).get("/api/v1/core/me", headers=auth).status_code == 200
    other = host_client(app, B_HOST).get("/api/v1/core/me", headers=auth)
    assert other.status_code == 401 and other.is_json


def test_external_url_uses_the_municipalitys_host_outside_a_request(two):
    """``external_url`` (plugin API 1.2): a job has no request to take the host from, so links in
    its e-mails use the current municipality's first host name and the deployment's scheme."""
    import dataclasses

    from flask import g

    from mash_core.api import external_url
    from mash_core.app import create_app
    from mash_core.testing import build_registry

    app, ids = two
    with app.app_context():
        with municipality_context(ids["b"]):
            assert external_url("lotsen.index") == "http://musterdorf.test/lotsen/"
            assert external_url("auth.login", next="/lotsen/", _anchor="x") == \
                "http://musterdorf.test/anmelden?next=/lotsen/#x"
        with municipality_context(ids["a"]):  # the first of "localhost,127.0.0.1,heidelberg.test"
            assert external_url("lotsen.index") == "http://localhost/lotsen/"
        with pytest.raises(RuntimeError, match="municipality context"):
            external_url("lotsen.index")
    # in a request: the host the request came in on, even for a municipality context set by the view
    with app.test_request_context("/", base_url="http://musterdorf.test:8080"):
        g.municipality = None
        with municipality_context(ids["b"]):
            assert external_url("lotsen.index") == "http://musterdorf.test/lotsen/"  # not the request's port
        assert external_url("lotsen.index") == "http://musterdorf.test:8080/lotsen/"

    # behind the TLS proxy (secure cookies) the links are https; a municipality without a host name fails
    mash = app.extensions["mash"]
    secure = create_app(dataclasses.replace(mash.settings, secure_cookies=True), build_registry(("lotsen",)),
                        mash.engine)
    with Session(mash.engine) as session:
        session.get(Municipality, ids["b"]).hosts = ""
        session.commit()
    with secure.app_context():
        with municipality_context(ids["a"]):
            assert external_url("lotsen.index") == "https://localhost/lotsen/"
        with municipality_context(ids["b"]), pytest.raises(RuntimeError, match="no host name"):
            external_url("lotsen.index")
