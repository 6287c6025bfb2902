"""The admin area beyond plugins: municipalities and districts, users and roles, the role-permission
matrix, API tokens, the audit log, accessibility feedback and system health.

Forms are posted the way a browser does, with the CSRF token read from the page (CSRF stays on).
"""

from __future__ import annotations

import hashlib
import html
import re
import sys
import types

import pytest
from sqlalchemy import inspect, text as sql
from sqlmodel import Session, select

from mash_core.api import Manifest, Permission, Role, Section, hookimpl
from mash_core.db import UNSCOPED
from mash_core.models import (ApiToken, AuditEntry, District, Feedback, Municipality, PluginError,
                              RoleGrant, User, UserRole)
from mash_core.tenancy import municipality_context
from mash_core.testing import host_client, login_client, make_user

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- helpers -------------------------------------------------------------------------------------

def body(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def post(client, path: str, data: dict | None = None, form_page: str | None = None):
    """POST like a browser: the CSRF token comes from the page that shows the form."""
    page = client.get(form_page or path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, f"no form with a CSRF token on {form_page or path} ({page.status_code})"
    return client.post(path, data={**(data or {}), "csrf_token": match.group(1)})


def admin_of(app, email="chef@example.org", municipality=None, host="localhost"):
    user = make_user(app, email, ["admin"], municipality_slug=municipality)
    return login_client(app, user, host=host), user


def db(app) -> Session:
    return Session(app.extensions["mash"].engine)


def municipality(app, slug: str) -> Municipality:
    with db(app) as s:
        return s.exec(select(Municipality).where(Municipality.slug == slug), execution_options=UNSCOPED).one()


def audit_rows(app, action_prefix: str = "") -> list[AuditEntry]:
    with db(app) as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id), execution_options=UNSCOPED).all()
    return [r for r in rows if r.action.startswith(action_prefix)]


def rows_of(app, model, slug="heidelberg", *where):
    with db(app) as s, municipality_context(municipality(app, slug).id):
        return s.exec(select(model).where(*where)).all()


@pytest.fixture
def app(mash_app_factory):
    return mash_app_factory(plugins=("lotsen",), municipalities=("heidelberg", "mannheim"))


# -- a plugin that declares a role, contributes health checks and admin sections ------------------

@hookimpl
def _fx_check_health():
    return [("Sensorfeed", True, "3 Sensoren melden"), ("Schilder", False, "Schild 7 antwortet nicht")]


def _boom() -> str:
    raise RuntimeError("section exploded")


@hookimpl
def _fx_slot_items(slot, request):
    if slot == "admin.plugin.sections":
        return [Section("Kaputt", _boom), Section("Heile", lambda: '<p class="fx-fine">heile Sektion</p>')]
    return None


@pytest.fixture
def fx_plugin(tmp_path, monkeypatch):
    module = types.ModuleType("fx_adminsections")
    module.__file__ = str(tmp_path / "fx_adminsections.py")
    module.manifest = Manifest(
        slug="fxadmin", title="Fixture Admin", description="for the admin tests",
        permissions=(Permission("fxadmin.drive", "Fahrzeuge steuern", ("fxdriver",)),),
        roles=(Role("fxdriver", "Fahrerin oder Fahrer"),))
    module.mash_check_health = _fx_check_health
    module.mash_slot_items = _fx_slot_items
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


# -- access ----------------------------------------------------------------------------------------

PAGES = ["/admin/kommunen", "/admin/kommunen/heidelberg/erscheinungsbild", "/admin/benutzer",
         "/admin/benutzer/rollen", "/admin/tokens", "/admin/protokoll", "/admin/rueckmeldungen",
         "/admin/health", "/admin/health.json"]
POSTS = ["/admin/kommunen", "/admin/kommunen/heidelberg/erscheinungsbild", "/admin/kommunen/ortsteile",
         "/admin/benutzer/1/rollen", "/admin/benutzer/1/status", "/admin/benutzer/rollen", "/admin/tokens",
         "/admin/tokens/1/widerrufen", "/admin/rueckmeldungen/1/status"]


@pytest.mark.parametrize("role", ["citizen", "staff"])
def test_non_admin_gets_403_on_every_page_and_form(app, role):
    client = login_client(app, make_user(app, f"{role}@example.org", [role]))
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    token = CSRF.search(client.get("/").get_data(as_text=True)).group(1)
    for path in POSTS:
        assert client.post(path, data={"csrf_token": token, "name": "x"}).status_code == 403, path
    assert audit_rows(app) == []


def test_anonymous_is_sent_to_login(app):
    response = host_client(app).get("/admin/benutzer")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]


def test_every_form_needs_the_csrf_token(app):
    client, _ = admin_of(app)
    response = client.post("/admin/kommunen/heidelberg/erscheinungsbild", data={"name": "Gekapert"})
    assert response.status_code == 400
    assert municipality(app, "heidelberg").name == "Stadt Heidelberg"


def test_admin_menu_reaches_every_section(app):
    client, _ = admin_of(app)
    page = body(client.get("/admin/kommunen"))
    for path in ["/admin/module", "/admin/kommunen", "/admin/benutzer", "/admin/tokens", "/admin/protokoll",
                 "/admin/rueckmeldungen", "/admin/health"]:
        assert f'href="{path}"' in page, path
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert "style=" not in response.get_data(as_text=True) and "<script>" not in response.get_data(as_text=True)


# -- municipalities --------------------------------------------------------------------------------

BRANDING = dict(name="Stadt Heidelberg", hosts="localhost, 127.0.0.1, heidelberg.test", logo_url="",
                primary_color="#8a1538", accent_color="#1d4f91", contact_email="", contact_phone="", address="")
EDIT = "/admin/kommunen/heidelberg/erscheinungsbild"


def test_edit_branding_bumps_version_and_is_audited(app):
    client, _ = admin_of(app)
    before = municipality(app, "heidelberg").state_version
    data = {**BRANDING, "name": "Stadt Heidelberg am Neckar", "primary_color": "#1D4F91",
            "logo_url": "/static/icon.svg", "contact_email": "info@heidelberg.de",
            "contact_phone": "+49 6221 58-0", "address": "Marktplatz 10, 69117 Heidelberg"}
    response = post(client, EDIT, data)
    assert response.status_code == 302
    m = municipality(app, "heidelberg")
    assert (m.name, m.primary_color, m.logo_url) == ("Stadt Heidelberg am Neckar", "#1d4f91",
                                                      "/static/icon.svg")
    assert m.host_list() == ["localhost", "127.0.0.1", "heidelberg.test"]
    assert m.state_version > before
    entry = audit_rows(app, "municipality.updated")[-1]
    assert entry.target == "municipality:heidelberg" and entry.actor == "chef@example.org"
    assert entry.details["changed"]["name"] == "Stadt Heidelberg am Neckar"
    assert "--brand: #1d4f91" in client.get("/branding.css").get_data(as_text=True)
    assert "Stadt Heidelberg am Neckar" in body(client.get("/"))


@pytest.mark.parametrize("color", ["red", "#12345", "#1234567", "1d4f91", "#ggg000"])
def test_malformed_colour_is_rejected(app, color):
    client, _ = admin_of(app)
    response = post(client, EDIT, {**BRANDING, "primary_color": color})
    assert response.status_code == 400
    page = body(response)
    assert "#rrggbb" in page
    assert re.search(r'id="primary_color"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*primary_color-error', page)
    assert municipality(app, "heidelberg").primary_color == "#8a1538"
    assert audit_rows(app, "municipality") == []


@pytest.mark.parametrize("field,color", [("primary_color", "#ffff00"), ("accent_color", "#999999"),
                                         ("accent_color", "#ffffff")])
def test_low_contrast_colour_is_rejected_with_the_ratio(app, field, color):
    client, _ = admin_of(app)
    response = post(client, EDIT, {**BRANDING, field: color})
    assert response.status_code == 400
    page = body(response)
    assert "4,5:1" in page and color in page
    assert getattr(municipality(app, "heidelberg"), field) != color


def test_contrast_formula_matches_wcag():
    from mash_core.admin.municipalities import contrast_with_white
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#767676") == pytest.approx(4.54, abs=0.01)  # the classic AA boundary
    assert contrast_with_white("#777777") < 4.5


@pytest.mark.parametrize("logo,ok", [("/static/icon.svg", True), ("https://cdn.example.de/l.png", False),
                                     ("http://example.de/l.png", False), ("javascript:alert(1)", False),
                                     ("//evil.example/l.png", False), ("logo png", False),
                                     ("data:image/svg+xml,<svg/>", False)])
def test_logo_must_be_a_path_on_this_portal(app, logo, ok):
    client, _ = admin_of(app)
    response = post(client, EDIT, {**BRANDING, "logo_url": logo})
    assert response.status_code == (302 if ok else 400)
    assert (municipality(app, "heidelberg").logo_url == logo) is ok


def test_bad_contact_and_hosts_are_rejected(app):
    client, _ = admin_of(app)
    response = post(client, EDIT, {**BRANDING, "contact_email": "nicht-gültig", "contact_phone": "call me",
                                   "hosts": "localhost, https://x.de", "name": ""})
    assert response.status_code == 400
    page = body(response)
    for key in ("contact_email", "contact_phone", "hosts", "name"):
        assert f'id="{key}-error"' in page and f'href="#{key}"' in page
    # a host of another municipality would make host resolution ambiguous
    response = post(client, EDIT, {**BRANDING, "hosts": "localhost, mannheim.test"})
    assert response.status_code == 400 and "mannheim.test" in body(response)


def test_default_admin_creates_a_municipality(app):
    client, _ = admin_of(app)
    response = post(client, "/admin/kommunen", {"slug": "karlsruhe", "name": "Stadt Karlsruhe",
                                                "hosts": "karlsruhe.test", "primary_color": "#8a1538",
                                                "accent_color": "#1d4f91"})
    assert response.status_code == 302
    new = municipality(app, "karlsruhe")
    assert new.name == "Stadt Karlsruhe" and not new.is_default
    grants = rows_of(app, RoleGrant, "karlsruhe")
    assert ("staff", "core.dashboard") in {(g.role, g.permission) for g in grants}
    entry = audit_rows(app, "municipality.created")[-1]
    assert entry.target == "municipality:karlsruhe"
    assert entry.municipality_id == municipality(app, "heidelberg").id  # logged where the actor works
    assert "Stadt Karlsruhe" in body(host_client(app, "karlsruhe.test").get("/"))
    assert "karlsruhe" in body(client.get("/admin/kommunen"))


@pytest.mark.parametrize("slug,message", [("heidelberg", "gibt es bereits"), ("Mannheim", "gibt es bereits"),
                                          ("x", "Kennung"), ("2stadt", "Kennung"), ("stadt_a", "Kennung")])
def test_duplicate_or_malformed_slug_is_rejected(app, slug, message):
    client, _ = admin_of(app)
    response = post(client, "/admin/kommunen", {"slug": slug, "name": "Doppelt", "hosts": "doppelt.test",
                                                "primary_color": "#8a1538", "accent_color": "#1d4f91"})
    assert response.status_code == 400
    assert message in body(response) and 'id="new-slug-error"' in body(response)
    with db(app) as s:
        assert len(s.exec(select(Municipality), execution_options=UNSCOPED).all()) == 2


def test_admin_of_other_municipality_sees_and_edits_only_its_own(app):
    client, _ = admin_of(app, "chefin@mannheim.test", municipality="mannheim", host="mannheim.test")
    page = body(client.get("/admin/kommunen"))
    assert "Stadt Mannheim" in page and "Stadt Heidelberg" not in page and "Neue Kommune anlegen" not in page
    assert client.get(EDIT).status_code == 404
    token = CSRF.search(page).group(1)
    assert client.post(EDIT, data={**BRANDING, "name": "Gekapert", "csrf_token": token}).status_code == 404
    assert client.post("/admin/kommunen", data={"slug": "neu", "name": "Neu", "hosts": "neu.test",
                                                "csrf_token": token}).status_code == 403
    response = post(client, "/admin/kommunen/mannheim/erscheinungsbild",
                    {**BRANDING, "name": "Stadt Mannheim", "hosts": "mannheim.test", "accent_color": "#005a9c"})
    assert response.status_code == 302
    assert municipality(app, "mannheim").accent_color == "#005a9c"
    assert municipality(app, "heidelberg").name == "Stadt Heidelberg"


def test_default_admin_edits_another_municipality(app):
    client, _ = admin_of(app)
    before = municipality(app, "mannheim").state_version
    response = post(client, "/admin/kommunen/mannheim/erscheinungsbild",
                    {**BRANDING, "name": "Stadt Mannheim (neu)", "hosts": "mannheim.test"})
    assert response.status_code == 302
    m = municipality(app, "mannheim")
    assert m.name == "Stadt Mannheim (neu)" and m.state_version > before


def test_districts_are_added_and_removed_in_the_current_municipality_only(app):
    client, _ = admin_of(app)
    version = municipality(app, "heidelberg").state_version
    assert post(client, "/admin/kommunen/ortsteile", {"name": "  Altstadt "}, "/admin/kommunen").status_code == 302
    assert post(client, "/admin/kommunen/ortsteile", {"name": "Bergheim"}, "/admin/kommunen").status_code == 302
    duplicate = post(client, "/admin/kommunen/ortsteile", {"name": "altstadt"}, "/admin/kommunen")
    assert duplicate.status_code == 400 and "gibt es bereits" in body(duplicate)
    assert 'id="district-name"' in body(duplicate) and 'aria-invalid="true"' in body(duplicate)
    empty = post(client, "/admin/kommunen/ortsteile", {"name": ""}, "/admin/kommunen")
    assert empty.status_code == 400
    assert sorted(d.name for d in rows_of(app, District)) == ["Altstadt", "Bergheim"]
    assert municipality(app, "heidelberg").state_version > version

    with db(app) as s, municipality_context(municipality(app, "mannheim").id):
        s.add(District(name="Neckarstadt"))
        s.commit()
    foreign = rows_of(app, District, "mannheim")[0]
    assert "Neckarstadt" not in body(client.get("/admin/kommunen"))
    assert post(client, f"/admin/kommunen/ortsteile/{foreign.id}/entfernen", {}, "/admin/kommunen").status_code == 404

    altstadt = next(d for d in rows_of(app, District) if d.name == "Altstadt")
    assert post(client, f"/admin/kommunen/ortsteile/{altstadt.id}/entfernen", {}, "/admin/kommunen").status_code == 302
    assert [d.name for d in rows_of(app, District)] == ["Bergheim"]
    assert [r.action for r in audit_rows(app, "district")] == ["district.added", "district.added", "district.removed"]


# -- users and roles -------------------------------------------------------------------------------

def test_user_list_is_paginated_searchable_and_scoped(app):
    client, _ = admin_of(app)
    for i in range(30):
        make_user(app, f"buerger{i:02d}@example.org", ["citizen"])
    make_user(app, "fremd@mannheim.test", ["citizen"], municipality_slug="mannheim")
    first = body(client.get("/admin/benutzer"))
    assert "31 Konten" in first and "buerger00@example.org" in first and "Seite 1 von 2" in first
    second = body(client.get("/admin/benutzer?seite=2"))
    assert "buerger29@example.org" in second and "buerger00@example.org" not in second
    assert "fremd@mannheim.test" not in first + second
    found = body(client.get("/admin/benutzer?q=BUERGER1"))
    assert "10 Konten" in found and "buerger15@example.org" in found and "buerger20@example.org" not in found
    assert "0 Konten" in body(client.get("/admin/benutzer?q=fremd"))
    assert "0 Konten" in body(client.get("/admin/benutzer?q=%25"))  # LIKE wildcards are literal
    assert client.get("/admin/benutzer?seite=99").status_code == 200


def test_grant_and_revoke_roles_is_audited(app):
    client, _ = admin_of(app)
    user = make_user(app, "mitarbeiterin@example.org", ["citizen"])
    detail = f"/admin/benutzer/{user.id}"
    response = post(client, f"{detail}/rollen", {"roles": ["staff"]}, detail)
    assert response.status_code == 302
    assert {r.role for r in rows_of(app, UserRole, "heidelberg", UserRole.user_id == user.id)} == {"staff"}
    actions = [(r.action, r.target, r.details) for r in audit_rows(app, "user.role")]
    assert actions == [("user.role_granted", "mitarbeiterin@example.org", {"role": "staff"}),
                       ("user.role_revoked", "mitarbeiterin@example.org", {"role": "citizen"})]
    staff = login_client(app, rows_of(app, User, "heidelberg", User.id == user.id)[0])
    assert staff.get("/dashboard").status_code == 200
    unknown = post(client, f"{detail}/rollen", {"roles": ["superuser"]}, detail)
    assert unknown.status_code == 400 and "superuser" in body(unknown)


def test_user_of_another_municipality_is_not_found(app):
    client, _ = admin_of(app)
    foreign = make_user(app, "fremd@mannheim.test", ["citizen"], municipality_slug="mannheim")
    assert client.get(f"/admin/benutzer/{foreign.id}").status_code == 404
    response = post(client, f"/admin/benutzer/{foreign.id}/rollen", {"roles": ["admin"]}, "/admin/benutzer")
    assert response.status_code == 404
    assert {r.role for r in rows_of(app, UserRole, "mannheim")} == {"citizen"}


def test_admin_cannot_remove_own_admin_role_or_deactivate_self(app):
    client, me = admin_of(app)
    detail = f"/admin/benutzer/{me.id}"
    response = post(client, f"{detail}/rollen", {"roles": ["staff"]}, detail)
    assert response.status_code == 400
    assert "nicht selbst entziehen" in body(response)
    assert {r.role for r in rows_of(app, UserRole, "heidelberg", UserRole.user_id == me.id)} == {"admin"}
    response = post(client, f"{detail}/status", {"active": "0"}, detail)
    assert response.status_code == 400 and "eigenes Konto nicht deaktivieren" in body(response)
    assert rows_of(app, User, "heidelberg", User.id == me.id)[0].active
    assert client.get("/admin/benutzer").status_code == 200
    assert audit_rows(app, "user.") == []
    # adding a role to oneself is fine
    assert post(client, f"{detail}/rollen", {"roles": ["admin", "staff"]}, detail).status_code == 302


def test_deactivation_ends_sessions_and_tokens_and_can_be_undone(app):
    client, _ = admin_of(app)
    user = make_user(app, "weg@example.org", ["staff"])
    their_browser = login_client(app, user)
    assert their_browser.get("/dashboard").status_code == 200
    issued = body(post(client, "/admin/tokens", {"name": "App", "scopes": ["core.account"],
                                                 "email": "weg@example.org"}))
    plain = re.search(r'value="(mash_[^"]+)"', issued).group(1)
    api = host_client(app)
    assert api.get("/api/v1/core/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200

    detail = f"/admin/benutzer/{user.id}"
    assert post(client, f"{detail}/status", {"active": "0"}, detail).status_code == 302
    assert not rows_of(app, User, "heidelberg", User.id == user.id)[0].active
    assert their_browser.get("/dashboard").status_code == 302  # signed out
    assert api.get("/api/v1/core/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 401
    assert "deaktiviert" in body(client.get("/admin/benutzer"))

    assert post(client, f"{detail}/status", {"active": "1"}, detail).status_code == 302
    assert rows_of(app, User, "heidelberg", User.id == user.id)[0].active
    assert api.get("/api/v1/core/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 200
    assert [r.action for r in audit_rows(app, "user.")] == ["user.deactivated", "user.reactivated"]


def test_plugin_roles_and_permissions_are_offered(mash_app_factory, fx_plugin):
    app = mash_app_factory(plugins=("lotsen",), extra={"fxadmin": fx_plugin})
    client, _ = admin_of(app)
    user = make_user(app, "fahrer@example.org", ["citizen"])
    detail = f"/admin/benutzer/{user.id}"
    assert "fxdriver" in body(client.get(detail))
    assert post(client, f"{detail}/rollen", {"roles": ["citizen", "fxdriver"]}, detail).status_code == 302
    matrix = body(client.get("/admin/benutzer/rollen"))
    assert "fxadmin.drive" in matrix and "lotsen.manage" in matrix and ">fxdriver<" in matrix
    assert 'value="fxdriver fxadmin.drive" id=' in matrix and "checked" in matrix.split('value="fxdriver fxadmin.drive"')[1][:200]


def test_role_permission_matrix_saves_grants_with_audit(app):
    client, _ = admin_of(app)
    page = body(client.get("/admin/benutzer/rollen"))
    # every checkbox is labelled by its row and column headers
    for match in re.finditer(r'<input type="checkbox"[^>]*>', page):
        labelled = re.search(r'aria-labelledby="(\S+) (\S+)"', match.group(0))
        assert labelled and f'id="{labelled.group(1)}"' in page and f'id="{labelled.group(2)}"' in page
    assert 'value="admin ' not in page  # admin always holds everything

    granted = {(g.role, g.permission) for g in rows_of(app, RoleGrant)}
    assert ("staff", "lotsen.manage") in granted
    wanted = (granted - {("staff", "lotsen.manage")}) | {("citizen", "core.dashboard")}
    response = post(client, "/admin/benutzer/rollen",
                    {"grant": [f"{r} {p}" for r, p in wanted] + ["admin core.admin", "citizen nope.nope"]})
    assert response.status_code == 302
    assert {(g.role, g.permission) for g in rows_of(app, RoleGrant)} == wanted
    entry = audit_rows(app, "roles.grants_changed")[-1]
    assert entry.details == {"added": ["citizen core.dashboard"], "removed": ["staff lotsen.manage"]}
    citizen = login_client(app, make_user(app, "b@example.org", ["citizen"]))
    assert citizen.get("/dashboard").status_code == 200
    # the other municipality's grants are untouched
    assert ("staff", "lotsen.manage") in {(g.role, g.permission) for g in rows_of(app, RoleGrant, "mannheim")}


def test_admin_by_grant_cannot_take_core_admin_from_themselves(app):
    with db(app) as s, municipality_context(municipality(app, "heidelberg").id):
        s.add(RoleGrant(role="staff", permission="core.admin"))
        s.commit()
    client = login_client(app, make_user(app, "it@example.org", ["staff"]))
    granted = {(g.role, g.permission) for g in rows_of(app, RoleGrant)}
    response = post(client, "/admin/benutzer/rollen",
                    {"grant": [f"{r} {p}" for r, p in granted - {("staff", "core.admin")}]})
    assert response.status_code == 400 and "core.admin" in body(response)
    assert ("staff", "core.admin") in {(g.role, g.permission) for g in rows_of(app, RoleGrant)}


# -- API tokens ------------------------------------------------------------------------------------

def _everything_in(app) -> str:
    engine = app.extensions["mash"].engine
    dump = []
    with engine.connect() as conn:
        for table in inspect(engine).get_table_names():
            dump += [repr(tuple(row)) for row in conn.execute(sql(f'SELECT * FROM "{table}"'))]
    return "\n".join(dump)


def test_token_is_shown_once_and_stored_hashed(app):
    client, _ = admin_of(app)
    response = post(client, "/admin/tokens", {"name": "Glättemeldeanlage Nord",
                                              "scopes": ["lotsen.manage", "core.dashboard"], "days": "30"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    plain = re.search(r'value="(mash_[0-9a-f]+_[^"]+)"', body(response)).group(1)
    row = rows_of(app, ApiToken)[0]
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert row.scope_list() == ["core.dashboard", "lotsen.manage"] and row.expires_at is not None
    secret = plain[len(f"mash_{row.prefix}_"):]  # the secret itself may contain "_"
    assert len(secret) >= 40
    assert plain not in _everything_in(app) and secret not in _everything_in(app)
    listing = body(client.get("/admin/tokens"))
    assert "Glättemeldeanlage Nord" in listing and f"mash_{row.prefix}_" in listing
    assert secret not in listing
    entry = audit_rows(app, "token.issued")[-1]
    assert entry.target == f"token:{row.prefix}" and secret not in repr(entry.details)
    # the shown token authenticates (a device token has no account, so /me is forbidden, not 401)
    api = host_client(app)
    assert api.get("/api/v1/core/me", headers={"Authorization": f"Bearer {plain}"}).status_code == 403
    assert api.get("/api/v1/core/me", headers={"Authorization": f"Bearer {plain}x"}).status_code == 401


@pytest.mark.parametrize("data,field", [
    ({"name": "", "scopes": ["core.admin"]}, "name"),
    ({"name": "x" * 121, "scopes": ["core.admin"]}, "name"),
    ({"name": "App"}, "scopes"),
    ({"name": "App", "scopes": ["core.admin", "root.everything"]}, "scopes"),
    ({"name": "App", "scopes": ["core.admin"], "days": "0"}, "days"),
    ({"name": "App", "scopes": ["core.admin"], "days": "zehn"}, "days"),
    ({"name": "App", "scopes": ["core.admin"], "days": "99999"}, "days"),
    ({"name": "App", "scopes": ["core.admin"], "email": "niemand@example.org"}, "email"),
])
def test_bad_token_requests_are_rejected(app, data, field):
    client, _ = admin_of(app)
    make_user(app, "fremd@mannheim.test", ["staff"], municipality_slug="mannheim")
    response = post(client, "/admin/tokens", data)
    assert response.status_code == 400
    assert f'id="token-{field}-error"' in body(response)
    assert rows_of(app, ApiToken) == [] and audit_rows(app, "token") == []


def test_token_of_other_municipality_user_is_refused(app):
    client, _ = admin_of(app)
    make_user(app, "fremd@mannheim.test", ["staff"], municipality_slug="mannheim")
    response = post(client, "/admin/tokens", {"name": "App", "scopes": ["core.account"],
                                              "email": "fremd@mannheim.test"})
    assert response.status_code == 400


def test_revoked_token_stops_working(app):
    client, _ = admin_of(app)
    make_user(app, "app@example.org", ["citizen"])
    issued = body(post(client, "/admin/tokens", {"name": "App", "scopes": ["core.account"],
                                                 "email": "app@example.org"}))
    plain = re.search(r'value="(mash_[^"]+)"', issued).group(1)
    headers = {"Authorization": f"Bearer {plain}"}
    assert host_client(app).get("/api/v1/core/me", headers=headers).status_code == 200
    row = rows_of(app, ApiToken)[0]
    assert post(client, f"/admin/tokens/{row.id}/widerrufen", {}, "/admin/tokens").status_code == 302
    assert rows_of(app, ApiToken)[0].revoked
    assert host_client(app).get("/api/v1/core/me", headers=headers).status_code == 401
    assert "widerrufen" in body(client.get("/admin/tokens"))
    assert [r.action for r in audit_rows(app, "token")] == ["token.issued", "token.revoked"]


# -- audit log -------------------------------------------------------------------------------------

def test_audit_log_is_newest_first_filterable_paginated_and_scoped(app):
    client, _ = admin_of(app)
    with db(app) as s:
        with municipality_context(municipality(app, "heidelberg").id):
            for i in range(60):
                s.add(AuditEntry(action="plugin.enabled" if i % 2 else "user.role_granted", target=f"t{i:02d}",
                                 details={"n": i, "password": "hunter2", "keys": ["a", "b"]}))
            s.flush()
        with municipality_context(municipality(app, "mannheim").id):
            s.add(AuditEntry(action="plugin.enabled", target="mannheim-secret-target"))
            s.flush()
        s.commit()
    first = body(client.get("/admin/protokoll"))
    assert "60 Einträge" in first and "Seite 1 von 2" in first
    assert first.index("t59") < first.index("t58")
    assert "hunter2" not in first and "a, b" in first
    assert "mannheim-secret-target" not in first
    filtered = body(client.get("/admin/protokoll?aktion=plugin."))
    assert "30 Einträge" in filtered and "t01" in filtered and "t02" not in filtered
    second = body(client.get("/admin/protokoll?seite=2"))
    assert "Seite 2 von 2" in second and "t09" in second and "t10" not in second and "t59" not in second
    assert "0 Einträge" in body(client.get("/admin/protokoll?aktion=_"))


def test_admin_actions_show_up_in_the_log(app):
    client, _ = admin_of(app)
    post(client, "/admin/kommunen/ortsteile", {"name": "Weststadt"}, "/admin/kommunen")
    page = body(client.get("/admin/protokoll?aktion=district"))
    assert "district.added" in page and "district:Weststadt" in page and "chef@example.org" in page


# -- feedback --------------------------------------------------------------------------------------

def test_feedback_is_listed_and_marked_handled(app):
    citizen = host_client(app)
    response = post(citizen, "/barrierefreiheit", {"message": "Kontrast der Karte zu schwach",
                                                   "page": "/wintersmart/", "email": "b@example.org"})
    assert response.status_code == 302
    with db(app) as s, municipality_context(municipality(app, "mannheim").id):
        s.add(Feedback(message="Mannheimer Rückmeldung"))
        s.commit()
    client, _ = admin_of(app)
    page = body(client.get("/admin/rueckmeldungen"))
    assert "Kontrast der Karte zu schwach" in page and "Mannheimer" not in page
    row = rows_of(app, Feedback)[0]
    assert post(client, f"/admin/rueckmeldungen/{row.id}/status", {"handled": "1"},
                "/admin/rueckmeldungen").status_code == 302
    assert rows_of(app, Feedback)[0].handled
    assert "Kontrast der Karte" not in body(client.get("/admin/rueckmeldungen"))
    assert "Kontrast der Karte" in body(client.get("/admin/rueckmeldungen?alle=1"))
    assert [r.action for r in audit_rows(app, "feedback")] == ["feedback.handled"]
    foreign = rows_of(app, Feedback, "mannheim")[0]
    assert post(client, f"/admin/rueckmeldungen/{foreign.id}/status", {"handled": "1"},
                "/admin/rueckmeldungen").status_code == 404


# -- health ----------------------------------------------------------------------------------------

def test_health_page_and_json(mash_app_factory, fx_plugin, monkeypatch):
    broken = types.ModuleType("fx_nomanifest")  # quarantined: no manifest
    app = mash_app_factory(plugins=("lotsen",), extra={"fxadmin": fx_plugin, "fxbroken": broken})
    client, _ = admin_of(app)
    app.extensions["mash"].registry.record_error("lotsen", "mash_slot_items", ValueError("kaputt"))
    report = client.get("/admin/health.json")
    assert report.status_code == 200
    data = report.get_json()
    assert data["database"]["ok"] and data["database"]["ms"] >= 0
    assert data["pending_migrations"] == {}
    assert {"slug": "fxbroken", "state": "quarantined",
            "reason": "plugin module has no `manifest = Manifest(...)`"} in data["quarantined"]
    assert {"plugin": "fxadmin", "name": "Schilder", "ok": False, "detail": "Schild 7 antwortet nicht"} in data["checks"]
    assert any(e["slug"] == "lotsen" and "kaputt" in e["message"] for e in data["plugin_errors"])
    assert data["status"] == "degraded"
    page = body(client.get("/admin/health"))
    for needle in ("SELECT 1", "fxbroken", "Schild 7 antwortet nicht", "kaputt", "Eingeschränkt"):
        assert needle in page

    monkeypatch.setattr("mash_core.admin.health.pending_by_branch", lambda mash: {"lotsen": ["lotsen0002"]})
    assert client.get("/admin/health.json").get_json()["pending_migrations"] == {"lotsen": ["lotsen0002"]}
    assert "lotsen0002" in body(client.get("/admin/health"))


def plugin_checks(data) -> list:
    return [c for c in data["checks"] if c["plugin"] != "core"]


def test_health_is_ok_on_a_clean_install(mash_app_factory):
    from mash_core.worker.leader import Leadership

    app = mash_app_factory(plugins=("lotsen",))
    client, _ = admin_of(app)
    data = client.get("/admin/health.json").get_json()
    worker = next(c for c in data["checks"] if c["plugin"] == "core" and c["name"] == "Worker")
    assert worker["ok"] is False and data["status"] == "degraded"  # no worker running yet
    lease = Leadership(app.extensions["mash"].engine, holder="test-worker")
    assert lease.try_acquire()
    try:
        data = client.get("/admin/health.json").get_json()
        assert data["status"] == "ok" and plugin_checks(data) == [] and data["quarantined"] == []
        assert all(c["ok"] for c in data["checks"])
        assert "Alles in Ordnung" in body(client.get("/admin/health"))
    finally:
        lease.release()


def test_health_check_that_raises_or_returns_garbage_is_isolated(mash_app_factory, fx_plugin):
    calls = iter([RuntimeError("check exploded"), "nonsense"])

    @hookimpl
    def flaky():
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    fx_plugin.mash_check_health = flaky
    app = mash_app_factory(plugins=(), extra={"fxadmin": fx_plugin})
    client, _ = admin_of(app)
    assert plugin_checks(client.get("/admin/health.json").get_json()) == []
    data = client.get("/admin/health.json").get_json()
    assert plugin_checks(data)[0]["ok"] is False and data["status"] == "degraded"
    with db(app) as s:
        places = {e.place for e in s.exec(select(PluginError).where(PluginError.slug == "fxadmin"))}
    assert places == {"mash_check_health"}


# -- plugin admin page sections --------------------------------------------------------------------

def test_failing_admin_section_is_left_out_and_recorded(mash_app_factory, fx_plugin):
    app = mash_app_factory(plugins=(), extra={"fxadmin": fx_plugin})
    client, _ = admin_of(app)
    response = client.get("/admin/module/fxadmin")
    assert response.status_code == 200
    page = body(response)
    assert "heile Sektion" in page and "Kaputt" not in page
    with db(app) as s:
        error = s.exec(select(PluginError).where(PluginError.slug == "fxadmin")).one()
    assert error.place == "slot admin.plugin.sections" and "section exploded" in error.message
