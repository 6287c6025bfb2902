"""Plans "Geburt eines Kindes" saved to the citizen's account: consent, login, "Meine Pläne",
recomputing, iCal, deletion, the limit, the user-data hooks and the JSON API."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlmodel import Session

from kita_support import csrf_token, outbox, post
from mash_buergerportal import saved_plans
from mash_buergerportal.plan_models import MAX_SAVED_PLANS, SavedPlan
from mash_core.api import db_session, municipality_context, select
from mash_core.testing import TEST_PASSWORD, host_client, login_client, make_user

pytestmark = pytest.mark.mash_plugins("buergerportal")

BP = "/buergerportal"
QUERY = "birth_date=2026-03-10&children=2&married=false&elternzeit_start=2026-06-01"
ANSWERS = {"birth_date": "2026-03-10", "children": "2", "married": "false", "elternzeit_start": "2026-06-01"}
API = "/api/v1/buergerportal/assistant/birth/plans"
_counter = iter(range(1_000_000))


def citizen(app, municipality_slug=None):
    return make_user(app, f"eltern{next(_counter)}@example.org", ["citizen"], municipality_slug)


def main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def rows(app, municipality_id=1) -> list[SavedPlan]:
    with app.app_context(), municipality_context(municipality_id):
        return list(db_session().exec(select(SavedPlan).order_by(SavedPlan.id)).all())


def save(client, data=None, consent=True, label=""):
    form = {**ANSWERS, **(data or {}), "label": label}
    if consent:
        form["consent"] = "1"
    return post(client, f"{BP}/geburt/plaene", form, token_from=f"{BP}/geburt/plan?{QUERY}")


def saved_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    match = re.search(r"/geburt/plaene/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def step_dates(html: str) -> list[tuple[str, list[str]]]:
    """(step id, its dates) of a plan page, in order."""
    out = []
    for block in re.findall(r'<li class="bp-step[^"]*" id="(schritt-[^"]+)">(.*?)</li>\s*(?=<li class="bp-step|</ol>)',
                            html, re.S):
        out.append((block[0], re.findall(r'<time datetime="([0-9-]+)"', block[1])))
    return out


# -- the plan page -----------------------------------------------------------------------------------
def test_anonymous_visitors_see_a_login_hint_that_keeps_the_answers(mash_app):
    client = host_client(mash_app)
    response = client.get(f"{BP}/geburt/plan?{QUERY}")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers and response.headers["Cache-Control"] == "no-store"
    html = main(response.get_data(as_text=True))
    assert 'method="post"' not in html and "csrf_token" not in html  # no form, no session
    login = re.search(r'href="(/anmelden\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    target = parse_qs(urlsplit(login).query)["next"][0]
    assert urlsplit(target).path == f"{BP}/geburt/plan"
    assert {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()} == ANSWERS
    register = re.search(r'href="(/registrieren\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(register).query)["next"] == [target]  # registering keeps the answers as well

    # signing in through that link comes back to the same plan, answers taken from the address only
    user = citizen(mash_app)
    token = csrf_token(client, login)
    done = client.post(login, data={"email": user.email, "password": TEST_PASSWORD, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"] == target
    page = main(client.get(target).get_data(as_text=True))
    assert "Plan in meinem Konto speichern" in page and 'name="consent"' in page
    assert rows(mash_app) == []  # nothing stored by visiting, signing in or showing the form


def test_a_new_parent_registers_from_the_plan_and_comes_back_to_save_it(mash_app):
    """Anonymous → "Anmelden und Plan speichern" → "Jetzt registrieren" → the confirmation link from
    the e-mail → "Weiter zur Anmeldung" → signed in on the same plan, answers intact → saved. The
    answers travel in the addresses and the signed token only."""
    client = host_client(mash_app)
    html = main(client.get(f"{BP}/geburt/plan?{QUERY}").get_data(as_text=True))
    login = re.search(r'href="(/anmelden\?next=[^"]+)"', html).group(1).replace("&amp;", "&")
    target = parse_qs(urlsplit(login).query)["next"][0]
    login_page = client.get(login).get_data(as_text=True)
    register = re.search(r'href="(/registrieren\?next=[^"]+)"', login_page).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(register).query)["next"] == [target]
    address = f"neu{next(_counter)}@example.org"
    done = post(client, register, {"email": address, "name": "", "password": "ein langes neues Passwort",
                                   "password2": "ein langes neues Passwort", "privacy": "1"}, token_from=register)
    assert done.status_code == 200 and "Fast geschafft" in done.get_data(as_text=True)

    [mail] = [m for m in outbox(mash_app) if m["To"] == address]
    link = re.search(r"http://localhost(/bestaetigen/\S+)", mail.get_content()).group(1)
    confirmed = main(client.get(link).get_data(as_text=True))
    onward = re.search(r'href="([^"]+)">Weiter zur Anmeldung<', confirmed).group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(onward).query)["next"] == [target]
    signed_in = post(client, onward, {"email": address, "password": "ein langes neues Passwort"}, token_from=onward)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == target
    assert {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()} == ANSWERS
    page = main(client.get(target).get_data(as_text=True))
    assert "Plan in meinem Konto speichern" in page
    assert rows(mash_app) == []  # nothing stored on the way
    plan_id = saved_id(save(client, label="Unser erstes Kind"))
    [row] = rows(mash_app)
    assert row.id == plan_id and row.answers["birth_date"] == "2026-03-10" and row.answers["children"] == 2


def test_signed_in_citizens_get_the_save_form_with_consent(mash_app):
    client = login_client(mash_app, citizen(mash_app))
    response = client.get(f"{BP}/geburt/plan?{QUERY}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    html = main(response.get_data(as_text=True))
    form = html[html.index(f'action="{BP}/geburt/plaene"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrf_token"' in form
    for name, value in ANSWERS.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in form
    assert '<input id="consent" name="consent" type="checkbox" value="1"' in form
    assert "checked" not in form  # consent is never preset
    assert '<label for="consent">' in form and '<label for="label">' in form
    assert "nicht gespeichert" in form and "neu berechnet" in form  # what is stored, and what is not
    assert "style=" not in html and "<script" not in html
    assert rows(mash_app) == []


# -- saving ------------------------------------------------------------------------------------------
def test_saving_requires_login_csrf_and_consent(mash_app):
    anonymous = host_client(mash_app)
    response = post(anonymous, f"{BP}/geburt/plaene", {**ANSWERS, "consent": "1"}, token_from="/anmelden")
    assert response.status_code == 302 and "/anmelden" in response.headers["Location"]
    target = parse_qs(urlsplit(response.headers["Location"]).query)["next"][0]  # back to the plan afterwards
    assert urlsplit(target).path == f"{BP}/geburt/plan"
    assert {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()} == ANSWERS
    assert rows(mash_app) == []

    client = login_client(mash_app, citizen(mash_app))
    no_csrf = client.post(f"{BP}/geburt/plaene", data={**ANSWERS, "consent": "1"})
    assert no_csrf.status_code == 400
    no_consent = save(client, consent=False, label="Unser Kind")
    assert no_consent.status_code == 422
    html = main(no_consent.get_data(as_text=True))
    assert "Bitte bestätigen Sie, dass Ihre Angaben in Ihrem Konto gespeichert werden dürfen." in html
    assert 'class="error-summary"' in html and 'href="#consent"' in html and 'aria-invalid="true"' in html
    assert 'value="Unser Kind"' in html  # what was entered is kept
    assert 'id="schritt-vaterschaft"' in html  # the plan is still shown
    too_long = save(client, label="x" * 101)
    assert too_long.status_code == 422
    assert "höchstens 100 Zeichen" in too_long.get_data(as_text=True)
    changed = save(client, {"birth_date": "31.02.2026"})  # hidden answers tampered with
    assert changed.status_code == 422 and 'id="birth_date-error"' in changed.get_data(as_text=True)
    assert rows(mash_app) == []


def test_save_stores_only_the_answers_and_recomputes_the_plan(mash_app):
    user = citizen(mash_app)
    client = login_client(mash_app, user)
    plan_id = saved_id(save(client, label="  Unser   zweites Kind "))
    [row] = rows(mash_app)
    assert row.id == plan_id and row.user_id == user.id and row.municipality_id == 1
    assert row.label == "Unser zweites Kind"
    assert row.answers == {"birth_date": "2026-03-10", "children": 2, "weeks_early": 0, "disability": False,
                           "home_birth": False, "married": False, "mother_employed": True, "elternzeit": True,
                           "elternzeit_start": "2026-06-01", "income_above_cap": False}
    assert set(SavedPlan.model_fields) == {"id", "municipality_id", "user_id", "label", "answers", "created_at"}

    page = client.get(f"{BP}/geburt/plaene/{plan_id}", follow_redirects=False)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = main(page.get_data(as_text=True))
    assert "Unser zweites Kind" in html and "in Ihrem Konto gespeichert" in html
    assert f'href="{BP}/geburt/plaene/{plan_id}.ics"' in html
    assert f'href="{BP}/geburt/plaene/{plan_id}/loeschen"' in html
    assert 'name="consent"' not in html  # already saved
    anonymous = main(host_client(mash_app).get(f"{BP}/geburt/plan?{QUERY}").get_data(as_text=True))
    assert step_dates(html) == step_dates(anonymous) and len(step_dates(html)) >= 8
    assert 'id="schritt-mehrlingszuschuss"' in html and 'id="schritt-vaterschaft"' in html

    # recomputed from the stored answers on every visit: change them, and the plan follows
    with mash_app.app_context(), municipality_context(1):
        stored = db_session().get(SavedPlan, plan_id)
        stored.answers = {**stored.answers, "children": 1, "married": True}
        db_session().add(stored)
        db_session().commit()
    html = main(client.get(f"{BP}/geburt/plaene/{plan_id}").get_data(as_text=True))
    assert 'id="schritt-mehrlingszuschuss"' not in html and 'id="schritt-vaterschaft"' not in html

    # "Meine Pläne" lists it; the change-answers link carries the stored answers
    listing = client.get(f"{BP}/geburt/plaene")
    assert listing.status_code == 200 and listing.headers["Cache-Control"] == "no-store"
    listing = main(listing.get_data(as_text=True))
    assert f'<a href="{BP}/geburt/plaene/{plan_id}">Unser zweites Kind</a>' in listing
    assert "1 von höchstens 20 Plänen gespeichert" in listing
    assert "style=" not in listing and "<script" not in listing


def test_ical_of_a_saved_plan(mash_app):
    client = login_client(mash_app, citizen(mash_app))
    plan_id = saved_id(save(client))
    response = client.get(f"{BP}/geburt/plaene/{plan_id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'filename="geburt-plan.ics"' in response.headers["Content-Disposition"]
    body = response.get_data(as_text=True)
    fresh = host_client(mash_app).get(f"{BP}/geburt/plan.ics?{QUERY}").get_data(as_text=True)

    def events(text):
        return sorted(line for line in text.split("\r\n") if line.startswith(("DTSTART", "UID:")))

    assert body.count("BEGIN:VEVENT") >= 8 and events(body) == events(fresh)


def test_invalid_stored_answers_are_kept_and_explained(mash_app):
    user = citizen(mash_app)
    with mash_app.app_context(), municipality_context(1):
        row = SavedPlan(user_id=user.id, label="Alt", answers={"birth_date": "2019-05-01", "children": 1})
        db_session().add(row)
        db_session().commit()
        plan_id = row.id
    client = login_client(mash_app, user)
    response = client.get(f"{BP}/geburt/plaene/{plan_id}")
    assert response.status_code == 200
    html = main(response.get_data(as_text=True))
    assert "kein Plan mehr berechnen" in html and "Geburtsdatum" in html
    assert f'href="{BP}/geburt?birth_date=2019-05-01&amp;children=1"' in html
    assert client.get(f"{BP}/geburt/plaene/{plan_id}.ics").status_code == 422
    assert [r.id for r in rows(mash_app)] == [plan_id]


# -- other accounts, other municipalities ------------------------------------------------------------
def test_other_users_get_404(mash_app):
    owner = login_client(mash_app, citizen(mash_app))
    plan_id = saved_id(save(owner, label="Nur meiner"))
    other = login_client(mash_app, citizen(mash_app))
    for path in (f"{BP}/geburt/plaene/{plan_id}", f"{BP}/geburt/plaene/{plan_id}.ics",
                 f"{BP}/geburt/plaene/{plan_id}/loeschen"):
        assert other.get(path).status_code == 404, path
    deleted = post(other, f"{BP}/geburt/plaene/{plan_id}/loeschen", token_from=f"{BP}/geburt/plaene")
    assert deleted.status_code == 404
    assert "Nur meiner" not in other.get(f"{BP}/geburt/plaene").get_data(as_text=True)
    assert [r.id for r in rows(mash_app)] == [plan_id]
    anonymous = host_client(mash_app).get(f"{BP}/geburt/plaene/{plan_id}")
    assert anonymous.status_code == 302 and "/anmelden" in anonymous.headers["Location"]


def test_plans_are_scoped_to_the_municipality(mash_app_factory):
    app = mash_app_factory(plugins=("buergerportal",), municipalities=("heidelberg", "mannheim"))
    owner = login_client(app, citizen(app))
    plan_id = saved_id(save(owner))
    stranger = make_user(app, "fremd@example.org", ["citizen"], "mannheim")
    client = login_client(app, stranger, host="mannheim.test")
    assert client.get(f"{BP}/geburt/plaene/{plan_id}").status_code == 404
    assert "Meine Pläne" in client.get(f"{BP}/geburt/plaene").get_data(as_text=True)
    assert rows(app, municipality_id=2) == [] and len(rows(app)) == 1


# -- deleting, the limit -----------------------------------------------------------------------------
def test_delete_asks_for_confirmation(mash_app):
    client = login_client(mash_app, citizen(mash_app))
    plan_id = saved_id(save(client, label="Weg damit"))
    confirm = client.get(f"{BP}/geburt/plaene/{plan_id}/loeschen")
    assert confirm.status_code == 200
    html = main(confirm.get_data(as_text=True))
    assert "„Weg damit“" in html and "wirklich löschen" in html
    assert f'<form method="post" action="{BP}/geburt/plaene/{plan_id}/loeschen"' in html
    assert 'name="csrf_token"' in html
    assert len(rows(mash_app)) == 1  # asking deletes nothing
    assert client.post(f"{BP}/geburt/plaene/{plan_id}/loeschen").status_code == 400  # no CSRF token
    done = post(client, f"{BP}/geburt/plaene/{plan_id}/loeschen", token_from=f"{BP}/geburt/plaene/{plan_id}/loeschen")
    assert done.status_code == 302 and done.headers["Location"].endswith(f"{BP}/geburt/plaene")
    assert rows(mash_app) == []
    page = client.get(f"{BP}/geburt/plaene").get_data(as_text=True)
    assert "Der Plan „Weg damit“ ist gelöscht." in page and "Sie haben noch keinen Plan gespeichert." in page
    assert client.get(f"{BP}/geburt/plaene/{plan_id}").status_code == 404


def test_number_of_plans_per_account_is_limited(mash_app):
    user = citizen(mash_app)
    with mash_app.test_request_context(), municipality_context(1):
        loaded = {"birth_date": date(2026, 3, 10), "children": 1}
        for n in range(MAX_SAVED_PLANS - 1):
            saved_plans.save(user, loaded, f"Plan {n}", consent=True)
    client = login_client(mash_app, user)
    saved_id(save(client, label="Der zwanzigste"))
    refused = save(client, label="Einer zu viel")
    assert refused.status_code == 422
    html = main(refused.get_data(as_text=True))
    assert "Sie haben bereits 20 Pläne gespeichert" in html and "Meine Pläne" in html
    assert 'value="Einer zu viel"' in html
    assert len(rows(mash_app)) == MAX_SAVED_PLANS
    other = login_client(mash_app, citizen(mash_app))  # the limit is per account
    saved_id(save(other))
    # after deleting one, saving works again
    first = rows(mash_app)[0].id
    post(client, f"{BP}/geburt/plaene/{first}/loeschen", token_from=f"{BP}/geburt/plaene")
    saved_id(save(client, label="Wieder Platz"))


# -- personal data: export and account deletion -----------------------------------------------------
def test_export_and_account_deletion(mash_app):
    user, keeper = citizen(mash_app), citizen(mash_app)
    client = login_client(mash_app, user)
    saved_id(save(client, label="Für den Export"))
    saved_id(save(login_client(mash_app, keeper), label="Bleibt"))
    exported = client.get("/konto/export").get_json()["plugins"]["buergerportal"]["saved_birth_plans"]
    assert len(exported) == 1 and exported[0]["label"] == "Für den Export"
    assert exported[0]["answers"]["birth_date"] == "2026-03-10" and exported[0]["answers"]["children"] == 2
    assert "created_at" in exported[0] and "steps" not in exported[0]
    account = client.get("/konto/").get_data(as_text=True)
    assert "Meine Pläne: Geburt eines Kindes" in account and f'href="{BP}/geburt/plaene"' in account

    response = post(client, "/konto/loeschen", {"password": TEST_PASSWORD}, token_from="/konto/")
    assert response.status_code == 302
    assert [r.label for r in rows(mash_app)] == ["Bleibt"]


# -- JSON API ----------------------------------------------------------------------------------------
def token_for(app, user, scopes=("core.account",)) -> dict:
    from mash_core.identity.tokens import issue_token
    with Session(app.extensions["mash"].engine) as session, municipality_context(user.municipality_id):
        _, plain = issue_token(session, "app", list(scopes), user=user)
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_for_the_accounts_saved_plans(mash_app):
    user, other = citizen(mash_app), citizen(mash_app)
    client = host_client(mash_app)
    auth, other_auth = token_for(mash_app, user), token_for(mash_app, other)
    assert client.get(API).status_code == 401
    assert client.get(API, headers=token_for(mash_app, user, ("buergerportal.kita",))).status_code == 403

    body = {"birth_date": "10.03.2026", "children": 2, "married": False, "label": "Per App"}
    refused = client.post(API, json=body, headers=auth)
    assert refused.status_code == 422 and "consent" in refused.get_json()["errors"]["json"]
    refused = client.post(API, json={**body, "consent": False}, headers=auth)
    assert refused.status_code == 422
    invalid = client.post(API, json={**body, "birth_date": "2026-02-30", "consent": True}, headers=auth)
    assert invalid.status_code == 422 and "birth_date" in invalid.get_json()["errors"]["json"]
    assert rows(mash_app) == []

    created = client.post(API, json={**body, "consent": True}, headers=auth)
    assert created.status_code == 201, created.get_json()
    plan = created.get_json()
    assert plan["label"] == "Per App" and plan["answers"]["birth_date"] == "2026-03-10"
    assert plan["url"] == f"{BP}/geburt/plaene/{plan['id']}"
    listed = client.get(API, headers=auth)
    assert listed.status_code == 200 and [p["id"] for p in listed.get_json()] == [plan["id"]]
    assert listed.headers["Cache-Control"] == "no-store"
    detail = client.get(f"{API}/{plan['id']}", headers=auth).get_json()
    keys = {step["key"] for step in detail["plan"]["steps"]}
    assert {"mehrlingszuschuss", "vaterschaft", "elterngeld"} <= keys and detail["errors"] == {}

    assert client.get(f"{API}/{plan['id']}", headers=other_auth).status_code == 404
    assert client.delete(f"{API}/{plan['id']}", headers=other_auth).status_code == 404
    assert client.get(API, headers=other_auth).get_json() == []
    assert client.delete(f"{API}/{plan['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/{plan['id']}", headers=auth).status_code == 404
    assert rows(mash_app) == []


def test_api_limit_answers_409(mash_app):
    user = citizen(mash_app)
    with mash_app.test_request_context(), municipality_context(1):
        for n in range(MAX_SAVED_PLANS):
            saved_plans.save(user, {"birth_date": date(2026, 3, 10)}, f"Plan {n}", consent=True)
    response = host_client(mash_app).post(API, json={"birth_date": "2026-03-10", "consent": True},
                                          headers=token_for(mash_app, user))
    assert response.status_code == 409 and "20" in response.get_json()["message"]
    assert len(rows(mash_app)) == MAX_SAVED_PLANS


def test_api_is_documented_and_valid(mash_app):
    from openapi_spec_validator import validate
    spec = host_client(mash_app).get("/api/openapi.json").get_json()
    validate(spec)
    assert {"get", "post"} <= set(spec["paths"][API]) and {"get", "delete"} <= set(spec["paths"][API + "/{plan_id}"])
