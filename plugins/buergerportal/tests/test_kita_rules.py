"""Kita: care years, age groups and the pre-registration rules."""

from datetime import date, timedelta

import pytest

from kita_support import add_child, add_kita, ctx, next_year, register, start_of, user
from mash_buergerportal import kita
from mash_buergerportal.kita_models import KitaRegistration, KitaWish

pytestmark = pytest.mark.mash_plugins("buergerportal")


@pytest.mark.parametrize("day, year", [
    (date(2026, 9, 1), 2026), (date(2026, 8, 31), 2025), (date(2027, 1, 15), 2026), (date(2026, 12, 31), 2026),
    (date(2028, 2, 29), 2027),
])
def test_care_year_runs_from_1_september_to_31_august(day, year):
    assert kita.care_year_of(day) == year
    first, last = kita.care_year_bounds(year)
    assert (first, last) == (date(year, 9, 1), date(year + 1, 8, 31))
    assert first <= day <= last


def test_open_care_years_are_the_current_and_the_next():
    assert kita.open_care_years(date(2026, 3, 10)) == [2025, 2026]
    assert kita.open_care_years(date(2026, 9, 1)) == [2026, 2027]
    assert kita.open_care_years(date(2026, 8, 31)) == [2025, 2026]
    assert kita.care_year_label(2026) == "2026/27"


def test_age_group_at_start_of_care():
    born = date(2024, 2, 29)
    assert kita.age_group_at(born, date(2026, 9, 1)) == "krippe"
    assert kita.age_group_at(born, date(2027, 2, 28)) == "krippe"  # third birthday not yet reached
    assert kita.age_group_at(born, date(2027, 3, 1)) == "kindergarten"
    assert kita.age_group_at(born, date(2031, 3, 1)) is None  # school age
    assert kita.age_group_at(born, date(2024, 1, 1)) is None  # before birth


def test_submission_with_three_ranked_wishes(mash_app):
    ids = [add_kita(mash_app) for _ in range(3)]
    parent = user(mash_app)
    reg_id = register(mash_app, parent, ids)
    with ctx(mash_app):
        from mash_core.api import db_session, select
        reg = db_session().get(KitaRegistration, reg_id)
        assert reg.status == "submitted" and reg.care_year == next_year()
        wishes = db_session().exec(select(KitaWish).where(KitaWish.registration_id == reg_id)
                                   .order_by(KitaWish.rank)).all()
        assert [(w.rank, w.facility_id) for w in wishes] == [(1, ids[0]), (2, ids[1]), (3, ids[2])]


@pytest.mark.parametrize("kind, code", [
    ("none", "no_wishes"), ("four", "max_wishes"), ("dup", "duplicate_wish"), ("unknown", "unknown_facility"),
])
def test_wish_rules(mash_app, kind, code):
    ids = [add_kita(mash_app) for _ in range(4)]
    wishes = {"none": [], "four": ids, "dup": [ids[0], ids[0]], "unknown": [999_999]}[kind]
    parent = user(mash_app)
    child = add_child(mash_app, parent)
    with ctx(mash_app), pytest.raises(kita.KitaError) as exc:
        kita.submit_registration(parent, child, next_year(), start_of(next_year()), wishes)
    assert exc.value.code == code


def test_care_year_and_start_date_rules(mash_app):
    k = add_kita(mash_app)
    parent = user(mash_app)
    child = add_child(mash_app, parent)
    year = next_year()
    with ctx(mash_app):
        for care_year, start, code in [
            (year + 1, start_of(year + 1), "care_year"),        # registration not open yet
            (year - 2, start_of(year - 2), "care_year"),        # past
            (year, start_of(year) - timedelta(days=1), "start_date"),  # 31 August belongs to the year before
            (year, date(year + 1, 9, 1), "start_date"),
        ]:
            with pytest.raises(kita.KitaError) as exc:
                kita.submit_registration(parent, child, care_year, start, [k])
            assert exc.value.code == code, (care_year, start)
        assert kita.submit_registration(parent, child, year, date(year + 1, 8, 31), [k]).status == "submitted"


def test_one_active_pre_registration_per_child_and_year(mash_app):
    a, b = add_kita(mash_app), add_kita(mash_app)
    parent = user(mash_app)
    child = add_child(mash_app, parent)
    first = register(mash_app, parent, [a], child_id=child)
    with ctx(mash_app):
        with pytest.raises(kita.KitaError) as exc:
            kita.submit_registration(parent, child, next_year(), start_of(next_year()), [b])
        assert exc.value.code == "active_exists"
        # the other open year is fine, and so is a new one after withdrawing
        current = kita.open_care_years()[0]
        last_day = kita.care_year_bounds(current)[1]
        if last_day >= date.today():
            kita.submit_registration(parent, child, current, last_day, [b])
        kita.withdraw_registration(parent, first)
        assert kita.submit_registration(parent, child, next_year(), start_of(next_year()), [b]).status == "submitted"


def test_age_group_of_wish_must_fit_the_child(mash_app):
    krippe_only = add_kita(mash_app, age_groups="krippe")
    kiga_only = add_kita(mash_app, age_groups="kindergarten")
    parent = user(mash_app)
    baby = add_child(mash_app, parent, birth_date=date.today() - timedelta(days=200))
    older = add_child(mash_app, parent, "Ben", birth_date=date.today() - timedelta(days=365 * 4))
    year = next_year()
    with ctx(mash_app):
        with pytest.raises(kita.KitaError) as exc:
            kita.submit_registration(parent, baby, year, start_of(year), [kiga_only])
        assert exc.value.code == "age_group"
        with pytest.raises(kita.KitaError):
            kita.submit_registration(parent, older, year, start_of(year), [krippe_only])
        kita.submit_registration(parent, baby, year, start_of(year), [krippe_only])
        kita.submit_registration(parent, older, year, start_of(year), [kiga_only])


def test_children_belong_to_their_parent(mash_app):
    k = add_kita(mash_app)
    parent, stranger = user(mash_app), user(mash_app)
    child = add_child(mash_app, parent)
    reg = register(mash_app, parent, [k], child_id=child)
    with ctx(mash_app):
        with pytest.raises(kita.KitaError) as exc:
            kita.submit_registration(stranger, child, next_year(), start_of(next_year()), [k])
        assert exc.value.code == "not_found"
        with pytest.raises(kita.KitaError):
            kita.withdraw_registration(stranger, reg)
        with pytest.raises(kita.KitaError):
            kita.add_child(parent, "Zukunft", date.today() + timedelta(days=30))
        with pytest.raises(kita.KitaError):
            kita.add_child(parent, "  ", date.today())
