"""Identity: registration with e-mail confirmation, login, throttling, sessions, CSRF, account
data export and deletion, scoped API tokens."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlmodel import Session, select

from fixture_plugins import csrf_token, load, other_worker, post_form, text
from mash_core.app import create_app
from mash_core.config import Settings
from mash_core.db import UNSCOPED
from mash_core.identity import views as identity_views
from mash_core.identity.tokens import issue_token
from mash_core.models import ApiToken, LoginAttempt, User, UserRole
from mash_core.tenancy import municipality_context
from mash_core.testing import TEST_PASSWORD, build_registry, host_client, login_client, make_user

NEW_PASSWORD = "ein ganz anderes langes Passwort"


@pytest.fixture
def app(mash_app_factory):
    return mash_app_factory(plugins=("lotsen",), extra={"fxapi": load("fx_api")})


def engine_of(app):
    return app.extensions["mash"].engine


def users(app) -> dict[str, User]:
    with Session(engine_of(app)) as session:
        return {u.email: u for u in session.exec(select(User), execution_options=UNSCOPED)}


def outbox(app) -> list[email.message.EmailMessage]:
    folder = app.extensions["mash"].settings.instance / "outbox"
    files = sorted(folder.glob("*.eml")) if folder.is_dir() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def register(client, **fields):
    data = {"email": "neu@example.org", "name": "Neu", "password": NEW_PASSWORD,
            "password2": NEW_PASSWORD, "privacy": "1", **fields}
    return post_form(client, "/registrieren", data, token_from="/registrieren")


def login(client, email_, password):
    return post_form(client, "/anmelden", {"email": email_, "password": password}, token_from="/anmelden")


# -- registration and confirmation ---------------------------------------------------------------


@pytest.mark.parametrize("fields,error", [
    ({"email": "kein-at-zeichen"}, "gültige E-Mail-Adresse"),
    ({"password": "kurz", "password2": "kurz"}, "mindestens 10 Zeichen"),
    ({"password2": "etwas anderes hier"}, "stimmen nicht überein"),
    ({"privacy": ""}, "Datenschutzhinweise gelesen"),
])
def test_registration_validation(app, fields, error):
    response = register(host_client(app), **fields)
    assert response.status_code == 400
    page = text(response)
    assert error in page and 'aria-invalid="true"' in page
    assert "neu@example.org" not in users(app)
    assert outbox(app) == []


def test_register_confirm_login(app):
    client = host_client(app)
    response = register(client, email="Neu@Example.org")
    assert response.status_code == 200 and "Fast geschafft" in text(response)
    user = users(app)["neu@example.org"]
    assert user.confirmed_at is None
    assert user.password_hash.startswith("$argon2id$") and NEW_PASSWORD not in user.password_hash
    with Session(engine_of(app)) as session:
        roles = session.exec(select(UserRole.role).where(UserRole.user_id == user.id),
                             execution_options=UNSCOPED).all()
    assert roles == ["citizen"]

    # unconfirmed: cannot sign in
    refused = login(client, "neu@example.org", NEW_PASSWORD)
    assert refused.status_code == 400 and "bestätigen Sie zuerst" in text(refused)

    # the confirmation link arrives through the file notifier
    [mail] = outbox(app)
    assert mail["To"] == "neu@example.org"
    link = re.search(r"http://localhost(/bestaetigen/\S+)", mail.get_content()).group(1)
    assert client.get(link.replace("/bestaetigen/", "/bestaetigen/x")).status_code == 400  # tampered
    confirmed = client.get(link)
    assert confirmed.status_code == 200
    assert users(app)["neu@example.org"].confirmed_at is not None

    signed_in = post_form(client, "/anmelden?next=//evil.example/x",
                          {"email": "neu@example.org", "password": NEW_PASSWORD}, token_from="/anmelden")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"  # no open redirect
    assert client.get("/konto/").status_code == 200


PLAN = "/lotsen/?birth_date=2026-03-10&children=2&married=false"  # a page whose answers live in its address


def main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def confirm_link(app, address: str) -> str:
    [mail] = [m for m in outbox(app) if m["To"] == address]
    return re.search(r"http://localhost(/bestaetigen/\S+)", mail.get_content()).group(1)


def token_data(link: str) -> dict:
    from itsdangerous import URLSafeTimedSerializer
    return URLSafeTimedSerializer("unused").loads_unsafe(link.rsplit("/", 1)[1])[1]


def test_registration_keeps_next_through_confirmation_and_login(app):
    """Anonymous on a page with answers in its address → login → "Jetzt registrieren" → confirmation
    link from the e-mail → "Weiter zur Anmeldung" → back on that page, answers intact. Nothing is
    stored but the signed token."""
    client = host_client(app)
    login_page = text(client.get("/anmelden", query_string={"next": PLAN}))
    register_href = re.search(r'href="(/registrieren\?next=[^"]+)"', login_page).group(1)
    assert parse_qs(urlsplit(register_href).query)["next"] == [PLAN]

    form = text(client.get(register_href))
    assert f'<input type="hidden" name="next" value="{PLAN}">' in form
    # the hidden field alone carries it (the form could be posted to a bare /registrieren)
    done = post_form(client, "/registrieren", {"email": "eltern@example.org", "name": "", "password": NEW_PASSWORD,
                                              "password2": NEW_PASSWORD, "privacy": "1", "next": PLAN},
                     token_from=register_href)
    assert done.status_code == 200 and "Fast geschafft" in text(done)
    link = confirm_link(app, "eltern@example.org")
    assert token_data(link)["next"] == PLAN  # signed into the token, not kept on the server

    fresh = host_client(app)  # e.g. the e-mail opened in another browser: no session needed
    confirmed = text(fresh.get(link))
    assert "Ihr Konto ist bestätigt" in confirmed
    onward = re.search(r'<a class="button" href="([^"]+)">Weiter zur Anmeldung</a>', confirmed).group(1)
    assert urlsplit(onward).path == "/anmelden" and parse_qs(urlsplit(onward).query)["next"] == [PLAN]
    signed_in = post_form(fresh, onward, {"email": "eltern@example.org", "password": NEW_PASSWORD}, token_from=onward)
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == PLAN

    # a tampered token (another target) is refused as a whole
    body, _, signature = link.rpartition(".")
    assert fresh.get(body + "x." + signature).status_code == 400


def test_registration_without_next_links_to_the_plain_login(app):
    client = host_client(app)
    assert 'href="/registrieren"' in text(client.get("/anmelden"))
    assert 'name="next"' not in text(client.get("/registrieren"))
    register(client)
    link = confirm_link(app, "neu@example.org")
    assert "next" not in token_data(link)
    page = text(client.get(link))
    assert 'href="/anmelden"' in page and "Weiter zur Anmeldung" not in page


@pytest.mark.parametrize("target", ["//evil.example", "//evil.example/x", "https://evil.example",
                                    "https://evil.example/", "/\\evil", "/\\/evil.example", "\\\\evil.example",
                                    "/\t/evil.example", "/\n/evil.example", " //evil.example", "javascript:alert(1)",
                                    "evil.example", "http:/evil.example", "/" + "a" * 2001])
def test_open_redirects_are_dropped_everywhere(app, target):
    client = host_client(app)
    # login: back to the start page, and the registration link does not pass it on
    login_page = main(text(client.get("/anmelden", query_string={"next": target})))
    assert 'href="/registrieren"' in login_page and "evil" not in login_page
    make_user(app, "da@example.org", ["citizen"])
    signed_in = post_form(client, "/anmelden?" + urlencode({"next": target}),
                          {"email": "da@example.org", "password": TEST_PASSWORD}, token_from="/anmelden")
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/"

    # the language switch, which returns to the page it was chosen on, checks the same way
    switched = host_client(app).get("/sprache/en?" + urlencode({"next": target}))
    assert switched.status_code == 302 and switched.headers["Location"] == "/"

    # registration: neither the form, nor the token, nor the confirmation page carries it
    other = host_client(app)
    assert 'name="next"' not in main(text(other.get("/registrieren", query_string={"next": target})))
    post_form(other, "/registrieren?" + urlencode({"next": target}),
              {"email": "neu@example.org", "name": "", "password": NEW_PASSWORD, "password2": NEW_PASSWORD,
               "privacy": "1", "next": target}, token_from="/registrieren")
    link = confirm_link(app, "neu@example.org")
    assert "next" not in token_data(link)
    page = main(text(other.get(link)))
    assert "Ihr Konto ist bestätigt" in page and "evil" not in page and 'href="/anmelden"' in page


def test_a_signed_token_with_a_foreign_next_is_not_followed(app):
    """Even a validly signed token (e.g. from before a tightened rule) leads only to local paths."""
    client = host_client(app)
    register(client)
    user = users(app)["neu@example.org"]
    with app.test_request_context():
        token = identity_views._serializer().dumps({"uid": user.id, "email": user.email, "next": "/\\evil.example"})
    page = main(text(client.get(f"/bestaetigen/{token}")))
    assert "Ihr Konto ist bestätigt" in page and "evil" not in page and "Weiter zur Anmeldung" not in page


def test_existing_account_mail_links_to_the_login_with_next(app):
    make_user(app, "vorhanden@example.org", ["citizen"])
    client = host_client(app)
    post_form(client, "/registrieren", {"email": "vorhanden@example.org", "name": "", "password": NEW_PASSWORD,
                                        "password2": NEW_PASSWORD, "privacy": "1", "next": PLAN},
              token_from="/registrieren?" + urlencode({"next": PLAN}))
    [mail] = [m for m in outbox(app) if m["To"] == "vorhanden@example.org"]
    login_link = re.search(r"http://localhost(/anmelden\S*)", mail.get_content()).group(1)
    assert parse_qs(urlsplit(login_link).query)["next"] == [PLAN]


def test_registration_does_not_reveal_existing_accounts(app):
    make_user(app, "vorhanden@example.org", ["citizen"])
    before = users(app)["vorhanden@example.org"].password_hash

    def normalised(response, address):
        body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
        return body.replace(address, "ADDRESS")

    new = register(host_client(app), email="frisch@example.org")
    existing = register(host_client(app), email="vorhanden@example.org")
    assert new.status_code == existing.status_code == 200
    assert normalised(new, "frisch@example.org") == normalised(existing, "vorhanden@example.org")
    assert users(app)["vorhanden@example.org"].password_hash == before  # nothing was overwritten
    # the owner of the existing account is told, instead of the page saying so
    mails = {m["To"]: m for m in outbox(app)}
    assert set(mails) == {"frisch@example.org", "vorhanden@example.org"}
    assert "bereits ein Konto" in mails["vorhanden@example.org"]["Subject"]


def test_registering_again_resends_the_confirmation_link(app):
    register(host_client(app), email="zweimal@example.org")
    register(host_client(app), email="zweimal@example.org")
    mails = [m for m in outbox(app) if m["To"] == "zweimal@example.org"]
    assert len(mails) == 2 and all("bestätigen" in m["Subject"] for m in mails)


def test_mail_outage_is_reported_and_keeps_the_account(app, monkeypatch):
    def broken(settings, message):
        raise ConnectionRefusedError("smtp down")

    monkeypatch.setattr(identity_views, "send", broken)
    page = register(host_client(app), email="spaeter@example.org")
    assert page.status_code == 200
    assert "konnte gerade nicht versendet werden" in page.get_data(as_text=True)
    assert "spaeter@example.org" in users(app)


# -- login, throttling, sessions, CSRF -----------------------------------------------------------


def test_login_throttling_is_shared_between_workers(app, monkeypatch):
    make_user(app, "ziel@example.org", ["citizen"])
    # argon2 is deliberately slow; the throttle is what is under test here
    monkeypatch.setattr(identity_views, "verify_password", lambda hashed, password: password == TEST_PASSWORD)
    app2, engine2 = other_worker(app, ("lotsen",), {"fxapi": load("fx_api")})
    try:
        worker1, worker2 = host_client(app), host_client(app2)
        for client in (worker1, worker2, worker1, worker2, worker1):
            assert login(client, "ziel@example.org", "falsch falsch falsch").status_code == 400
        sixth = login(worker2, "ziel@example.org", TEST_PASSWORD)  # even the right password
        assert sixth.status_code == 429 and "Zu viele" in text(sixth)
        assert login(worker1, "ZIEL@example.org ", TEST_PASSWORD).status_code == 429
        # another account from another address is not affected
        make_user(app, "andere@example.org", ["citizen"])
        ok = login(host_client(app), "andere@example.org", TEST_PASSWORD)
        assert ok.status_code == 302
    finally:
        engine2.dispose()
    with Session(engine_of(app)) as session:
        hashes = {a.email_hash for a in session.exec(select(LoginAttempt), execution_options=UNSCOPED)}
    assert hashlib.sha256(b"ziel@example.org").hexdigest() in hashes  # addresses are stored hashed


def test_successful_login_clears_failures(app, monkeypatch):
    make_user(app, "ziel@example.org", ["citizen"])
    monkeypatch.setattr(identity_views, "verify_password", lambda hashed, password: password == TEST_PASSWORD)
    client = host_client(app)
    for _ in range(4):
        login(client, "ziel@example.org", "falsch falsch falsch")
    assert login(client, "ziel@example.org", TEST_PASSWORD).status_code == 302
    for _ in range(4):
        assert login(host_client(app), "ziel@example.org", "falsch falsch falsch").status_code == 400


def test_post_without_csrf_token_is_rejected(app):
    client = host_client(app)
    client.get("/anmelden")
    assert client.post("/anmelden", data={"email": "a@example.org", "password": "x" * 12}).status_code == 400
    assert client.post("/sprache", data={"lang": "en"}).status_code == 400
    assert client.post("/registrieren", data={"email": "a@example.org"}).status_code == 400
    user_client = login_client(app, make_user(app, "c@example.org", ["citizen"]))
    assert user_client.post("/konto/loeschen", data={"password": TEST_PASSWORD}).status_code == 400
    assert "c@example.org" in users(app)
    bad = user_client.post("/abmelden", data={"csrf_token": "forged"})
    assert bad.status_code == 400 and user_client.get("/konto/").status_code == 200


def _cookie_header(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("mash_session="))


def test_session_cookie_flags(app):
    header = _cookie_header(host_client(app).get("/anmelden"))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Secure" not in header

    mash = app.extensions["mash"]
    secure = create_app(dataclasses.replace(mash.settings, secure_cookies=True), build_registry(("lotsen",)),
                        mash.engine)
    secure.config.update(TESTING=True)
    header = _cookie_header(host_client(secure).get("/anmelden"))
    assert "Secure" in header and "HttpOnly" in header and "SameSite=Lax" in header


def test_secure_cookies_setting_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MASH_SECURE_COOKIES", "1")
    assert Settings.from_env(instance=tmp_path, secret_key="k").secure_cookies is True
    monkeypatch.setenv("MASH_SECURE_COOKIES", "0")
    assert Settings.from_env(instance=tmp_path, secret_key="k").secure_cookies is False


def test_login_sets_a_fresh_session_and_logout_ends_it(app, monkeypatch):
    make_user(app, "bürger@example.org", ["citizen"])
    monkeypatch.setattr(identity_views, "verify_password", lambda hashed, password: password == TEST_PASSWORD)
    client = host_client(app)
    client.get("/anmelden")
    before = client.get_cookie("mash_session", domain="localhost").value
    response = login(client, "bürger@example.org", TEST_PASSWORD)
    assert response.status_code == 302
    assert "HttpOnly" in _cookie_header(response)
    assert client.get_cookie("mash_session", domain="localhost").value != before
    assert client.get("/konto/").status_code == 200
    assert post_form(client, "/abmelden", token_from="/konto/").status_code == 302
    assert client.get("/konto/").status_code == 302


def test_password_change_ends_other_sessions(app):
    user = make_user(app, "wechsel@example.org", ["citizen"])
    here, elsewhere = login_client(app, user), login_client(app, user)
    assert elsewhere.get("/konto/").status_code == 200

    wrong = post_form(here, "/konto/passwort", {"current": "nicht das passwort", "password": NEW_PASSWORD,
                                               "password2": NEW_PASSWORD}, token_from="/konto/")
    assert wrong.status_code == 302 and elsewhere.get("/konto/").status_code == 200

    changed = post_form(here, "/konto/passwort", {"current": TEST_PASSWORD, "password": NEW_PASSWORD,
                                                 "password2": NEW_PASSWORD}, token_from="/konto/")
    assert changed.status_code == 302
    assert here.get("/konto/").status_code == 200  # this session goes on
    ended = elsewhere.get("/konto/")
    assert ended.status_code == 302 and "/anmelden" in ended.headers["Location"]
    stored = users(app)["wechsel@example.org"]
    assert stored.session_epoch == user.session_epoch + 1 and stored.password_hash.startswith("$argon2id$")


# -- the citizen's own data ----------------------------------------------------------------------


def _token_for(app, user, name, scopes, **kwargs):
    with Session(engine_of(app)) as session, municipality_context(user.municipality_id):
        row, plain = issue_token(session, name, scopes, user=user, **kwargs)
        session.commit()
        return row.id, plain


def test_export_contains_own_data_only(app):
    me = make_user(app, "ich@example.org", ["citizen"])
    other = make_user(app, "nachbar@example.org", ["citizen"])
    _token_for(app, me, "mein-handy", ["core.account"])
    _token_for(app, other, "nachbars-handy", ["core.account"])
    response = login_client(app, me).get("/konto/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_json()
    assert data["account"]["email"] == "ich@example.org" and data["account"]["roles"] == ["citizen"]
    assert [t["name"] for t in data["api_tokens"]] == ["mein-handy"]
    assert data["plugins"]["fxapi"] == {"fixture_user_id": me.id, "fixture_email": "ich@example.org"}
    body = response.get_data(as_text=True)
    assert "nachbar" not in body and "password" not in body and "$argon2" not in body
    assert login_client(app, other).get("/konto/export").get_json()["account"]["email"] == "nachbar@example.org"


def test_account_deletion_removes_user_roles_tokens_and_plugin_data(app):
    fx_api = load("fx_api")
    fx_api.DELETED.clear()
    me = make_user(app, "weg@example.org", ["citizen", "staff"])
    other = make_user(app, "bleibt@example.org", ["citizen"])
    _token_for(app, me, "weg-token", [])
    _token_for(app, other, "bleibt-token", [])
    client = login_client(app, me)

    wrong = post_form(client, "/konto/loeschen", {"password": "falsches passwort"}, token_from="/konto/")
    assert wrong.status_code == 302 and "weg@example.org" in users(app)

    done = post_form(client, "/konto/loeschen", {"password": TEST_PASSWORD}, token_from="/konto/")
    assert done.status_code == 302
    assert fx_api.DELETED == [me.id]
    assert set(users(app)) == {"bleibt@example.org"}
    with Session(engine_of(app)) as session:
        roles = session.exec(select(UserRole), execution_options=UNSCOPED).all()
        tokens = session.exec(select(ApiToken), execution_options=UNSCOPED).all()
    assert {r.user_id for r in roles} == {other.id}
    assert [t.name for t in tokens] == ["bleibt-token"]
    assert client.get("/konto/").status_code == 302  # signed out


def test_failing_plugin_aborts_deletion_without_deleting_anything(app, monkeypatch):
    me = make_user(app, "bleiben@example.org", ["citizen"])
    impl = next(i for i in app.extensions["mash"].registry.pm.hook.mash_delete_user_data.get_hookimpls()
                if i.plugin_name == "fxapi")

    def refuse(user):
        raise RuntimeError("cannot delete bookings right now")

    monkeypatch.setattr(impl, "function", refuse)
    client = login_client(app, me)
    response = post_form(client, "/konto/loeschen", {"password": TEST_PASSWORD}, token_from="/konto/",
                         follow_redirects=True)
    assert response.status_code == 200
    assert "nicht gelöscht" in text(response)
    assert "bleiben@example.org" in users(app)
    assert client.get("/konto/").status_code == 200  # still signed in
    assert "cannot delete bookings" in app.extensions["mash"].registry.records["fxapi"].last_error


def test_admin_cannot_delete_own_account(app):
    admin = make_user(app, "chef@example.org", ["admin"])
    client = login_client(app, admin)
    post_form(client, "/konto/loeschen", {"password": TEST_PASSWORD}, token_from="/konto/")
    assert "chef@example.org" in users(app)


# -- API tokens ----------------------------------------------------------------------------------


def bearer(plain):
    return {"Authorization": f"Bearer {plain}"}


def test_token_authenticates_and_only_its_hash_is_stored(app):
    staff = make_user(app, "geraet@example.org", ["staff"])
    token_id, plain = _token_for(app, staff, "tablet", ["core.dashboard"])
    me = host_client(app).get("/api/v1/core/me", headers=bearer(plain))
    assert me.status_code == 200
    assert me.get_json()["email"] == "geraet@example.org" and me.get_json()["roles"] == ["staff"]
    with Session(engine_of(app)) as session:
        row = session.exec(select(ApiToken).where(ApiToken.id == token_id), execution_options=UNSCOPED).one()
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    secret_part = plain.split("_", 2)[2]
    assert all(secret_part not in str(value) for value in row.model_dump().values())
    assert row.last_used_at is not None


def test_token_scopes_limit_permissions(app):
    staff = make_user(app, "s@example.org", ["staff"])
    citizen = make_user(app, "c@example.org", ["citizen"])
    admin = make_user(app, "a@example.org", ["admin"])
    client = host_client(app)

    def status(user, scopes):
        _, plain = _token_for(app, user, "t", scopes)
        return client.get("/api/v1/fxapi/secret", headers=bearer(plain)).status_code

    assert status(staff, ["fxapi.read"]) == 200  # staff holds fxapi.read by default
    assert status(staff, ["core.dashboard"]) == 403  # the token's scope does not cover it
    assert status(admin, ["core.dashboard"]) == 403  # not even for an admin
    assert status(admin, ["fxapi.read"]) == 200
    assert status(citizen, ["fxapi.read"]) == 403  # the scope cannot add what the user lacks

    with Session(engine_of(app)) as session, municipality_context(1):
        _, device = issue_token(session, "sensor", ["fxapi.read"])  # a device token without user
        session.commit()
    assert client.get("/api/v1/fxapi/secret", headers=bearer(device)).get_json() == {"secret": "42"}
    assert client.get("/api/v1/core/me", headers=bearer(device)).status_code == 403


def test_revoked_expired_and_bad_tokens_get_401_json(app):
    user = make_user(app, "t@example.org", ["staff"])
    revoked_id, revoked = _token_for(app, user, "alt", ["core.dashboard"])
    _, expired = _token_for(app, user, "abgelaufen", ["core.dashboard"],
                            expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    _, valid = _token_for(app, user, "gut", ["core.dashboard"])
    with Session(engine_of(app)) as session:
        row = session.exec(select(ApiToken).where(ApiToken.id == revoked_id), execution_options=UNSCOPED).one()
        row.revoked = True
        session.add(row)
        session.commit()
    client = host_client(app)
    prefix = valid.split("_")[1]
    for plain in (revoked, expired, "garbage", "mash_nope_nope", f"mash_{prefix}_not-the-secret", valid + "x"):
        response = client.get("/api/v1/core/me", headers=bearer(plain))
        assert response.status_code == 401, plain
        assert response.is_json and response.get_json()["code"] == 401
    missing = client.get("/api/v1/core/me")
    assert missing.status_code == 401 and "Bearer" in missing.get_json()["message"]
    assert client.get("/api/v1/core/me", headers=bearer(valid)).status_code == 200


def test_session_cookie_does_not_authenticate_the_api(app):
    client = login_client(app, make_user(app, "web@example.org", ["admin"]))
    assert client.get("/konto/").status_code == 200
    assert client.get("/api/v1/core/me").status_code == 401
    assert client.get("/api/v1/fxapi/secret").status_code == 401
