"""The rule engine of the assistant "Geburt eines Kindes" (no app needed).

The worked example is the domain brief's § 4.10 (child born Tuesday, 10.03.2026) and the Haufe
example on § 7 BEEG (born 9.7.2023, application on 20.10.2023 is still paid from the birth).
"""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from mash_buergerportal.assistant import Answers, build_plan
from mash_buergerportal.assistant import calendar as cal
from mash_buergerportal.assistant.rules import (BW_HOLIDAYS, COVERAGE_FROM, RULES, UNITS, Period, Rule, RuleNotFound,
                                                rule, versions)

TODAY = date(2026, 11, 27)
BIRTH = date(2026, 3, 10)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def plan(**answers):
    answers.setdefault("birth_date", BIRTH)
    return build_plan(Answers(**answers), today=TODAY)


def d(text: str) -> date:
    return date.fromisoformat(text)


# -- the brief's worked example (§ 4.10) -------------------------------------------------------
WORKED_EXAMPLE = [
    # key, which date, expected, weekday in the brief
    ("geburtsanzeige", "due", "2026-03-17", "Tue"),
    ("vornamen", "due", "2026-04-10", "Fri"),
    ("mutterschutz_ende", "due", "2026-05-05", "Tue"),
    ("elterngeld", "recommended", "2026-06-09", "Tue"),
    ("elterngeld", "latest", "2026-07-09", "Thu"),
    ("kindergeld", "due", "2026-09-30", "Wed"),
    ("kita_vormerkung", "recommended", "2026-03-10", "Tue"),   # "now", possible from birth
    ("kita_vormerkung", "latest", "2026-09-10", "Thu"),        # BW notice: 1st birthday − 6 months
    ("kita_anspruch", "due", "2027-03-10", "Wed"),
    ("basiselterngeld_ende", "due", "2027-05-09", "Sun"),      # a Sunday, but no filing deadline
    ("elterngeldplus_ende", "due", "2028-11-09", "Thu"),
    ("elternzeit", "due", "2026-01-20", "Tue"),                # due date − 7 weeks
]


@pytest.mark.parametrize("key, which, expected, weekday", WORKED_EXAMPLE)
def test_worked_example_of_the_brief(key, which, expected, weekday):
    step = plan(married=False).step(key)
    assert getattr(step, which) == d(expected)
    assert WEEKDAYS[d(expected).weekday()] == weekday


def test_worked_example_has_no_shift_and_the_special_cases():
    p = plan(married=False)
    assert all(step.shift is None for step in p.steps)  # none of its deadlines falls on a weekend/holiday
    assert p.step("vaterschaft").due == BIRTH  # possible before the birth: as early as possible
    assert plan(disability=True).step("mutterschutz_ende").due == d("2026-06-02")  # 12 weeks
    assert plan(children=3).step("mehrlingszuschuss").due == d("2027-03-10")
    kita = {str(f.label): f for f in p.step("kita_vormerkung").facts}
    assert kita["Kindergartenjahr"].text == "2026/27"
    assert kita["Platzvergabe für dieses Kindergartenjahr ab"].date == d("2026-02-15")  # a running round
    assert kita["Vormerkung für dieses Kindergartenjahr möglich ab"].date == d("2025-09-01")
    assert any("laufende Vergabe" in str(n) for n in p.step("kita_vormerkung").notes)


def test_worked_example_order_and_keys():
    p = plan()
    assert p.keys == ["elternzeit", "geburtsanzeige", "vornamen", "mutterschutz_ende", "elterngeld",
                      "kita_vormerkung", "kindergeld", "kita_anspruch", "basiselterngeld_ende",
                      "elterngeldplus_ende"]
    assert [s.date for s in p.steps] == sorted(s.date for s in p.steps)


def test_haufe_example_application_in_lm4_is_paid_from_the_birth():
    step = plan(birth_date=d("2023-07-09")).step("elterngeld")
    received = d("2023-10-20")
    assert cal.start_of_lebensmonat(d("2023-07-09"), 4) == d("2023-10-09") <= received
    assert step.recommended == d("2023-10-08")  # end of LM 3, a Sunday: a recommendation is not shifted
    assert step.latest == d("2023-11-08") >= received


# -- month arithmetic (§§ 187, 188 BGB) --------------------------------------------------------
@pytest.mark.parametrize("birth, n, end", [
    ("2026-03-10", 1, "2026-04-09"),
    ("2026-03-01", 1, "2026-03-31"),
    ("2026-01-31", 1, "2026-02-28"),   # February has no 31st → its last day (§ 188 Abs. 3)
    ("2024-01-31", 1, "2024-02-29"),   # leap year
    ("2026-01-31", 2, "2026-03-30"),
    ("2026-01-31", 3, "2026-04-30"),   # April has no 31st
    ("2026-01-31", 4, "2026-05-30"),
    ("2026-01-30", 1, "2026-02-28"),
    ("2026-01-30", 2, "2026-03-29"),
    ("2024-01-30", 1, "2024-02-29"),
    ("2026-01-29", 1, "2026-02-28"),
    ("2024-01-29", 1, "2024-02-28"),   # 29.02. exists in 2024: the day before it
    ("2026-03-31", 1, "2026-04-30"),
    ("2026-03-31", 2, "2026-05-30"),
    ("2026-03-31", 3, "2026-06-30"),
    ("2026-08-31", 6, "2027-02-28"),
    ("2027-08-31", 6, "2028-02-29"),
    ("2024-02-29", 1, "2024-03-28"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2024-02-29", 48, "2028-02-28"),
    ("2026-12-31", 2, "2027-02-28"),
    ("2025-12-15", 1, "2026-01-14"),   # across the year end
])
def test_end_of_lebensmonat(birth, n, end):
    assert cal.end_of_lebensmonat(d(birth), n) == d(end)


def test_lebensmonate_are_contiguous_for_every_birth_day():
    day = date(2023, 1, 1)
    while day < date(2025, 1, 1):
        previous_end = day - timedelta(days=1)
        for n in range(1, 34):
            start, end = cal.start_of_lebensmonat(day, n), cal.end_of_lebensmonat(day, n)
            assert start == previous_end + timedelta(days=1)
            assert 27 <= (end - start).days <= 30, (day, n)
            previous_end = end
        day += timedelta(days=1)


@pytest.mark.parametrize("start, months, expected", [
    ("2026-03-10", 1, "2026-04-10"),
    ("2026-01-31", 1, "2026-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2026-03-31", 1, "2026-04-30"),
    ("2024-02-29", 12, "2025-02-28"),
    ("2027-03-10", -6, "2026-09-10"),
    ("2027-08-31", -6, "2027-02-28"),
    ("2028-08-31", -6, "2028-02-29"),
    ("2026-01-15", -1, "2025-12-15"),
])
def test_add_months(start, months, expected):
    assert cal.add_months(d(start), months) == d(expected)


@pytest.mark.parametrize("start, months, expected", [
    ("2026-03-10", 6, "2026-09-30"),
    ("2026-08-31", 6, "2027-02-28"),
    ("2027-08-01", 6, "2028-02-29"),
    ("2026-07-01", 6, "2027-01-31"),
])
def test_end_of_calendar_month(start, months, expected):
    assert cal.end_of_calendar_month(d(start), months) == d(expected)


@pytest.mark.parametrize("birth, key, expected", [
    ("2026-01-31", "vornamen", "2026-02-28"),
    ("2024-01-31", "vornamen", "2024-02-29"),
    ("2026-03-31", "vornamen", "2026-04-30"),
    ("2026-08-31", "kindergeld", "2027-02-28"),
    ("2026-12-31", "kindergeld", "2027-06-30"),
    ("2024-02-29", "kita_anspruch", "2025-03-01"),  # the first Lebensjahr ends on 28.02.2025
    ("2024-02-29", "geburtsanzeige", "2024-03-07"),
    ("2024-02-29", "basiselterngeld_ende", "2025-04-28"),
    ("2024-02-29", "mutterschutz_ende", "2024-04-25"),
    ("2025-12-31", "elterngeldplus_ende", "2028-08-30"),
])
def test_edge_dates(birth, key, expected):
    assert plan(birth_date=d(birth)).step(key).date == d(expected)


def test_multiple_birth_grant_on_a_leap_day():
    assert plan(birth_date=d("2024-02-29"), children=3).step("mehrlingszuschuss").due == d("2025-02-28")


# -- Baden-Württemberg holidays and the shift (§ 26 Abs. 3 SGB X) -------------------------------
@pytest.mark.parametrize("year, easter", [(2000, "2000-04-23"), (2008, "2008-03-23"), (2011, "2011-04-24"),
                                          (2019, "2019-04-21"), (2024, "2024-03-31"), (2025, "2025-04-20"),
                                          (2026, "2026-04-05"), (2027, "2027-03-28"), (2038, "2038-04-25")])
def test_easter(year, easter):
    assert cal.easter_sunday(year) == d(easter)


def test_bw_holidays_2026():
    assert {day.isoformat(): h.key for day, h in BW_HOLIDAYS.holidays(2026).items()} == {
        "2026-01-01": "neujahr", "2026-01-06": "heilige_drei_koenige", "2026-04-03": "karfreitag",
        "2026-04-06": "ostermontag", "2026-05-01": "tag_der_arbeit", "2026-05-14": "christi_himmelfahrt",
        "2026-05-25": "pfingstmontag", "2026-06-04": "fronleichnam", "2026-10-03": "tag_der_deutschen_einheit",
        "2026-11-01": "allerheiligen", "2026-12-25": "erster_weihnachtstag", "2026-12-26": "zweiter_weihnachtstag"}
    # not holidays in Baden-Württemberg: Gründonnerstag, Mariä Himmelfahrt, Reformationstag, Buß- und Bettag
    for day in ("2026-04-02", "2026-08-15", "2026-10-31", "2026-11-18", "2026-12-24", "2026-12-31"):
        assert BW_HOLIDAYS.holiday(d(day)) is None, day
    assert BW_HOLIDAYS.is_working_day(d("2026-04-02")) and not BW_HOLIDAYS.is_working_day(d("2026-08-15"))


@pytest.mark.parametrize("birth, computed, shifted, reasons", [
    ("2025-07-02", "2025-11-01", "2025-11-03", ["allerheiligen", "sunday"]),     # holiday on a Saturday
    ("2025-09-07", "2026-01-06", "2026-01-07", ["heilige_drei_koenige"]),
    ("2026-02-05", "2026-06-04", "2026-06-05", ["fronleichnam"]),
    ("2025-12-04", "2026-04-03", "2026-04-07", ["karfreitag", "saturday", "sunday", "ostermontag"]),
    ("2025-08-26", "2025-12-25", "2025-12-29",
     ["erster_weihnachtstag", "zweiter_weihnachtstag", "saturday", "sunday"]),
    ("2026-03-12", "2026-07-11", "2026-07-13", ["saturday", "sunday"]),
])
def test_elterngeld_deadline_moves_off_weekends_and_bw_holidays(birth, computed, shifted, reasons):
    step = plan(birth_date=d(birth)).step("elterngeld")
    assert step.latest == d(shifted)
    assert step.shift.original == d(computed)
    assert [r if isinstance(r, str) else r.key for _day, r in step.shift.skipped] == reasons
    assert "fristende_werktag" in [r.id for r in step.rules]
    assert BW_HOLIDAYS.is_working_day(step.latest)


def test_dates_that_are_not_shifted():
    # Kindergeld: the application must arrive within the month; 31.05.2026 is a Sunday
    assert plan(birth_date=d("2025-11-20")).step("kindergeld").due == d("2026-05-31")
    # the end of a period is no filing deadline (worked example: Sunday 09.05.2027)
    assert plan().step("basiselterngeld_ende").shift is None
    # Geburtsanzeige on Allerheiligen 2026 (a Sunday) stays, the shift is not confirmed (brief §10.4)
    assert plan(birth_date=d("2026-10-25")).step("geburtsanzeige").due == d("2026-11-01")


# -- Mutterschutz ------------------------------------------------------------------------------
@pytest.mark.parametrize("answers, expected", [
    ({}, "2026-05-05"),                                           # 8 weeks
    ({"children": 2}, "2026-06-02"),                               # 12 weeks: multiple birth
    ({"disability": True}, "2026-06-02"),                          # 12 weeks on application
    ({"premature": True}, "2026-06-02"),                           # 12 weeks: premature
    ({"weeks_early": 3}, "2026-05-26"),                            # 8 weeks + 21 lost days
    ({"weeks_early": 3, "premature": True}, "2026-06-23"),         # 12 weeks + 21 days
    ({"weeks_early": 4, "premature": True}, "2026-06-30"),         # 16 weeks, as in the Wuppertal example
    ({"weeks_early": 7}, "2026-07-14"),                            # premature assumed: 12 weeks + 6 weeks
    ({"weeks_early": 10, "premature": False}, "2026-06-16"),       # 8 weeks + at most 6 weeks
])
def test_mutterschutz(answers, expected):
    assert plan(**answers).step("mutterschutz_ende").due == d(expected)


def test_no_mutterschutz_step_when_the_mother_is_not_employed():
    p = plan(mother_employed=False)
    assert p.step("mutterschutz_ende") is None
    assert any("Mutterschutz" in str(n.text) for n in p.notices)


# -- Elterngeld windows, premature months, parallel drawing --------------------------------------
@pytest.mark.parametrize("weeks, basis_end, plus_from", [
    (0, "2027-05-09", "2027-05-10"), (5, "2027-05-09", "2027-05-10"), (6, "2027-06-09", "2027-06-10"),
    (8, "2027-07-09", "2027-07-10"), (12, "2027-08-09", "2027-08-10"), (16, "2027-09-09", "2027-09-10"),
])
def test_premature_birth_extends_basiselterngeld(weeks, basis_end, plus_from):
    p = plan(weeks_early=weeks)
    assert p.step("basiselterngeld_ende").due == d(basis_end)
    plus = p.step("elterngeldplus_ende")
    assert plus.due == d("2028-11-09")  # ElterngeldPlus stays until the end of LM 32
    assert plus.facts[0].date == d(plus_from)


def test_parallel_basiselterngeld_limit_applies_to_births_from_april_2024():
    def limit(**answers):
        return [f.date for f in plan(**answers).step("basiselterngeld_ende").facts]
    assert limit(birth_date=d("2024-03-31")) == []
    assert limit(birth_date=d("2024-04-01")) == [d("2025-03-31")]  # end of LM 12
    assert limit(birth_date=d("2024-04-01"), children=2) == []       # exceptions
    assert limit(birth_date=d("2024-04-01"), weeks_early=6) == []
    assert limit(birth_date=d("2024-04-01"), disability=True) == []


def test_premature_months_only_for_births_from_september_2021():
    assert plan(birth_date=d("2021-08-31"), weeks_early=8).step("basiselterngeld_ende").due == d("2022-10-30")
    assert plan(birth_date=d("2021-09-01"), weeks_early=8).step("basiselterngeld_ende").due == d("2022-12-31")


@pytest.mark.parametrize("birth, caps", [
    ("2024-03-31", {"Einkommensgrenze für Alleinerziehende": 250_000, "Einkommensgrenze für Paare": 300_000}),
    ("2024-04-01", {"Einkommensgrenze (zu versteuerndes Einkommen) für Ihr Kind": 200_000}),
    ("2025-03-31", {"Einkommensgrenze (zu versteuerndes Einkommen) für Ihr Kind": 200_000}),
    ("2025-04-01", {"Einkommensgrenze (zu versteuerndes Einkommen) für Ihr Kind": 175_000}),
])
def test_income_cap_by_birth_date(birth, caps):
    facts = plan(birth_date=d(birth)).step("elterngeld").facts
    assert {str(f.label): f.eur for f in facts if "Einkommensgrenze" in str(f.label)} == caps


def test_income_above_cap_drops_the_elterngeld_steps():
    p = plan(income_above_cap=True, children=2)
    assert not {"elterngeld", "basiselterngeld_ende", "elterngeldplus_ende", "mehrlingszuschuss"} & set(p.keys)
    assert p.notices[0].facts[0].eur == 175_000
    assert "mehrlingszuschuss" in plan(income_above_cap=True, children=3).keys  # the Land's grant stays


# -- multiple births ---------------------------------------------------------------------------
def test_multiple_births():
    assert "mehrlingszuschuss" not in plan().keys
    twins = plan(children=2)
    supplement, elterngeld = twins.step("mehrlingszuschuss"), twins.step("elterngeld")
    assert (supplement.recommended, supplement.latest) == (elterngeld.recommended, elterngeld.latest)
    assert [f.eur for f in supplement.facts] == [300, 300]
    triplets = plan(children=3)
    grant = triplets.step("mehrlingszuschuss")
    assert grant.due == d("2027-03-10") and grant.recommended is None
    assert [f.eur for f in grant.facts] == [2500, 7500, 300]


# -- Kindergeld amounts, Elternzeit, Kita --------------------------------------------------------
def test_kindergeld_amount_by_month():
    def amounts(birth):
        return [(f.eur, f.since) for f in plan(birth_date=d(birth)).step("kindergeld").facts]
    assert amounts("2025-12-15") == [(255, d("2025-12-01")), (259, d("2026-01-01"))]
    assert amounts("2026-01-01") == [(259, d("2026-01-01"))]
    assert amounts("2024-06-01") == [(255, d("2025-01-01")), (259, d("2026-01-01"))]


@pytest.mark.parametrize("start, due", [
    ("2026-06-01", "2026-04-13"),   # 7 weeks before a start before the 3rd birthday
    ("2029-03-09", "2029-01-19"),   # the day before the 3rd birthday: still 7 weeks
    ("2029-03-10", "2028-12-09"),   # from the 3rd birthday on: 13 weeks
])
def test_elternzeit_notice(start, due):
    assert plan(elternzeit_start=d(start)).step("elternzeit").due == d(due)


def test_elternzeit_default_and_mothers_notice():
    step = plan(weeks_early=2).step("elternzeit")
    assert step.due == d("2026-02-03")  # expected date 24.03.2026 − 7 weeks
    mother = step.facts[0]
    assert mother.date == d("2026-05-19") - timedelta(weeks=7) + timedelta(days=1)
    assert "elternzeit" not in plan(elternzeit=False).keys


@pytest.mark.parametrize("care, year, opens, allocation, latest", [
    ("2027-08-31", "2026/27", "2025-09-01", "2026-02-15", "2027-02-28"),
    ("2027-09-01", "2027/28", "2026-09-01", "2027-02-15", "2027-03-01"),
    ("2028-09-01", "2028/29", "2027-09-01", "2028-02-15", "2028-03-01"),
])
def test_kita_vormerkung(care, year, opens, allocation, latest):
    step = plan(care_start=d(care)).step("kita_vormerkung")
    facts = [f.date or f.text for f in step.facts]
    assert facts == [d(care), year, d(opens), d(allocation)]
    assert step.latest == d(latest)
    assert step.recommended == max(BIRTH, d(opens))


def test_kita_notice_that_can_no_longer_be_kept():
    step = plan(care_start=d("2026-05-01")).step("kita_vormerkung")
    assert step.recommended == step.latest == BIRTH
    assert any("nicht mehr einhalten" in str(n) for n in step.notes)


def test_home_birth_and_unmarried_parents():
    assert "§ 19" in plan(home_birth=True).step("geburtsanzeige").legal_basis
    assert "§ 20" in plan().step("geburtsanzeige").legal_basis
    assert "vaterschaft" not in plan().keys


def test_future_birth_gets_a_notice():
    assert plan(birth_date=TODAY + timedelta(days=30)).notices
    assert not plan().notices


# -- the rule table ----------------------------------------------------------------------------
def test_rule_table_is_consistent():
    for rule_id in {r.id for r in RULES}:
        chain = versions(rule_id)
        for older, newer in zip(chain, chain[1:]):
            assert older.valid_to is not None and newer.valid_from == older.valid_to + timedelta(days=1), rule_id
    for r in RULES:
        assert r.legal_ref
        assert r.source_url == "" or r.source_url.startswith("https://")
        if isinstance(r.value, Period):
            assert r.value.unit in UNITS
    with pytest.raises(ValueError):
        Period(1, "fortnights")


def test_rules_cover_every_birth_date_the_assistant_accepts():
    day = COVERAGE_FROM
    while day <= date(2030, 12, 31):
        p = plan(birth_date=day, children=3, weeks_early=8, married=False)
        assert len(p.steps) == 12
        day += timedelta(days=11)


def test_rule_lookup():
    assert rule("elterngeld_einkommensgrenze", d("2024-03-31")).valid_to == d("2024-03-31")
    with pytest.raises(RuleNotFound):
        rule("kindergeld_betrag", d("2024-12-31"))
    with pytest.raises(RuleNotFound):
        rule("no_such_rule", BIRTH)


def test_a_change_in_the_law_is_a_change_of_data():
    """New amounts and deadlines come from the table: no engine change needed."""
    changed = tuple(
        replace(r, valid_to=d("2026-12-31")) if r.id == "kindergeld_betrag" and r.valid_from == d("2026-01-01")
        else replace(r, value=Period(5, r.value.unit)) if r.id == "elterngeld_frist" else r
        for r in RULES) + (Rule("kindergeld_betrag", 265, "§ 66 Abs. 1 EStG", valid_from=d("2027-01-01")),)
    p = build_plan(Answers(BIRTH), today=TODAY, rules=changed)
    assert [f.eur for f in p.step("kindergeld").facts] == [259, 265]
    assert p.step("elterngeld").latest == d("2026-08-10")  # end of LM 5 (Sunday 09.08.) → Monday
