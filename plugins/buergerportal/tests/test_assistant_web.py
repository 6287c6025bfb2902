"""The assistant "Geburt eines Kindes" over HTTP: the JSON API, the pages and the iCal file."""

import re
from datetime import date, timedelta

import pytest

from mash_buergerportal.assistant import Answers, build_plan
from mash_buergerportal.assistant.ical import build_calendar, escape_text, fold

API = "/api/v1/buergerportal/assistant/birth"
REQUIRED_KEYS = {"geburtsanzeige", "vornamen", "mutterschutz_ende", "kindergeld", "elterngeld", "elternzeit",
                 "kita_vormerkung", "kita_anspruch", "basiselterngeld_ende", "elterngeldplus_ende"}
pytestmark = pytest.mark.mash_plugins("buergerportal")


def steps_by_key(response):
    return {step["key"]: step for step in response.get_json()["steps"]}


# -- API -----------------------------------------------------------------------------------------
def test_api_shape_and_worked_example(mash_app, client_as):
    response = client_as(None).get(f"{API}?birth_date=2026-03-10")
    assert response.status_code == 200
    body = response.get_json()
    keys = [step["key"] for step in body["steps"]]
    assert len(keys) == len(set(keys)) and REQUIRED_KEYS <= set(keys)
    assert "mehrlingszuschuss" not in keys
    for step in body["steps"]:
        for field in ("key", "title", "office", "legal_basis"):
            assert isinstance(step[field], str) and step[field], (step["key"], field)
        if "due" in step:
            assert "recommended" not in step and "latest" not in step
            date.fromisoformat(step["due"])
        else:
            assert date.fromisoformat(step["recommended"]) <= date.fromisoformat(step["latest"])
    steps = steps_by_key(response)
    assert steps["geburtsanzeige"]["due"] == "2026-03-17"
    assert steps["vornamen"]["due"] == "2026-04-10"
    assert steps["mutterschutz_ende"]["due"] == "2026-05-05"
    assert (steps["elterngeld"]["recommended"], steps["elterngeld"]["latest"]) == ("2026-06-09", "2026-07-09")
    assert steps["kindergeld"]["due"] == "2026-09-30"
    assert steps["kita_vormerkung"]["latest"] == "2026-09-10"
    assert steps["kita_anspruch"]["due"] == "2027-03-10"
    assert steps["basiselterngeld_ende"]["due"] == "2027-05-09"
    assert steps["elterngeldplus_ende"]["due"] == "2028-11-09"
    assert steps["elterngeld"]["office"].startswith("L-Bank")
    assert steps["elterngeld"]["legal_basis"] == "§ 7 Abs. 1 BEEG"
    assert {s["rule"] for s in steps["elterngeld"]["sources"]} >= {"elterngeld_frist", "elterngeld_einkommensgrenze"}
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers


def test_api_optional_answers(mash_app, client_as):
    client = client_as(None)
    steps = steps_by_key(client.get(f"{API}?birth_date=2026-03-10&children=2&weeks_early=7"))
    assert steps["mutterschutz_ende"]["due"] == "2026-07-14"  # 12 weeks + the 6 weeks lost before the birth
    assert steps["basiselterngeld_ende"]["due"] == "2027-06-09"  # one extra month for ≥ 6 weeks early
    assert steps["mehrlingszuschuss"]["latest"] == steps["elterngeld"]["latest"]
    triplets = steps_by_key(client.get(f"{API}?birth_date=2026-03-10&children=3"))
    assert triplets["mehrlingszuschuss"]["due"] == "2027-03-10"
    unmarried = steps_by_key(client.get(f"{API}?birth_date=10.03.2026&married=false&elternzeit_start=2026-06-01"))
    assert unmarried["vaterschaft"]["due"] == "2026-03-10"
    assert unmarried["elternzeit"]["due"] == "2026-04-13"
    shifted = steps_by_key(client.get(f"{API}?birth_date=2025-07-02&unknown=ignored"))["elterngeld"]
    assert shifted["latest"] == "2025-11-03"
    assert shifted["shifted"] == {"from": "2025-11-01", "reasons": ["Allerheiligen", "Sonntag"]}


def test_api_speaks_english_when_asked(mash_app, client_as):
    steps = steps_by_key(client_as(None).get(f"{API}?birth_date=2026-03-10", headers={"Accept-Language": "en"}))
    assert steps["kindergeld"]["title"] == "Apply for child benefit (Kindergeld)"


@pytest.mark.parametrize("query, field", [
    ("", "birth_date"),
    ("birth_date=", "birth_date"),
    ("birth_date=bad", "birth_date"),
    ("birth_date=2026-02-30", "birth_date"),
    ("birth_date=30.02.2026", "birth_date"),
    ("birth_date=2021-08-31", "birth_date"),
    (f"birth_date={(date.today() + timedelta(days=800)).isoformat()}", "birth_date"),
    ("birth_date=2026-03-10&children=0", "children"),
    ("birth_date=2026-03-10&children=zwei", "children"),
    ("birth_date=2026-03-10&weeks_early=-1", "weeks_early"),
    ("birth_date=2026-03-10&weeks_early=30", "weeks_early"),
    ("birth_date=2026-03-10&premature=vielleicht", "premature"),
    ("birth_date=2026-03-10&elternzeit_start=2026-03-09", "elternzeit_start"),
    ("birth_date=2026-03-10&elternzeit_start=2034-03-10", "elternzeit_start"),
    ("birth_date=2026-03-10&care_start=2026-01-01", "care_start"),
])
def test_api_rejects_invalid_answers_with_422(mash_app, client_as, query, field):
    response = client_as(None).get(f"{API}?{query}")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == 422
    assert field in body["errors"]["query"]


# -- pages ---------------------------------------------------------------------------------------
def main(html: str) -> str:
    return html[html.index("<main"):html.index("</main>")]


def test_index_links_the_assistant(mash_app, client_as):
    html = client_as(None).get("/buergerportal/").get_data(as_text=True)
    assert 'href="/buergerportal/geburt"' in main(html)


def test_form_is_accessible_and_stores_nothing(mash_app, client_as):
    response = client_as(None).get("/buergerportal/geburt")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    html = main(response.get_data(as_text=True))
    assert '<form method="get" action="/buergerportal/geburt/plan"' in html
    assert html.count("<fieldset") == html.count("<legend>") >= 6
    for name in re.findall(r'<input[^>]* id="([^"]+)"', html):
        assert f'<label for="{name}">' in html, name
    assert "style=" not in html and "<script" not in html
    assert "175.000 €" in html and "Geburten ab 01.04.2025" in html  # caps from the rule table
    assert "csrf_token" not in html


def test_form_reports_errors_with_a_summary(mash_app, client_as):
    response = client_as(None).get("/buergerportal/geburt/plan?birth_date=2026-02-30&children=0")
    assert response.status_code == 422
    html = main(response.get_data(as_text=True))
    summary = html[html.index('class="error-summary"'):]
    assert summary.index('href="#birth_date"') < summary.index('href="#children"')
    assert 'id="birth_date-error"' in html and 'aria-invalid="true"' in html
    missing = main(client_as(None).get("/buergerportal/geburt/plan").get_data(as_text=True))
    assert "Bitte geben Sie das Geburtsdatum Ihres Kindes an." in missing


def test_form_is_prefilled_when_changing_answers(mash_app, client_as):
    html = client_as(None).get("/buergerportal/geburt?birth_date=10.03.2026&married=false").get_data(as_text=True)
    assert 'name="birth_date" type="date" value="2026-03-10"' in html
    assert re.search(r'id="married-2" name="married" value="false" checked', html)


def test_plan_page_is_printable_and_offers_ical(mash_app, client_as):
    client = client_as(None)
    response = client.get("/buergerportal/geburt/plan?birth_date=2026-03-10&married=false")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store" and "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    body = main(html)
    assert "style=" not in body and "<script" not in body
    assert "Dienstag, 17. März 2026" in body and 'datetime="2026-07-09"' in body
    assert 'id="schritt-vaterschaft"' in body and "L-Bank" in body and "§ 70 Abs. 1 Satz 2 EStG" in body
    assert 'href="/buergerportal/geburt/plan.ics?birth_date=2026-03-10&amp;married=false"' in body
    css = re.search(r'<link rel="stylesheet" href="(/buergerportal/static/buergerportal/assistant\.css)">', html)
    stylesheet = client.get(css.group(1))
    assert stylesheet.status_code == 200 and b"@media print" in stylesheet.data
    script = re.search(r'<script src="(/buergerportal/static/buergerportal/assistant\.js)" defer>', html)
    assert client.get(script.group(1)).status_code == 200


def test_plan_page_in_english(mash_app, client_as):
    html = client_as(None).get("/buergerportal/geburt/plan?birth_date=2026-03-10",
                               headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Your plan: birth of a child" in html and "Tuesday, March 17, 2026" in html


# -- iCal ----------------------------------------------------------------------------------------
def unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    physical = text[:-2].split("\r\n")
    for line in physical:
        assert "\n" not in line and "\r" not in line
        assert len(line.encode("utf-8")) <= 75, line
    lines = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    return lines


def components(lines: list[str], name: str) -> list[list[str]]:
    found, current = [], None
    for line in lines:
        if line == f"BEGIN:{name}":
            current = []
        elif line == f"END:{name}":
            found.append(current)
            current = None
        elif current is not None:
            current.append(line)
    return found


def props(block: list[str]) -> dict:
    out = {}
    for line in block:
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def test_ical_file_is_valid_rfc5545(mash_app, client_as):
    client = client_as(None)
    url = "/buergerportal/geburt/plan.ics?birth_date=2026-03-10&children=2"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar" and response.mimetype_params["charset"] == "utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    lines = unfold(response.get_data(as_text=True))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    calendar = props(lines)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]
    events = components(lines, "VEVENT")
    plan = build_plan(Answers(date(2026, 3, 10), children=2))
    assert len(events) == sum(len(step.dates()) for step in plan.steps)
    uids = []
    for event in events:
        p = props(event)
        for required in ("UID", "DTSTAMP", "DTSTART;VALUE=DATE", "DTEND;VALUE=DATE", "SUMMARY", "DESCRIPTION"):
            assert p.get(required), required
        assert re.fullmatch(r"\d{8}T\d{6}Z", p["DTSTAMP"])
        start, end = (date(int(v[:4]), int(v[4:6]), int(v[6:])) for v in (p["DTSTART;VALUE=DATE"],
                                                                         p["DTEND;VALUE=DATE"]))
        assert end == start + timedelta(days=1)  # all-day
        alarms = components(event, "VALARM")
        assert len(alarms) == 2
        for alarm in alarms:
            a = props(alarm)
            assert a["ACTION"] == "DISPLAY" and a["DESCRIPTION"] and re.fullmatch(r"-P(\d+D)?(T\d+H)?", a["TRIGGER"])
        uids.append(p["UID"])
    assert len(set(uids)) == len(uids)
    assert "elterngeld-latest-20260310@localhost" in uids and "kindergeld-due-20260310@localhost" in uids
    kindergeld = next(props(e) for e in events if props(e)["UID"].startswith("kindergeld-"))
    assert kindergeld["DTSTART;VALUE=DATE"] == "20260930"
    assert "\\," in kindergeld["DESCRIPTION"] and "\\n" in kindergeld["DESCRIPTION"]  # escaped TEXT
    # the same answers give the same UIDs (a second download updates the events)
    again = [props(e)["UID"] for e in components(unfold(client.get(url).get_data(as_text=True)), "VEVENT")]
    assert again == uids


def test_ical_rejects_invalid_answers(mash_app, client_as):
    response = client_as(None).get("/buergerportal/geburt/plan.ics?birth_date=morgen")
    assert response.status_code == 422
    assert "birth_date" in response.get_data(as_text=True)


def test_fold_and_escape():
    long = "DESCRIPTION:" + "Schutzfrist für Mütter – Geburtsurkunde, Ämter; Zuständigkeit\\ " * 5
    folded = fold(long)
    physical = folded[:-2].split("\r\n")
    assert all(len(line.encode("utf-8")) <= 75 for line in physical)
    assert all(line.startswith(" ") for line in physical[1:])
    assert "".join([physical[0]] + [line[1:] for line in physical[1:]]) == long
    assert fold("SHORT:x") == "SHORT:x\r\n"
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
    text = build_calendar(build_plan(Answers(date(2026, 3, 10))), "example.org", {}, lambda step: ["ä" * 80])
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
