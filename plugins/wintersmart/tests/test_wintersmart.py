"""WinterSMART: page, API, widget, role and demo data, through the core's pytest plugin."""

import pytest

from mash_core.api import municipality_context


def _load_demo(app, times=1):
    from mash_wintersmart.demo import load
    with app.app_context(), municipality_context(1):
        for _ in range(times):
            load()


@pytest.mark.mash_plugins("wintersmart")
def test_page_explains_service_and_contacts(mash_app, client_as):
    _load_demo(mash_app)
    page = client_as(None).get("/wintersmart/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for text in ("Sensoren", "Brücken", "Warnschilder", "Streugutbehältern", "Winterdienst-Hotline"):
        assert text in html
    assert 'href="tel:0622158-0"' in html  # hotline from the settings default
    assert "Betriebshof Nord (Beispieldaten)" in html and "400 t" in html
    assert "<caption>" in html and 'scope="row"' in html
    main = html[html.index("<main"):]
    assert "style=" not in main and "<script" not in main


@pytest.mark.mash_plugins("wintersmart")
def test_hotline_setting_locked_by_environment(mash_app, client_as, monkeypatch):
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_HOTLINE_PHONE", "06221 58-99999")
    html = client_as(None).get("/wintersmart/").get_data(as_text=True)
    assert 'href="tel:0622158-99999"' in html


@pytest.mark.mash_plugins("wintersmart")
def test_api_lists_depots_and_demo_is_idempotent(mash_app, client_as):
    _load_demo(mash_app, times=2)
    response = client_as(None).get("/api/v1/wintersmart/depots")
    assert response.status_code == 200
    data = response.get_json()
    assert [d["name"] for d in data] == ["Betriebshof Nord (Beispieldaten)", "Betriebshof Süd (Beispieldaten)"]
    assert data[0]["salt_capacity_t"] == 400.0


@pytest.mark.mash_plugins("wintersmart")
def test_widget_only_for_staff(mash_app, client_as):
    _load_demo(mash_app)
    html = client_as("staff").get("/dashboard").get_data(as_text=True)
    assert "2 Betriebshöfe im Verzeichnis" in html and "650 t" in html
    assert client_as("citizen").get("/dashboard").status_code == 403


def test_manifest_declares_winterdienst_role():
    from mash_wintersmart.plugin import manifest
    assert [r.name for r in manifest.roles] == ["winterdienst"]
    operate = next(p for p in manifest.permissions if p.name == "wintersmart.operate")
    assert "staff" in operate.default_roles and "winterdienst" in operate.default_roles
    assert manifest.problems() == []


def test_settings_schema_validates_contacts():
    import marshmallow as ma
    from mash_wintersmart.settings import WinterSmartSettings
    schema = WinterSmartSettings()
    assert schema.load({})["hotline_phone"] == "06221 58-0"
    for bad in ({"hotline_phone": "<script>"}, {"contact_email": "winterdienst"}):
        with pytest.raises(ma.ValidationError):
            schema.load(bad)
    assert all(field.metadata.get("label") for field in schema.fields.values())
