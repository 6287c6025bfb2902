"""Bürgerportal journeys in the browser.

1. A parent finds "Elterngeld" by search (without JavaScript and with suggestions as you type),
   opens the service, runs the assistant "Geburt eines Kindes" with the keyboard and downloads
   the plan as an iCal file.
2. A parent registers, adds a child, picks three Kitas and submits a pre-registration; staff offer
   places in two of them; the parent accepts one, the other offer is withdrawn, and e-mails land
   in the outbox.
3. An editor changes a service, keeps it as a draft, publishes it, and the public page shows it.
4. The pages of the portal at 320 px width: no horizontal scrolling.
5. An editor changes a published service as a draft (citizens still see the published text),
   previews and publishes it, and adds a Bürgeramt.
6. A registered citizen opens the birth plan signed out, signs in through the plan's link (the
   answers travel in the address), saves the plan with consent and finds it under "Meine Pläne";
   it opens again, downloads as iCal and is deleted after a confirmation.
7. A parent without an account opens the birth plan, goes to the login, registers from there,
   confirms through the e-mail, continues to the login from the confirmation page and lands on
   the same plan with the answers, and saves it.

Every page visited is scanned with axe, including error states and pages after interactions.
"""

from __future__ import annotations

import email
import re
import time
import uuid
from datetime import date, timedelta
from email import policy

import pytest

pytestmark = pytest.mark.e2e

BP = "/buergerportal"
PASSWORD = "ein langes und sicheres Passwort"
CONFIRM_LINK = re.compile(r"https?://\S+/bestaetigen/\S+")


# -- helpers --------------------------------------------------------------------------------------
def submit_login(page, address: str, password: str = PASSWORD) -> None:
    """Fill and send the open login form."""
    page.get_by_label("E-Mail-Adresse").fill(address)
    page.get_by_label("Passwort").fill(password)
    page.locator("main form button[type=submit]").click()


def login(page, axe, address: str, password: str) -> None:
    page.goto("/anmelden")
    axe(page)
    submit_login(page, address, password)
    page.wait_for_url(lambda url: "/anmelden" not in url)
    axe(page)


def mails_to(portal, address: str) -> list:
    out = []
    for path in sorted(portal.outbox.glob("*.eml")):
        mail = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if mail["To"] == address:
            out.append(mail)
    return out


def wait_for_mail(portal, address: str, subject_part: str, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in mails_to(portal, address):
            if subject_part in str(mail["Subject"]):
                return mail
        time.sleep(0.1)
    subjects = [str(m["Subject"]) for m in mails_to(portal, address)]
    raise AssertionError(f"no e-mail “{subject_part}” to {address}; got {subjects}")


def tab_to(page, selector: str, max_tabs: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the focus (keyboard only)."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reached with {max_tabs} × Tab")


def type_date(page, selector: str, day: date) -> None:
    """Type a date into ``<input type=date>`` digit by digit, as a keyboard user does. The order of
    the field's parts follows the browser's own language (not the page's), so try day-first, then
    month-first."""
    field = page.locator(selector)
    for pattern in ("%d%m%Y", "%m%d%Y"):
        field.blur()
        field.focus()  # a newly focused date field starts at its first part
        page.keyboard.type(day.strftime(pattern))
        if field.input_value() == day.isoformat():
            return
    raise AssertionError(f"could not type {day} into {selector}: {field.input_value()!r}")


def unfold_ics(text: str) -> list[str]:
    assert "\r\n" in text, "iCal lines must end with CRLF"
    return text.replace("\r\n ", "").split("\r\n")


def ics_text(value: str) -> str:
    return (value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",").replace("\\;", ";")
            .replace("\\\\", "\\"))


# -- 1. search → service → assistant → iCal -------------------------------------------------------
def test_parent_finds_elterngeld_runs_assistant_and_downloads_ical(portal, make_context, axe):
    # without JavaScript the search form submits to the search page
    nojs = make_context(java_script_enabled=False).new_page()
    nojs.goto(f"{BP}/suche")
    nojs.locator("#bp-q").fill("Elterngeld")
    nojs.locator("#bp-q").press("Enter")
    nojs.wait_for_url("**/suche?q=Elterngeld")
    assert nojs.locator(".bp-results a", has_text="Elterngeld beantragen").count() == 1
    results_url = nojs.url

    page = make_context().new_page()
    page.goto(results_url)  # the same server-rendered page, scanned with JavaScript on
    assert "Treffer" in page.locator("#bp-results").inner_text()
    axe(page)

    # with JavaScript: Tab to the search field, type, pick the suggestion with the arrow keys
    page.goto(f"{BP}/suche")
    axe(page)
    tab_to(page, "#bp-q")
    page.keyboard.type("Elterngel")
    suggestions = page.locator("#bp-suggestions")
    suggestions.locator("a", has_text="Elterngeld beantragen").wait_for()
    assert suggestions.is_visible()
    assert "Vorschläge" in page.locator("[data-bp-status]").inner_text()
    axe(page)
    page.keyboard.press("ArrowDown")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Elterngeld" in focused, focused
    # walk down to the service, then follow it with Enter
    for _ in range(suggestions.locator("a").count()):
        if page.evaluate("document.activeElement.textContent") == "Elterngeld beantragen":
            break
        page.keyboard.press("ArrowDown")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"{BP}/leistungen/elterngeld-beantragen"), page.url
    assert page.locator("h1").inner_text() == "Elterngeld beantragen"
    axe(page)

    # the service belongs to the life situation "Geburt eines Kindes", which leads to the assistant
    page.locator("main").get_by_role("link", name="Geburt eines Kindes").click()
    page.wait_for_url("**/lebenslagen/geburt-eines-kindes")
    axe(page)
    page.locator("main").get_by_role("link", name="Ihr persönlicher Plan nach der Geburt").click()
    page.wait_for_url(f"**{BP}/geburt")
    axe(page)

    # submitting without a date: the error summary, accessible as well
    page.locator("main form button[type=submit]").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".error-summary")
    assert page.locator("#birth_date").get_attribute("aria-invalid") == "true"
    axe(page)

    # keyboard only: type the date, answer a question with the arrow keys, submit with Enter
    birth = date.today() - timedelta(days=14)
    page.locator(".error-summary a[href='#birth_date']").focus()
    page.keyboard.press("Enter")
    type_date(page, "#birth_date", birth)
    tab_to(page, "#children")
    page.keyboard.press("Control+A")  # replace whatever the field holds, as a user would
    page.keyboard.type("1")
    assert page.locator("#children").input_value() == "1"
    tab_to(page, "input[name=married]:checked")
    page.keyboard.press("ArrowDown")  # "Nein": not married
    assert page.locator("input[name=married]:checked").get_attribute("value") == "false"
    # the invalid first attempt already stands at a /geburt/plan?… URL: wait for the new page
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form
    assert "/geburt/plan?" in page.url
    errors = page.locator(".error-summary").all_inner_texts()
    assert page.locator("h1").inner_text() == "Ihr Plan: Geburt eines Kindes", errors
    axe(page)
    titles = [t.strip() for t in page.locator(".bp-plan .bp-step h3").all_inner_texts()]
    keys = page.locator(".bp-plan .bp-step").evaluate_all("els => els.map(e => e.id.replace('schritt-', ''))")
    for key in ("geburtsanzeige", "vornamen", "mutterschutz_ende", "kindergeld", "elterngeld", "elternzeit",
                "kita_vormerkung", "kita_anspruch"):
        assert key in keys, keys

    # the iCal plan
    with page.expect_download() as info:
        page.locator("main").get_by_role("link", name=re.compile("Kalenderdatei herunterladen")).click()
    download = info.value
    assert download.suggested_filename == "geburt-plan.ics"
    raw = open(download.path(), "rb").read().decode("utf-8")
    lines = unfold_ics(raw)
    assert lines[0] == "BEGIN:VCALENDAR" and "END:VCALENDAR" in lines
    assert "VERSION:2.0" in lines
    events = raw.count("BEGIN:VEVENT")
    assert events >= len(titles) and events == raw.count("END:VEVENT")
    blocks = "\n".join(lines).split("BEGIN:VEVENT")[1:]
    assert all("BEGIN:VALARM" in b and "TRIGGER:-P" in b and "ACTION:DISPLAY" in b for b in blocks), \
        "every event has a reminder"
    summaries = [ics_text(line.split(":", 1)[1]) for line in lines if line.startswith("SUMMARY:")]
    assert len(summaries) == events
    for title in titles:
        assert any(s == title or s.startswith(title + " (") for s in summaries), (title, summaries)
    assert any("Elterngeld" in s for s in summaries)
    assert all(re.fullmatch(r"DTSTART;VALUE=DATE:\d{8}", line) for line in lines if line.startswith("DTSTART"))


# -- 2. Kita pre-registration, offer, acceptance --------------------------------------------------
def submit_registration(portal, page, axe, address: str, name: str = "") -> str:
    """Fill and send the open registration form; the confirmation link from the e-mail."""
    page.get_by_label("E-Mail-Adresse").fill(address)
    if name:
        page.get_by_label("Name (optional)").fill(name)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Passwort wiederholen").fill(PASSWORD)
    page.locator("#privacy").check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("text=Fast geschafft")
    axe(page)
    mail = wait_for_mail(portal, address, "")
    return CONFIRM_LINK.search(mail.get_body(preferencelist=("plain",)).get_content()).group(0)


def register_parent(portal, page, axe) -> str:
    address = f"e2e-kita-{uuid.uuid4().hex[:10]}@example.org"
    page.goto("/registrieren")
    axe(page)
    link = submit_registration(portal, page, axe, address, name="Eltern Kita-Test")
    page.goto(link)
    axe(page)
    login(page, axe, address, PASSWORD)
    return address


def test_parent_preregisters_staff_offers_parent_accepts(portal, make_context, axe):
    parent = make_context().new_page()
    address = register_parent(portal, parent, axe)

    parent.goto(f"{BP}/kita")
    axe(parent)
    parent.locator("main").get_by_role("link", name="Meine Vormerkungen").click()
    parent.wait_for_url(f"**{BP}/kita/meine")
    assert "Sie haben noch keine Vormerkung" in parent.locator("main").inner_text()
    axe(parent)

    # add a child, one year old (a Krippe place from the next care year)
    child = "Ida" + uuid.uuid4().hex[:4]
    parent.get_by_label("Vorname oder Initialen").fill(child)
    parent.get_by_label("Geburtsdatum").fill((date.today() - timedelta(days=365)).isoformat())
    parent.locator("main form").filter(has=parent.locator("#first_name")).locator("button[type=submit]").click()
    parent.wait_for_url("**/kita/vormerken?child=*")
    assert child in parent.locator(".flash-success").inner_text()
    axe(parent)

    # three Kitas with Krippe places as wishes
    krippen = parent.locator("#wish1 option").evaluate_all(
        "els => els.filter(o => o.value && o.textContent.includes('Krippe')).map(o => [o.value, o.textContent])")
    assert len(krippen) >= 3, krippen
    wishes = krippen[:3]
    # the same Kita twice is refused, with an accessible error
    parent.locator("#wish1").select_option(wishes[0][0])
    parent.locator("#wish2").select_option(wishes[0][0])
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_selector(".error-summary")
    assert "nur einmal" in parent.locator(".error-summary").inner_text()
    axe(parent)
    for n, (value, _label) in enumerate(wishes, start=1):
        parent.locator(f"#wish{n}").select_option(value)
    parent.locator("main form button[type=submit]").click()
    parent.wait_for_url(f"**{BP}/kita/meine")
    axe(parent)
    section = parent.locator("section.kita-registration", has_text=child)
    assert "Eingegangen" in section.inner_text()
    for _value, label in wishes:
        assert label.split(" (")[0] in section.inner_text()
    wait_for_mail(portal, address, "Kita-Vormerkung ist eingegangen")
    care_year = section.locator("h3").inner_text().split("Kindergartenjahr")[-1].strip()

    # staff offer places in the first two wishes
    staff = make_context().new_page()
    login(staff, axe, *portal.credentials("staff"))
    staff.goto(f"{BP}/kita/verwaltung")
    axe(staff)
    for value, label in wishes[:2]:
        name = label.split(" (")[0]
        staff.goto(f"{BP}/kita/verwaltung")
        staff.locator("main").get_by_role("link", name=name, exact=True).first.click()
        staff.wait_for_url(f"**{BP}/kita/verwaltung/{value}*")
        assert care_year in staff.locator("h1").inner_text()
        axe(staff)
        row = staff.locator("tbody tr", has_text=child)
        assert row.count() == 1
        row.get_by_role("button", name=re.compile("Platz anbieten")).click()
        staff.wait_for_selector(".flash-success")
        assert "Angeboten" in staff.locator("tbody tr", has_text=child).inner_text()
        axe(staff)
    wait_for_mail(portal, address, "Kita-Platz wird Ihnen angeboten")

    # the parent sees both offers and accepts the second one
    parent.goto(f"{BP}/kita/meine")
    section = parent.locator("section.kita-registration", has_text=child)
    assert "Angebot liegt vor" in section.inner_text()
    assert section.locator("tbody tr").count() == 2
    axe(parent)
    chosen = wishes[1][1].split(" (")[0]
    other = wishes[0][1].split(" (")[0]
    section.locator("tbody tr", has_text=chosen).get_by_role("button", name=re.compile("Platz annehmen")).click()
    parent.wait_for_selector(".flash-success")
    axe(parent)
    section = parent.locator("section.kita-registration", has_text=child)
    assert "Platz angenommen" in section.locator(".kita-status").inner_text()
    assert "Angenommen" in section.locator("tbody tr", has_text=chosen).inner_text()
    assert "Zurückgezogen" in section.locator("tbody tr", has_text=other).inner_text()
    assert section.get_by_role("button", name=re.compile("Platz annehmen")).count() == 0
    wait_for_mail(portal, address, "Kita-Platz angenommen")

    # staff see the outcome: accepted in one Kita, no further offer possible in the third
    staff.goto(f"{BP}/kita/verwaltung/{wishes[2][0]}")
    row = staff.locator("tbody tr", has_text=child)
    assert "Platz angenommen" in row.inner_text()
    assert row.get_by_role("button", name=re.compile("Platz anbieten")).count() == 0
    axe(staff)


# -- 3. editor changes and publishes a service ----------------------------------------------------
def test_editor_changes_and_publishes_a_service(portal, make_context, axe):
    slug = "kindergeld-beantragen"
    teaser = f"Neu geprüft im Test {uuid.uuid4().hex[:6]}: Kindergeld gibt es für jedes Kind."
    page = make_context().new_page()
    login(page, axe, *portal.credentials("staff"))
    page.goto(f"{BP}/redaktion/")
    axe(page)
    row = page.locator("tbody tr", has=page.locator(f"a[href*='/redaktion/leistungen/']")).filter(
        has_text="Kindergeld")
    row.first.locator("a").click()
    page.wait_for_url(re.compile(r".*/redaktion/leistungen/\d+$"))
    edit_url = page.url
    assert page.locator("#slug").input_value() == slug
    axe(page)

    # an invalid change is refused with an accessible error summary
    page.locator("#slug").fill("Kein Slug!")
    page.get_by_role("button", name="Speichern (bleibt veröffentlicht)").click()
    page.wait_for_selector(".error-summary")
    assert page.locator("#slug").get_attribute("aria-invalid") == "true"
    axe(page)
    page.locator("#slug").fill(slug)

    # save the change as a draft: not public, but in the preview
    page.locator("#teaser").fill(teaser)
    page.get_by_role("button", name="Zurückziehen und als Entwurf speichern").click()
    page.wait_for_selector(".flash-success")
    assert "Entwurf" in page.locator(".flash-success").inner_text()
    axe(page)
    public = make_context().new_page()
    assert public.goto(f"{BP}/leistungen/{slug}").status == 404
    page.locator("main").get_by_role("link", name="Vorschau").click()
    assert page.locator(".lead").inner_text() == teaser
    axe(page)

    # publish
    page.goto(edit_url)
    page.get_by_role("button", name="Veröffentlichen").click()
    page.wait_for_selector(".flash-success")
    assert "veröffentlicht" in page.locator(".flash-success").inner_text()
    axe(page)

    response = public.goto(f"{BP}/leistungen/{slug}")
    assert response.status == 200
    assert public.locator(".lead").inner_text() == teaser
    axe(public)
    public.goto(f"{BP}/leistungen/")
    assert public.locator("main").get_by_role("link", name="Kindergeld beantragen").count() >= 1
    axe(public)


# -- 4. 320 px ------------------------------------------------------------------------------------
NARROW_PAGES = [
    f"{BP}/", f"{BP}/suche", f"{BP}/suche?q=Elterngeld", f"{BP}/suche?q=xyzzyqwertz", f"{BP}/leistungen/",
    f"{BP}/leistungen/elterngeld-beantragen", f"{BP}/lebenslagen/", f"{BP}/lebenslagen/geburt-eines-kindes",
    f"{BP}/geburt", f"{BP}/geburt/plan?birth_date=31.02.2026",
    f"{BP}/geburt/plan?birth_date={date.today().isoformat()}&children=2&weeks_early=7",
    f"{BP}/hilfe", f"{BP}/hilfe?thema=Vergiftung", f"{BP}/kita", f"{BP}/kita?district=Altstadt",
    f"{BP}/kita/meine", f"{BP}/kita/vormerken", f"{BP}/kita/verwaltung", f"{BP}/redaktion/",
    f"{BP}/redaktion/leistungen/neu", f"{BP}/redaktion/lebenslagen/neu", f"{BP}/redaktion/hilfe/neu",
    f"{BP}/redaktion/import", f"{BP}/redaktion/buergeraemter/neu", f"{BP}/redaktion/hilfe/themen/neu",
]


def test_pages_at_320_px(portal, make_context, axe):
    page = make_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True).new_page()
    login(page, axe, *portal.credentials("staff"))
    paths = list(NARROW_PAGES)
    page.goto(f"{BP}/kita")
    paths.append(page.locator(".kita-results a, main h3 a").first.get_attribute("href"))
    for path in paths:
        response = page.goto(path)
        assert response.status < 500, f"{path} answered {response.status}"
        axe(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls horizontally at 320 px: scrollWidth={width}"


# -- 5. a draft of a published service, and a new Bürgeramt ----------------------------------------
def test_editor_drafts_a_published_service_and_adds_an_office(portal, make_context, axe):
    slug = "reisepass-beantragen"
    mark = uuid.uuid4().hex[:6]
    draft_teaser = f"Entwurf {mark}: Den Reisepass beantragen Sie mit Termin im Bürgeramt."
    citizen = make_context().new_page()
    assert citizen.goto(f"{BP}/leistungen/{slug}").status == 200
    live_teaser = citizen.locator(".lead").inner_text()
    axe(citizen)

    page = make_context().new_page()
    login(page, axe, *portal.credentials("staff"))
    page.goto(f"{BP}/redaktion/")
    page.locator("tbody tr").filter(has_text="Reisepass beantragen").first.locator("a").click()
    page.wait_for_url(re.compile(r".*/redaktion/leistungen/\d+$"))
    edit_url = page.url
    axe(page)

    # save the change as a draft: the published page stays as it is
    page.locator("#teaser").fill(draft_teaser)
    page.get_by_role("button", name="Als Entwurf speichern – die veröffentlichte Fassung bleibt online").click()
    page.wait_for_selector(".flash-success")
    assert page.get_by_role("heading", name="Entwurf vorhanden").count() == 1
    assert page.locator("#teaser").input_value() == draft_teaser
    axe(page)
    assert citizen.goto(f"{BP}/leistungen/{slug}").status == 200
    assert citizen.locator(".lead").inner_text() == live_teaser
    axe(citizen)

    # the preview shows the draft; publish it from there
    page.locator(".bp-draft-notice").get_by_role("link", name="Vorschau des Entwurfs").click()
    page.wait_for_url("**/vorschau")
    assert page.locator(".lead").inner_text() == draft_teaser
    axe(page)
    page.get_by_role("button", name="Diesen Entwurf veröffentlichen").click()
    page.wait_for_url(edit_url)
    assert "veröffentlicht" in page.locator(".flash-success").inner_text()
    assert page.get_by_role("heading", name="Entwurf vorhanden").count() == 0
    axe(page)
    citizen.goto(f"{BP}/leistungen/{slug}")
    assert citizen.locator(".lead").inner_text() == draft_teaser
    axe(citizen)

    # a new Bürgeramt: a wrong e-mail address is refused accessibly, then it is saved
    name = f"Bürgeramt Test {mark}"
    page.goto(f"{BP}/redaktion/")
    page.get_by_role("link", name="Neues Bürgeramt").click()
    page.wait_for_url("**/redaktion/buergeraemter/neu")
    axe(page)
    page.get_by_label("Name").fill(name)
    page.get_by_label("Anschrift").fill("Marktplatz 10, 69117 Heidelberg")
    page.get_by_label("Öffnungszeiten").fill("Mo–Fr 8–12 Uhr")
    page.get_by_label("Telefon").fill("06221 58-10580")
    page.get_by_label("E-Mail-Adresse").fill("test-at-heidelberg")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_selector(".error-summary")
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    axe(page)
    page.get_by_label("E-Mail-Adresse").fill("test@heidelberg.de")
    page.get_by_label("Hinweise zur Barrierefreiheit").fill("Stufenloser Zugang über den Hof")
    page.get_by_role("button", name="Speichern").click()
    page.wait_for_selector(".flash-success")
    assert name in page.locator(".flash-success").inner_text()
    axe(page)
    office_url = page.url
    # deleting asks first; cancelling keeps the office
    page.get_by_role("link", name="Bürgeramt löschen …").click()
    page.wait_for_url("**/loeschen")
    assert page.get_by_role("button", name="Endgültig löschen").count() == 1
    axe(page)
    page.get_by_role("link", name="Abbrechen").click()
    page.wait_for_url(office_url)
    citizen.goto(f"{BP}/")
    row = citizen.locator("tbody tr", has_text=name)
    assert row.count() == 1 and "test@heidelberg.de" in row.inner_text()
    assert row.locator("a[href='tel:062215810580']").count() == 1
    axe(citizen)


# -- 6. a registered citizen saves the birth plan and finds it under "Meine Pläne" ---------------
def test_citizen_saves_the_birth_plan_and_finds_it_under_meine_plaene(portal, make_context, axe):
    birth = date.today() - timedelta(days=21)
    plan_url = f"{BP}/geburt/plan?birth_date={birth.isoformat()}&children=2&married=false"
    label = f"Zwillinge {uuid.uuid4().hex[:6]}"

    # a new account (registered, confirmed); then, signed out, the plan offers the login instead
    registered = make_context().new_page()
    address = register_parent(portal, registered, axe)
    page = make_context().new_page()
    page.goto(plan_url)
    axe(page)
    save = page.locator("section#bp-save")
    assert save.locator("form").count() == 0
    save.get_by_role("link", name="Anmelden und Plan speichern").click()
    page.wait_for_url(lambda url: "/anmelden?next=" in url)
    axe(page)
    submit_login(page, address)
    page.wait_for_url(lambda url: "/geburt/plan?" in url)  # back at the plan, answers from the address
    assert f"birth_date={birth.isoformat()}" in page.url and "children=2" in page.url
    axe(page)

    # saving without the consent is refused accessibly; nothing is lost
    form = page.locator("section#bp-save form")
    form.get_by_label("Bezeichnung (freiwillig)").fill(label)
    form.get_by_role("button", name="Plan in meinem Konto speichern").click()
    page.wait_for_selector(".error-summary")
    assert page.locator("#consent").get_attribute("aria-invalid") == "true"
    assert page.locator("#label").input_value() == label
    axe(page)

    # with the consent (keyboard: Space ticks the box) the plan is saved
    page.locator("#consent").focus()
    page.keyboard.press("Space")
    assert page.locator("#consent").is_checked()
    page.locator("section#bp-save").get_by_role("button", name="Plan in meinem Konto speichern").click()
    page.wait_for_url(re.compile(r".*/geburt/plaene/\d+$"))
    saved_url = page.url
    assert "gespeichert" in page.locator(".flash-success").inner_text()
    assert page.locator("h1").inner_text() == "Ihr Plan: Geburt eines Kindes"
    assert label in page.locator(".bp-summary").inner_text()
    assert page.locator("#schritt-mehrlingszuschuss").count() == 1
    axe(page)

    # "Meine Pläne" lists it; it opens again, recomputed, and its calendar file downloads
    page.locator("main .bp-actions").get_by_role("link", name="Meine Pläne").click()
    page.wait_for_url(f"**{BP}/geburt/plaene")
    row = page.locator("tbody tr", has_text=label)
    assert row.count() == 1
    axe(page)
    with page.expect_download() as info:
        row.get_by_role("link", name=re.compile("Kalenderdatei")).click()
    assert info.value.suggested_filename == "geburt-plan.ics"
    ics = open(info.value.path(), "rb").read().decode("utf-8")
    assert ics.startswith("BEGIN:VCALENDAR") and ics.count("BEGIN:VEVENT") >= 8
    row.get_by_role("link", name=label, exact=True).click()
    page.wait_for_url(saved_url)
    assert page.locator("#schritt-vaterschaft").count() == 1
    axe(page)

    # the account page points there as well
    page.goto("/konto/")
    assert "1 von höchstens 20" in page.locator("main").inner_text()
    axe(page)

    # at 320 px the pages do not scroll sideways
    page.set_viewport_size({"width": 320, "height": 640})
    for path in (f"{BP}/geburt/plaene", saved_url, plan_url):
        page.goto(path)
        axe(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 320, f"{path} scrolls horizontally at 320 px: scrollWidth={width}"
    page.set_viewport_size({"width": 1280, "height": 900})

    # deleting asks first
    page.goto(f"{BP}/geburt/plaene")
    page.locator("tbody tr", has_text=label).get_by_role("link", name=re.compile("Löschen")).click()
    page.wait_for_url("**/loeschen")
    assert label in page.locator("main").inner_text()
    axe(page)
    page.get_by_role("button", name="Ja, Plan endgültig löschen").click()
    page.wait_for_url(f"**{BP}/geburt/plaene")
    assert "ist gelöscht" in page.locator(".flash-success").inner_text()
    assert "Sie haben noch keinen Plan gespeichert." in page.locator("main").inner_text()
    axe(page)
    assert page.goto(saved_url).status == 404


# -- 7. an anonymous parent registers from the plan and then saves it ---------------------------
def test_new_parent_registers_from_the_plan_and_saves_it(portal, make_context, axe):
    birth = date.today() - timedelta(days=10)
    plan_url = f"{BP}/geburt/plan?birth_date={birth.isoformat()}&children=1&married=true"
    address = f"e2e-plan-{uuid.uuid4().hex[:10]}@example.org"
    page = make_context().new_page()
    page.goto(plan_url)
    axe(page)

    # the plan → the login (answers in its next) → "Jetzt registrieren" (passes next on)
    page.locator("section#bp-save").get_by_role("link", name="Anmelden und Plan speichern").click()
    page.wait_for_url(lambda url: "/anmelden?next=" in url)
    axe(page)
    page.locator("main").get_by_role("link", name="Jetzt registrieren").click()
    page.wait_for_url(lambda url: "/registrieren?next=" in url)
    axe(page)
    link = submit_registration(portal, page, axe, address)

    # the confirmation link, opened in the browser's next tab, offers to continue to the login
    confirm = page.context.new_page()
    confirm.goto(link)
    assert confirm.locator("h1").inner_text() == "Ihr Konto ist bestätigt"
    axe(confirm)
    confirm.get_by_role("link", name="Weiter zur Anmeldung").click()
    confirm.wait_for_url(lambda url: "/anmelden?next=" in url)
    axe(confirm)
    submit_login(confirm, address)
    confirm.wait_for_url(lambda url: "/geburt/plan?" in url)  # back at the plan, answers from the address
    assert f"birth_date={birth.isoformat()}" in confirm.url and "children=1" in confirm.url
    assert "married=true" in confirm.url
    axe(confirm)

    # and saves it with the consent
    form = confirm.locator("section#bp-save form")
    form.get_by_label("Bezeichnung (freiwillig)").fill("Unser Kind")
    confirm.locator("#consent").check()
    form.get_by_role("button", name="Plan in meinem Konto speichern").click()
    confirm.wait_for_url(re.compile(r".*/geburt/plaene/\d+$"))
    assert "gespeichert" in confirm.locator(".flash-success").inner_text()
    assert "Unser Kind" in confirm.locator(".bp-summary").inner_text()
    axe(confirm)
