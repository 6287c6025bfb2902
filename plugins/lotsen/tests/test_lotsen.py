"""Digital-Lotsen: page, API, widget and tenant scoping, through the core's pytest plugin."""

import pytest

from mash_core.api import municipality_context


@pytest.mark.mash_plugins("lotsen")
def test_page_lists_pilots_and_contact(mash_app, client_as):
    from mash_lotsen.demo import load
    with mash_app.app_context(), municipality_context(1):
        load()
    page = client_as(None).get("/lotsen/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Anna Berger" in html and "Bürgeramt" in html
    assert "digitales@heidelberg.de" in html  # coordinator from the settings default


@pytest.mark.mash_plugins("lotsen")
def test_api_lists_pilots(mash_app, client_as):
    from mash_lotsen.demo import load
    with mash_app.app_context(), municipality_context(1):
        load()
        load()  # idempotent
    data = client_as(None).get("/api/v1/lotsen/pilots").get_json()
    assert len(data) == 5
    assert {p["office"] for p in data} >= {"Bürgeramt", "Stadtbücherei"}


@pytest.mark.mash_plugins("lotsen")
def test_widget_only_for_staff(mash_app, client_as):
    assert "Digital-Lotsen im Verzeichnis" in client_as("staff").get("/dashboard").get_data(as_text=True)
    assert client_as("citizen").get("/dashboard").status_code == 403
