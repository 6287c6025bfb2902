"""Anonymous visitors: legal pages, the accessibility feedback form, the phone layout, and no
request to any host but the portal."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e

LEGAL = ["/impressum", "/datenschutz", "/barrierefreiheit"]


@pytest.mark.parametrize("path", LEGAL)
def test_legal_page(e2e_page, axe, path):
    response = e2e_page.goto(path)
    assert response.status == 200
    assert e2e_page.locator("html").get_attribute("lang") == "de"
    assert e2e_page.locator("main h1").count() == 1
    axe(e2e_page)


def test_accessibility_feedback_form(e2e_page, axe):
    page = e2e_page
    page.goto("/")
    axe(page)
    page.locator("footer").get_by_role("link", name="Barrierefreiheit").first.click()
    page.wait_for_url("**/barrierefreiheit")
    axe(page)

    # empty message: the error is announced next to the field
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("#message-error")
    assert page.locator("#message").get_attribute("aria-invalid") == "true"
    axe(page)

    page.get_by_label("Welche Barriere ist Ihnen aufgefallen?").fill(
        "Der Kontrast der Kacheln ist für mich zu gering.")
    page.get_by_label("Auf welcher Seite? (optional)").fill("/")
    page.get_by_label("E-Mail für eine Antwort (optional)").fill("feedback@example.org")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert "Vielen Dank" in page.locator(".flash-success").inner_text()
    axe(page)


def test_phone_home_page(make_context, axe):
    page = make_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                       device_scale_factor=2).new_page()
    page.goto("/")
    assert page.locator(".tile[data-slug]").count() >= 1
    axe(page)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page scrolls horizontally on a phone: scrollWidth={width}"


def test_no_request_leaves_the_machine(portal, make_context, axe):
    """Crawl every page linked from the home page (header, navigation, tiles, footer) and record
    every request the browser makes: only the portal itself may be asked."""
    context = make_context()
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda req: seen.append(req.url))
    page.goto("/")
    hrefs = page.locator("a[href^='/']").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    for href in dict.fromkeys(hrefs):
        response = page.goto(href)
        assert response.status < 500, f"{href} answered {response.status}"
        if page.locator("#swagger-ui").count():  # the API docs render the spec after loading it
            page.wait_for_selector("#swagger-ui .opblock")
        axe(page)
    assert len(seen) > len(hrefs)
    foreign = [u for u in seen if not u.startswith(portal.url + "/") and not u.startswith("data:")]
    assert not foreign, f"requests to other hosts: {foreign}"
