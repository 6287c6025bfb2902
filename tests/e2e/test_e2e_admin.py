"""Admin journey: disable a plugin in /admin/module — its tile and page are gone on the next
request — and enable it again."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

SLUG = "lotsen"


def login(page, axe, address: str, password: str) -> None:
    page.goto("/anmelden")
    axe(page)
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Passwort").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")


def home_slugs(page, axe) -> list[str]:
    page.goto("/")
    axe(page)
    return page.locator(".tiles .tile[data-slug]").evaluate_all("els => els.map(e => e.dataset.slug)")


def toggle(page, axe, button_text: str) -> None:
    page.goto("/admin/module")
    axe(page)
    button = page.locator(f"tr[data-slug={SLUG}] button")
    assert button.inner_text().strip() == button_text
    button.click()
    page.wait_for_selector(".flash-success")
    axe(page)


def test_admin_disables_and_reenables_a_plugin(portal, e2e_page, axe):
    page = e2e_page
    login(page, axe, *portal.credentials("admin"))
    assert SLUG in home_slugs(page, axe)
    disabled = False
    try:
        toggle(page, axe, "Deaktivieren")
        disabled = True
        assert "Deaktiviert" in page.locator(f"tr[data-slug={SLUG}]").inner_text()

        assert SLUG not in home_slugs(page, axe)
        assert page.locator(f".main-nav a[data-slug={SLUG}]").count() == 0
        response = page.goto(f"/{SLUG}/")
        assert response.status == 404
        axe(page)

        toggle(page, axe, "Aktivieren")
        disabled = False
        assert SLUG in home_slugs(page, axe)
        assert page.locator(f".main-nav a[data-slug={SLUG}]").count() == 1
        with page.expect_navigation() as navigation:
            page.locator(f".tile[data-slug={SLUG}] h2 a").click()
        assert navigation.value.status == 200
        assert page.url == f"{portal.url}/{SLUG}/"
        axe(page)
    finally:
        if disabled:  # leave the instance as the other tests expect it
            portal.mash("plugins", "enable", SLUG)


def test_admin_changes_a_plugin_setting_and_gets_a_clear_error_for_a_bad_value(portal, e2e_page, axe):
    """The WinterSMART settings form: a choice field is a list, a bad number is named and nothing
    is saved, a good value is saved with its source shown."""
    page = e2e_page
    login(page, axe, *portal.credentials("admin"))
    page.goto("/admin/module/wintersmart")
    axe(page)
    solver = page.get_by_label("Streuplan: Tourenplaner")
    assert solver.evaluate("e => e.tagName") == "SELECT"
    assert solver.locator("option").evaluate_all("os => os.map(o => o.value)") == ["native", "pyvrp"]
    assert solver.input_value() == "native"
    try:
        solver.select_option("pyvrp")
        capacity = page.get_by_label("Streuplan: Salzvorrat je Fahrzeug (kg)")
        capacity.fill("viel")
        page.get_by_role("button", name="Einstellungen speichern").click()
        error = page.locator("#s-gritting_vehicle_capacity_kg-err")
        error.wait_for()
        assert error.inner_text() == "Bitte eine Zahl angeben."
        assert capacity.get_attribute("aria-invalid") == "true"
        axe(page)
        page.goto("/admin/module/wintersmart")  # nothing of the refused form was saved
        assert page.get_by_label("Streuplan: Tourenplaner").input_value() == "native"

        page.get_by_label("Streuplan: Tourenplaner").select_option("pyvrp")
        page.get_by_role("button", name="Einstellungen speichern").click()
        page.wait_for_selector(".flash-success")
        axe(page)
        assert page.get_by_label("Streuplan: Tourenplaner").input_value() == "pyvrp"
        assert "von der Verwaltung gesetzt" in page.locator("#s-gritting_solver-src").inner_text()
    finally:  # leave the instance as the other tests expect it
        page.goto("/admin/module/wintersmart")
        page.get_by_label("Streuplan: Tourenplaner").select_option("native")
        page.get_by_role("button", name="Einstellungen speichern").click()
        page.wait_for_selector(".flash-success")
