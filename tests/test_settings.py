"""Plugin settings: default < admin value < environment lock, the admin form, secrets."""

from __future__ import annotations

import logging

import marshmallow as ma
import pytest
from sqlmodel import Session, select

from fixture_plugins import csrf_token, load, text
from mash_core import settings as plugin_settings
from mash_core.db import UNSCOPED
from mash_core.models import AuditEntry, PluginSetting
from mash_core.tenancy import municipality_context
from mash_core.testing import host_client, login_client, make_user

SECRET = "s3cr3t-Wert-4711"
FORM = "/admin/module/fxset"
SAVE = "/admin/module/fxset/einstellungen"


@pytest.fixture
def app(mash_app_factory):
    return mash_app_factory(plugins=("lotsen",), extra={"fxset": load("fx_settings")})


@pytest.fixture
def admin(app):
    return login_client(app, make_user(app, "admin@example.org", ["admin"]))


def resolved(app, slug="fxset"):
    schema = app.extensions["mash"].registry.records[slug].manifest.settings
    with Session(app.extensions["mash"].engine) as session, municipality_context(1):
        return plugin_settings.resolve(session, slug, schema)


def save(admin, **data):
    payload = {"greeting": "Hallo", "threshold": "5", **data}
    payload["csrf_token"] = csrf_token(admin, FORM)
    return admin.post(SAVE, data=payload)


def field_block(html: str, key: str) -> str:
    return html.split(f'id="s-{key}"', 1)[1].split('class="field', 1)[0]


def test_defaults_then_admin_value_then_environment_lock(app, admin, monkeypatch):
    values = resolved(app)
    assert (values["threshold"].value, values["threshold"].source) == (5, "default")
    assert (values["greeting"].value, values["greeting"].source) == ("Hallo", "default")
    assert "Quelle: Standardwert" in field_block(text(admin.get(FORM)), "threshold")

    assert save(admin, threshold="7").status_code == 302
    values = resolved(app)
    assert (values["threshold"].value, values["threshold"].source) == (7, "admin")
    assert "Quelle: von der Verwaltung gesetzt" in field_block(text(admin.get(FORM)), "threshold")

    monkeypatch.setenv("MASH_SETTING_FXSET_THRESHOLD", "9")
    values = resolved(app)
    assert (values["threshold"].value, values["threshold"].source) == (9, "locked")
    block = field_block(text(admin.get(FORM)), "threshold")
    assert "Quelle: durch Konfiguration festgelegt" in block and "disabled" in block

    monkeypatch.setenv("MASH_SETTING_FXSET_GREETING", "Moin")
    assert resolved(app)["greeting"].value == "Moin"


def test_plugins_read_the_effective_value(app, monkeypatch):
    from mash_core.api import get_setting, get_settings

    with app.test_request_context("/"), municipality_context(1):
        assert get_settings("fxset")["threshold"] == 5
        monkeypatch.setenv("MASH_SETTING_FXSET_LOUD", "true")
        assert get_setting("fxset", "loud") is True


def test_locked_field_is_refused(app, admin, monkeypatch):
    monkeypatch.setenv("MASH_SETTING_FXSET_THRESHOLD", "9")
    # through the form: the locked value is ignored, the others are saved
    assert save(admin, threshold="50", greeting="Servus").status_code == 302
    values = resolved(app)
    assert values["threshold"].value == 9 and values["greeting"].value == "Servus"
    with Session(app.extensions["mash"].engine) as session:
        keys = {r.key for r in session.exec(select(PluginSetting), execution_options=UNSCOPED)}
    assert "threshold" not in keys and "greeting" in keys

    # through the settings API of the core: a validation error naming the field
    schema = app.extensions["mash"].registry.records["fxset"].manifest.settings
    with Session(app.extensions["mash"].engine) as session, municipality_context(1):
        with pytest.raises(ma.ValidationError) as err:
            plugin_settings.save(session, "fxset", schema, {"threshold": 50})
    assert err.value.messages == {"threshold": ["locked by configuration"]}


def test_invalid_value_gives_400_with_the_field_error(app, admin):
    response = save(admin, threshold="1000")
    assert response.status_code == 400
    block = field_block(text(response), "threshold")
    assert 'aria-invalid="true"' in block
    assert "Muss mindestens 1 und höchstens 100 sein." in block  # marshmallow's message, in German
    response = save(admin, threshold="viele")
    assert response.status_code == 400 and "Bitte eine ganze Zahl angeben." in text(response)
    assert resolved(app)["threshold"].source == "default"

    schema = app.extensions["mash"].registry.records["fxset"].manifest.settings
    with Session(app.extensions["mash"].engine) as session, municipality_context(1):
        with pytest.raises(ma.ValidationError) as err:
            plugin_settings.save(session, "fxset", schema, {"nonsense": 1})
    assert "nonsense" in err.value.messages


def test_a_choice_is_offered_as_a_list_and_nothing_else_is_accepted(app, admin):
    block = field_block(text(admin.get(FORM)), "mode")
    assert block.lstrip().startswith('name="mode"')  # the id belongs to a <select>
    html = admin.get(FORM).get_data(as_text=True)
    select = html.split('<select id="s-mode"', 1)[1].split("</select>", 1)[0]
    options = [o.split(">", 1) for o in select.split("<option ")[1:]]
    assert [(o[0].strip(), o[1].split("<", 1)[0]) for o in options] == [
        ('value="fast" selected', "Fast"), ('value="exact"', "exact")]  # an empty label shows the value
    assert save(admin, mode="exact").status_code == 302
    assert resolved(app)["mode"].value == "exact"
    assert 'value="exact" selected' in admin.get(FORM).get_data(as_text=True)
    response = save(admin, mode="schnell")  # a hand-made request
    assert response.status_code == 400 and "Erlaubt sind: fast, exact." in field_block(text(response), "mode")
    assert resolved(app)["mode"].value == "exact"


def test_checkbox_and_csrf(app, admin):
    assert save(admin, loud="on").status_code == 302
    assert resolved(app)["loud"].value is True
    assert save(admin).status_code == 302  # an unchecked box is not sent
    assert resolved(app)["loud"].value is False
    assert admin.post(SAVE, data={"threshold": "3"}).status_code == 400  # no CSRF token
    assert resolved(app)["threshold"].value == 5


def test_secret_is_write_only_and_redacted_everywhere(app, admin, caplog):
    caplog.set_level(logging.DEBUG)
    assert save(admin, api_key=SECRET).status_code == 302
    values = resolved(app)
    assert values["api_key"].value == SECRET  # available to the plugin's code
    assert values["api_key"].public() == plugin_settings.REDACTED

    pages = [admin.get(FORM), admin.get("/admin/module"), save(admin, threshold="0"),  # a 400 re-render
             admin.get("/api/openapi.json"), host_client(app).get("/api/v1/core/plugins"),
             admin.get("/"), admin.get("/dashboard")]
    for page in pages:
        assert SECRET not in page.get_data(as_text=True)
    block = field_block(text(admin.get(FORM)), "api_key")
    assert 'type="password"' in block and 'value=""' in block and "gesetzt" in block
    assert SECRET not in caplog.text
    with Session(app.extensions["mash"].engine) as session:
        entries = session.exec(select(AuditEntry), execution_options=UNSCOPED).all()
    assert entries and all(SECRET not in repr(e.details) for e in entries)
    assert any(e.action == "plugin.settings_changed" and "api_key" in e.details["keys"] for e in entries)


def test_empty_secret_submission_keeps_the_old_value(app, admin):
    assert save(admin, api_key=SECRET).status_code == 302
    assert save(admin, api_key="", threshold="8").status_code == 302
    values = resolved(app)
    assert values["api_key"].value == SECRET and values["threshold"].value == 8
    assert save(admin, api_key="neues-geheimnis").status_code == 302
    assert resolved(app)["api_key"].value == "neues-geheimnis"


def test_secret_locked_by_environment_is_never_shown(app, admin, monkeypatch):
    monkeypatch.setenv("MASH_SETTING_FXSET_API_KEY", "env-geheimnis-99")
    values = resolved(app)
    assert values["api_key"].value == "env-geheimnis-99" and values["api_key"].source == "locked"
    html = admin.get(FORM).get_data(as_text=True)
    assert "env-geheimnis-99" not in html and "Quelle: durch Konfiguration festgelegt" in text(admin.get(FORM))


def test_settings_are_per_municipality(mash_app_factory):
    app = mash_app_factory(plugins=(), extra={"fxset": load("fx_settings")},
                           municipalities=("heidelberg", "musterdorf"))
    admin_b = login_client(app, make_user(app, "admin@musterdorf.example", ["admin"], "musterdorf"),
                           host="musterdorf.test")
    token = csrf_token(admin_b, FORM)
    assert admin_b.post(SAVE, data={"csrf_token": token, "threshold": "42", "greeting": "Moin"}).status_code == 302
    assert resolved(app)["threshold"].value == 5  # heidelberg (id 1) untouched
    with Session(app.extensions["mash"].engine) as session, municipality_context(2):
        schema = app.extensions["mash"].registry.records["fxset"].manifest.settings
        assert plugin_settings.resolve(session, "fxset", schema)["threshold"].value == 42


# -- the settings API (token with scope core.admin) -----------------------------------------------


def api_headers(app, roles=("admin",), scopes=("core.admin",)):
    from mash_core.identity.tokens import issue_token

    user = make_user(app, f"api-{'-'.join(roles)}-{'-'.join(scopes)}@example.org", list(roles))
    with Session(app.extensions["mash"].engine) as session, municipality_context(1):
        _, plain = issue_token(session, "settings", list(scopes), user=user)
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_api_shows_sources_and_redacts_secrets(app, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    client, headers = host_client(app), api_headers(app)
    url = "/api/v1/core/plugins/fxset/settings"
    assert client.patch(url, json={"api_key": SECRET, "threshold": 12}, headers=headers).status_code == 200
    monkeypatch.setenv("MASH_SETTING_FXSET_GREETING", "Moin")
    response = client.get(url, headers=headers)
    assert response.status_code == 200 and SECRET not in response.get_data(as_text=True)
    rows = {r["key"]: r for r in response.get_json()}
    assert rows["api_key"]["value"] == plugin_settings.REDACTED and rows["api_key"]["secret"] is True
    assert (rows["threshold"]["value"], rows["threshold"]["source"]) == (12, "admin")
    assert (rows["greeting"]["value"], rows["greeting"]["source"]) == ("Moin", "locked")
    assert (rows["loud"]["value"], rows["loud"]["source"]) == (False, "default")
    assert rows["mode"]["choices"] == ["fast", "exact"] and "choices" not in rows["threshold"]
    assert SECRET not in caplog.text
    # an empty secret keeps the stored one
    assert client.patch(url, json={"api_key": ""}, headers=headers).status_code == 200
    assert resolved(app)["api_key"].value == SECRET


def test_api_validates_with_the_schema(app, monkeypatch):
    client, headers = host_client(app), api_headers(app)
    url = "/api/v1/core/plugins/fxset/settings"
    invalid = client.patch(url, json={"threshold": 1000}, headers=headers)
    assert invalid.status_code == 422 and invalid.is_json
    assert "threshold" in invalid.get_json()["errors"]["json"]
    monkeypatch.setenv("MASH_SETTING_FXSET_THRESHOLD", "9")
    locked = client.patch(url, json={"threshold": 10}, headers=headers)
    assert locked.status_code == 422
    assert locked.get_json()["errors"]["json"]["threshold"] == ["locked by configuration"]
    assert client.patch(url, json=["not", "an", "object"], headers=headers).status_code == 400
    assert resolved(app)["threshold"].value == 9 and resolved(app)["threshold"].source == "locked"
    # a token without the core.admin scope, or of a non-admin, is refused
    assert client.get(url, headers=api_headers(app, scopes=("fxset.read",))).status_code == 403
    assert client.get(url, headers=api_headers(app, roles=("staff",))).status_code == 403
    assert client.get("/api/v1/core/plugins/nosuchplugin/settings", headers=headers).status_code == 404
