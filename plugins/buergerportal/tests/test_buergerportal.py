"""Bürgerportal: page, API, widget and demo data, through the core's pytest plugin."""

import pytest

from mash_core.api import municipality_context


def _load_demo(app, times=1):
    from mash_buergerportal.demo import load
    with app.app_context(), municipality_context(1):
        for _ in range(times):
            load()


@pytest.mark.mash_plugins("buergerportal")
def test_page_explains_offering_with_emergency_first_and_offices(mash_app, client_as):
    _load_demo(mash_app)
    page = client_as(None).get("/buergerportal/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    main = html[html.index('<main'):]
    # the emergency number comes before any other content of the page
    assert main.index("Lebensgefahr: 112") < main.index("Lebenslagen") < main.index("Bürgerämter und Öffnungszeiten")
    assert 'href="tel:112"' in html
    for text in ("Geburt eines Kindes", "Kindergeld", "Elterngeld", "Kita"):
        assert text in html
    assert "Bürgeramt Mitte" in html and "Bergheimer Straße 69" in html
    assert "<caption>" in html and 'scope="row"' in html
    assert 'href="https://termin.heidelberg.de"' in html  # appointment link from the settings default
    assert 'href="tel:0622158-13333"' in html
    assert "style=" not in main and "<script" not in main


@pytest.mark.mash_plugins("buergerportal")
def test_page_without_offices_still_tells_whom_to_contact(mash_app, client_as):
    html = client_as(None).get("/buergerportal/").get_data(as_text=True)
    assert "Lebensgefahr: 112" in html
    assert "06221 58-13333" in html


@pytest.mark.mash_plugins("buergerportal")
def test_api_lists_offices_and_demo_is_idempotent(mash_app, client_as):
    _load_demo(mash_app, times=2)
    response = client_as(None).get("/api/v1/buergerportal/offices")
    assert response.status_code == 200
    data = response.get_json()
    assert len(data) == 5
    mitte = next(o for o in data if o["name"] == "Bürgeramt Mitte")
    assert mitte["address"] == "Bergheimer Straße 69, 69115 Heidelberg"
    assert mitte["phone"] == "06221 58-0"
    assert set(mitte) == {"id", "name", "address", "opening_hours", "phone", "email", "accessibility"}


@pytest.mark.mash_plugins("buergerportal")
def test_nav_and_tile(mash_app, client_as):
    html = client_as(None).get("/").get_data(as_text=True)
    assert 'data-slug="buergerportal"' in html
    assert 'href="/buergerportal/"' in html


@pytest.mark.mash_plugins("buergerportal")
def test_widget_only_for_staff(mash_app, client_as):
    _load_demo(mash_app)
    assert "5 Bürgerämter im Verzeichnis" in client_as("staff").get("/dashboard").get_data(as_text=True)
    assert client_as("citizen").get("/dashboard").status_code == 403


def test_settings_schema_validates_contacts():
    import marshmallow as ma
    from mash_buergerportal.settings import BuergerportalSettings
    schema = BuergerportalSettings()
    assert schema.load({})["appointment_phone"] == "06221 58-13333"
    assert schema.load({"contact_email": None})["contact_email"] is None
    for bad in ({"appointment_phone": "call me"}, {"contact_email": "kein-mail"}, {"appointment_url": "termin"}):
        with pytest.raises(ma.ValidationError):
            schema.load(bad)
    assert all(field.metadata.get("label") for field in schema.fields.values())
