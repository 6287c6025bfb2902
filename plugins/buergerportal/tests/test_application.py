"""Application helper (Kindergeld, Elterngeld) and the Leichte-Sprache page."""

import re
import zlib
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from mash_buergerportal.application import (IBAN_LENGTHS, check, iban_problem, is_valid_iban, is_valid_tax_id,
                                            summary_pdf, tax_id_check_digit, tax_id_problem)

pytestmark = pytest.mark.mash_plugins("buergerportal")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

VALID_TAX_IDS = ["86095742719", "47036892816", "65929970489", "57549285017", "25768131411", "86 095 742 719"]
VALID_IBANS = ["DE89370400440532013000", "DE89 3704 0044 0532 0130 00", "de02120300000000202051",
               "AT611904300234573201", "GB29NWBK60161331926819", "FR1420041010050500013M02606"]


# -- Steuer-ID ---------------------------------------------------------------------------------
@pytest.mark.parametrize("number", VALID_TAX_IDS)
def test_valid_tax_ids(number):
    assert is_valid_tax_id(number)
    assert tax_id_problem(number) is None


def test_check_digit_iso_7064_mod_11_10():
    assert tax_id_check_digit("8609574271") == 9
    assert tax_id_check_digit("4703689281") == 6
    assert tax_id_check_digit("2576813141") == 1


@pytest.mark.parametrize("number, problem", [
    ("86095742711", "check_digit"),      # last digit changed
    ("86095742718", "check_digit"),
    ("68095742719", "check_digit"),      # two digits swapped
    ("06095742719", "leading_zero"),
    ("8609574271", "format"),            # 10 digits
    ("860957427190", "format"),          # 12 digits
    ("8609574271X", "format"),
    ("", "format"),
    ("12345678903", "repetition"),       # check digit fits, but every digit occurs once
    ("11112345675", "repetition"),       # one digit four times
    ("11223456780", "repetition"),       # two digits repeated
])
def test_invalid_tax_ids(number, problem):
    assert tax_id_problem(number) == problem
    assert not is_valid_tax_id(number)


def test_tax_id_digit_three_times_in_a_row_is_invalid():
    head = "1112345678"
    number = head + str(tax_id_check_digit(head))
    assert tax_id_problem(number) == "repetition"
    spread = "1121345678"  # three times, but not all consecutive: allowed
    assert tax_id_problem(spread + str(tax_id_check_digit(spread))) is None


# -- IBAN --------------------------------------------------------------------------------------
@pytest.mark.parametrize("iban", VALID_IBANS)
def test_valid_ibans(iban):
    assert is_valid_iban(iban)


@pytest.mark.parametrize("iban, problem", [
    ("DE89370400440532013001", "checksum"),
    ("DE88370400440532013000", "checksum"),
    ("DE8937040044053201300", "length"),     # 21 characters
    ("DE893704004405320130000", "length"),   # 23 characters
    ("XX89370400440532013000", "country"),
    ("US89370400440532013000", "country"),
    ("DE8937040044053201300A", "format"),    # German IBANs are digits only
    ("370400440532013000", "format"),
    ("", "format"),
])
def test_invalid_ibans(iban, problem):
    assert iban_problem(iban) == problem
    assert not is_valid_iban(iban)


def test_german_iban_length_is_22():
    assert IBAN_LENGTHS["DE"] == 22


# -- the check ---------------------------------------------------------------------------------
TODAY = date(2026, 5, 20)
KINDERGELD = {
    "child_first_name": "Mila", "child_last_name": "Grünewald", "child_birth_date": "2026-03-10",
    "child_tax_id": "47036892816",
    "applicant_first_name": "Jördis", "applicant_last_name": "Grünewald", "applicant_birth_date": "12.07.1990",
    "applicant_tax_id": "86095742719", "street": "Marktplatz 10", "postcode": "69117", "city": "Heidelberg",
    "nationality": "de", "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Jördis Grünewald",
}
ELTERNGELD = {
    "child_first_name": "Mila", "child_last_name": "Grünewald", "child_birth_date": "2026-03-10", "children": "1",
    "applicant_first_name": "Jördis", "applicant_last_name": "Grünewald", "applicant_birth_date": "1990-07-12",
    "applicant_tax_id": "86095742719", "street": "Marktplatz 10", "postcode": "69117", "city": "Heidelberg",
    "custody": "joint", "other_parent_first_name": "Ömer", "other_parent_last_name": "Yılmaz",
    "basis_months": "10", "plus_months": "0", "statutory_insurance": "1",
    "iban": "DE89370400440532013000", "account_holder": "Jördis Grünewald",
}


def test_check_accepts_a_complete_kindergeld_application(mash_app):
    with mash_app.test_request_context():
        result = check("kindergeld", KINDERGELD, today=TODAY)
    assert result.ok, result.errors
    assert result.values["child_birth_date"] == date(2026, 3, 10)
    assert result.values["applicant_birth_date"] == date(1990, 7, 12)
    assert result.values["iban"] == "DE89370400440532013000"
    assert result.deadlines == [(result.deadlines[0][0], date(2026, 9, 30))]  # § 70 EStG, worked example
    assert len(result.signatures) == 1


def test_check_kindergeld_errors(mash_app):
    form = {**KINDERGELD, "child_tax_id": "", "applicant_tax_id": "86095742711", "iban": "DE89370400440532013001",
            "postcode": "6911", "child_birth_date": (TODAY + timedelta(days=1)).isoformat(), "nationality": ""}
    with mash_app.test_request_context():
        result = check("kindergeld", form, today=TODAY)
    assert list(result.errors) == ["child_birth_date", "child_tax_id", "applicant_tax_id", "postcode",
                                   "nationality", "iban"]
    with mash_app.test_request_context():
        pending = check("kindergeld", {**KINDERGELD, "child_tax_id": "", "child_tax_id_pending": "1",
                                       "other_parent_in_household": "1", "other_parent_name": "Ömer Yılmaz"},
                        today=TODAY)
    assert pending.ok and pending.missing and len(pending.signatures) == 2
    with mash_app.test_request_context():
        same = check("kindergeld", {**KINDERGELD, "child_tax_id": KINDERGELD["applicant_tax_id"]}, today=TODAY)
    assert list(same.errors) == ["child_tax_id"]


def test_check_elterngeld_signatures_and_dates(mash_app):
    with mash_app.test_request_context():
        joint = check("elterngeld", ELTERNGELD, today=TODAY)
        sole = check("elterngeld", {**ELTERNGELD, "custody": "sole", "other_parent_first_name": "",
                                    "other_parent_last_name": ""}, today=TODAY)
        missing_other = check("elterngeld", {**ELTERNGELD, "other_parent_last_name": ""}, today=TODAY)
        too_early = check("elterngeld", {**ELTERNGELD, "child_birth_date": "2019-01-01"}, today=TODAY)
        bad = check("elterngeld", {**ELTERNGELD, "basis_months": "1", "applicant_birth_date": "2020-01-01",
                                   "child_birth_date": "31.02.2026"}, today=TODAY)
        late = check("elterngeld", ELTERNGELD, today=date(2026, 8, 1))
    assert joint.ok, joint.errors
    assert len(joint.signatures) == 2 and "Ömer Yılmaz" in joint.signatures[1]  # both parents sign
    assert [d for _label, d in joint.deadlines] == [date(2026, 6, 9), date(2026, 7, 9)]
    assert sole.ok and len(sole.signatures) == 1
    assert list(missing_other.errors) == ["other_parent_last_name"]
    assert list(too_early.errors) == ["child_birth_date"]
    assert list(bad.errors) == ["child_birth_date", "applicant_birth_date", "basis_months"]
    assert late.ok and late.warnings  # the date for full payment has passed


ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}


def _unescape(literal: bytes) -> bytes:
    """The bytes of a PDF literal string (backslash escapes resolved)."""
    out, i = bytearray(), 0
    while i < len(literal):
        char = literal[i]
        if char != 0x5C:
            out.append(char)
            i += 1
            continue
        nxt = literal[i + 1]
        octal = re.match(rb"[0-7]{1,3}", literal[i + 1:i + 4])
        if octal:
            out.append(int(octal.group(0), 8) & 0xFF)
            i += 1 + len(octal.group(0))
        else:
            out.append(ESCAPES.get(nxt, nxt))
            i += 2
    return bytes(out)


def _pdf_text(pdf: bytes) -> str:
    """The text of an fpdf2 PDF: glyph ids of the content streams mapped back via ToUnicode."""
    streams = []
    for match in re.finditer(rb"<<(.*?)>>\s*stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        data = match.group(2)
        streams.append(zlib.decompress(data) if b"FlateDecode" in match.group(1) else data)
    cmap = {}
    for stream in streams:
        for src, dst in re.findall(rb"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4,})>", stream):
            cmap[src.decode().upper()] = bytes.fromhex(dst.decode()).decode("utf-16-be")
    text = []
    for stream in streams:
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", stream, re.S):
            run = _unescape(literal).hex().upper()
            text.append("".join(cmap.get(run[i:i + 4], "?") for i in range(0, len(run), 4)))
    return "\n".join(text)


def test_summary_pdf(mash_app):
    with mash_app.test_request_context():
        result = check("elterngeld", ELTERNGELD, today=TODAY)
        pdf = summary_pdf(result, lambda day: day.strftime("%d.%m.%Y"), today=TODAY, compress=False)
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    assert "Jördis" in text and "Yılmaz" in text
    assert "86 095 742 719" in text and "DE89 3704 0044 0532 0130 00" in text
    assert "l-bank.de" in text and "09.07.2026" in text


# -- HTTP --------------------------------------------------------------------------------------
def _token(client, kind="kindergeld"):
    page = client.get(f"/buergerportal/antrag/{kind}")
    assert page.status_code == 200
    return CSRF.search(page.get_data(as_text=True)).group(1)


def _row_counts(app):
    engine = app.extensions["mash"].engine
    with engine.connect() as connection:
        return {name: connection.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar()
                for name in sa.inspect(engine).get_table_names()}


def test_form_pages_and_plan_links(mash_app, client_as):
    client = client_as(None)
    page = client.get("/buergerportal/antrag/elterngeld?birth_date=2026-03-10&children=2")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert 'value="2026-03-10"' in html and 'name="csrf_token"' in html
    assert "l-bank.de" in html
    assert client.get("/buergerportal/antrag/kinderzuschlag").status_code == 404
    plan = client.get("/buergerportal/geburt/plan?birth_date=2026-03-10").get_data(as_text=True)
    assert "/buergerportal/antrag/kindergeld?birth_date=2026-03-10" in plan
    assert "/buergerportal/antrag/elterngeld?birth_date=2026-03-10" in plan


def test_post_returns_pdf_and_stores_nothing(mash_app, client_as):
    client = client_as(None)
    token = _token(client)
    before = _row_counts(mash_app)
    response = client.post("/buergerportal/antrag/kindergeld", data={**KINDERGELD, "csrf_token": token})
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    assert "Jördis" in _pdf_text(response.data)
    token = _token(client, "elterngeld")
    assert client.post("/buergerportal/antrag/elterngeld",
                       data={**ELTERNGELD, "csrf_token": token}).data.startswith(b"%PDF")
    assert _row_counts(mash_app) == before


def test_post_with_errors_shows_the_summary(mash_app, client_as):
    client = client_as(None)
    token = _token(client)
    before = _row_counts(mash_app)
    form = {**KINDERGELD, "applicant_tax_id": "86095742711", "iban": "DE8937040044053201300",
            "child_birth_date": "10.03.2026", "csrf_token": token}
    response = client.post("/buergerportal/antrag/kindergeld", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html and 'role="alert"' in html
    assert 'href="#applicant_tax_id"' in html and 'href="#iban"' in html
    assert 'aria-invalid="true"' in html
    assert 'value="2026-03-10"' in html  # German date shown back in ISO for <input type="date">
    assert 'value="Marktplatz 10"' in html
    assert _row_counts(mash_app) == before


def test_post_needs_the_csrf_token(mash_app, client_as):
    client = client_as(None)
    _token(client)  # a session exists, but the token is not sent
    response = client.post("/buergerportal/antrag/kindergeld", data=KINDERGELD)
    assert response.status_code == 400
    assert not response.data.startswith(b"%PDF")
    wrong = client.post("/buergerportal/antrag/elterngeld", data={**ELTERNGELD, "csrf_token": "forged"})
    assert wrong.status_code == 400


def test_english_form(mash_app, client_as):
    client = client_as(None)
    html = client.get("/buergerportal/antrag/kindergeld", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="en"' in html
    assert "Steuer-ID des Kindes" not in html


# -- Leichte Sprache ---------------------------------------------------------------------------
def test_easy_language_page(mash_app, client_as):
    client = client_as(None)
    page = client.get("/buergerportal/leichte-sprache")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Leichter Sprache" in html and 'href="tel:112"' in html
    assert 'href="/buergerportal/antrag/kindergeld"' in html and 'href="/buergerportal/hilfe"' in html
    assert "06221 58-13333" in html  # the municipality's appointment phone from the settings
    index = client.get("/buergerportal/").get_data(as_text=True)
    assert 'href="/buergerportal/leichte-sprache"' in index
    home = client.get("/").get_data(as_text=True)
    footer = home[home.find("<footer"):]
    assert 'href="/buergerportal/leichte-sprache"' in footer
    english = client.get("/buergerportal/leichte-sprache", headers={"Accept-Language": "en"})
    assert english.status_code == 200
