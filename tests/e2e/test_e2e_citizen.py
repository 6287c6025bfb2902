"""Citizen journey: register → confirm by e-mail → log in → switch to English → see the tiles."""

from __future__ import annotations

import email
import re
import time
import uuid
from email import policy

import pytest

pytestmark = pytest.mark.e2e

PASSWORD = "ein langes und sicheres Passwort"
LINK = re.compile(r"https?://\S+/bestaetigen/\S+")


def confirmation_link(portal, address: str, timeout: float = 10.0) -> str:
    """The confirmation link from the .eml the FileNotifier wrote for ``address``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(portal.outbox.glob("*.eml"), reverse=True):
            mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
            if mail["To"] == address:
                body = mail.get_body(preferencelist=("plain",)).get_content()
                match = LINK.search(body)
                assert match, f"no confirmation link in {path.name}:\n{body}"
                return match.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail to {address} in {portal.outbox}")


def test_register_confirm_login_switch_language_and_see_tiles(portal, e2e_page, axe):
    page = e2e_page
    address = f"e2e-{uuid.uuid4().hex[:10]}@example.org"

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "de"
    axe(page)

    page.locator("header").get_by_role("link", name="Registrieren").click()
    page.wait_for_url("**/registrieren")
    axe(page)

    # a first attempt with mistakes shows the error summary, which must be accessible too
    page.get_by_label("E-Mail-Adresse").fill("keine-adresse")
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector(".error-summary")
    axe(page)

    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Name (optional)").fill("Erika Mustermann")
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.locator("#privacy").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("text=Fast geschafft")
    assert address in page.locator("main").inner_text()
    axe(page)

    link = confirmation_link(portal, address)
    assert link.startswith(portal.url + "/"), link
    page.goto(link)
    assert page.locator("h1").inner_text() == "Ihr Konto ist bestätigt"
    axe(page)

    page.locator("main").get_by_role("link", name="Jetzt anmelden").click()
    page.wait_for_url("**/anmelden")
    axe(page)
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(portal.url + "/")
    assert page.locator("header").get_by_role("link", name="Mein Konto").is_visible()
    axe(page)

    page.locator("header").get_by_role("link", name="English").click()
    page.wait_for_selector("html[lang=en]")
    assert page.locator("header").get_by_role("link", name="Deutsch").is_visible()
    axe(page)

    tiles = page.locator(".tiles .tile[data-slug]")
    assert tiles.count() >= 1
    slugs = tiles.evaluate_all("els => els.map(e => e.dataset.slug)")
    assert "lotsen" in slugs, slugs
    for i in range(tiles.count()):
        assert tiles.nth(i).is_visible()
        assert tiles.nth(i).locator("h2 a").get_attribute("href").startswith("/")

    # the choice sticks: the next page is English as well
    page.goto("/impressum")
    assert page.locator("html").get_attribute("lang") == "en"
    axe(page)
