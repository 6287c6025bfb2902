"""WinterSMART journeys: the citizen warning page (public), and the operator dashboard
(Leitstand) with its map, a station chart, and a sign override set and cleared through the UI.
axe scans every page visited."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e


def login(page, axe, address: str, password: str) -> None:
    page.goto("/anmelden")
    axe(page)
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Passwort").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def test_citizen_warning_page(e2e_page, axe):
    page = e2e_page
    response = page.goto("/wintersmart/warnungen")
    assert response.status == 200
    assert page.locator("h1").inner_text() == "Aktuelle Glättewarnungen"
    assert page.locator(".warning-map svg[role=img] polyline").count() > 10     # the demo network
    assert page.get_by_role("link", name="CAP-Feed (Common Alerting Protocol 1.2)").count() == 1
    axe(page)
    # the operator dashboard is not for citizens: the login is asked for
    page.goto("/wintersmart/leitstand")
    assert "/anmelden" in page.url
    axe(page)


def test_operator_dashboard_chart_and_sign_override(portal, e2e_page, axe):
    page = e2e_page
    login(page, axe, *portal.credentials("staff"))
    page.locator(".main-nav a", has_text="Leitstand Winterdienst").click()
    page.wait_for_url("**/wintersmart/leitstand")
    assert page.locator("h1").inner_text() == "Leitstand Winterdienst"
    svg = page.locator(".ws-map-svg")
    assert svg.locator("circle").count() == 20 and svg.locator("polygon").count() == 4
    # the layer switches (the plugin's own script) hide and show the stations
    page.get_by_label("Messstationen", exact=True).uncheck()
    assert not svg.locator("[data-layer-group=stations]").is_visible()
    page.get_by_label("Messstationen", exact=True).check()
    assert page.locator("tr[data-container]").count() == 52
    axe(page)

    # a station's chart page
    page.locator("#stationen ~ .table-wrap a").first.click()
    page.wait_for_url(re.compile(r".*/wintersmart/leitstand/station/\d+$"))
    assert page.locator("h1").inner_text().startswith("Verlauf:")
    axe(page)
    page.get_by_role("link", name="6 Stunden").click()
    page.wait_for_url("**stunden=6")
    axe(page)
    page.locator(".ws-breadcrumb a").click()
    page.wait_for_url("**/wintersmart/leitstand#stationen")

    # set an override on the first sign …
    sign = page.locator("section.ws-sign").first
    name = sign.locator("h3").inner_text()
    sign.get_by_label("Anzeige").select_option("VZ101-51")
    sign.get_by_label("Text auf dem Schild (optional)").fill("Glätte")
    sign.get_by_label("Dauer").select_option("2")
    sign.get_by_label("Grund").fill("E2E-Test")
    sign.get_by_role("button", name="Übersteuern").click()
    page.wait_for_selector(".flash-success")
    assert f"Schild „{name}“ ist bis" in page.locator(".flash-success").inner_text()
    sign = page.locator("section.ws-sign", has=page.locator("h3", has_text=name))
    assert sign.locator(".ws-sign-state").inner_text() == "von Hand übersteuert"
    assert "E2E-Test" in sign.inner_text()
    axe(page)

    # … and clear it again
    sign.get_by_role("button", name="Übersteuerung aufheben").click()
    page.wait_for_selector(".flash-success")
    assert "aufgehoben" in page.locator(".flash-success").inner_text()
    sign = page.locator("section.ws-sign", has=page.locator("h3", has_text=name))
    assert sign.locator(".ws-sign-state").inner_text() != "von Hand übersteuert"
    assert sign.get_by_role("button", name="Übersteuern").count() == 1
    axe(page)
