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
