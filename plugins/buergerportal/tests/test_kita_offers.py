"""Kita: the offer state machine, places, notifications and personal data."""

from datetime import date, timedelta

import pytest

from kita_support import (add_child, add_kita, check_invariants, ctx, mails_to, next_year, offer, register,
                          user)
from mash_buergerportal import kita
from mash_buergerportal.kita_models import KitaOffer, KitaRegistration
from mash_core.api import db_session

pytestmark = pytest.mark.mash_plugins("buergerportal")


def status(app, model, row_id):
    with ctx(app):
        return db_session().get(model, row_id).status


def test_offer_accept_withdraws_the_others_and_releases_places(mash_app):
    a, b, c = (add_kita(mash_app, places=1) for _ in range(3))
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a, b, c])
    o1, o2, o3 = (offer(mash_app, staff, k, reg) for k in (a, b, c))
    assert status(mash_app, KitaRegistration, reg) == "offered"
    with ctx(mash_app):
        assert kita.quota(a, next_year()) == (1, 1)
        kita.accept_offer(parent, o2)
    assert [status(mash_app, KitaOffer, o) for o in (o1, o2, o3)] == ["withdrawn", "accepted", "withdrawn"]
    assert status(mash_app, KitaRegistration, reg) == "accepted"
    with ctx(mash_app):
        assert kita.quota(a, next_year()) == (1, 0) and kita.quota(b, next_year()) == (1, 1)
        # a second acceptance, or a new offer, is refused
        with pytest.raises(kita.KitaError) as exc:
            kita.accept_offer(parent, o1)
        assert exc.value.code == "state"
        with pytest.raises(kita.KitaError) as exc:
            kita.make_offer(staff, a, reg)
        assert exc.value.code == "state"
    check_invariants(mash_app)


def test_decline_returns_to_submitted_and_staff_can_offer_again(mash_app):
    a = add_kita(mash_app, places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    o1 = offer(mash_app, staff, a, reg)
    with ctx(mash_app):
        with pytest.raises(kita.KitaError) as exc:
            kita.make_offer(staff, a, reg)
        assert exc.value.code == "duplicate_offer"
        kita.decline_offer(parent, o1)
    assert status(mash_app, KitaOffer, o1) == "declined"
    assert status(mash_app, KitaRegistration, reg) == "submitted"
    o2 = offer(mash_app, staff, a, reg)
    with ctx(mash_app):
        kita.withdraw_offer(staff, o2)
        assert kita.quota(a, next_year()) == (1, 0)
    assert status(mash_app, KitaRegistration, reg) == "submitted"
    check_invariants(mash_app)


def test_places_are_never_over_booked(mash_app):
    a = add_kita(mash_app, places=2)
    staff = user(mash_app, "staff")
    regs = [register(mash_app, user(mash_app), [a]) for _ in range(3)]
    offer(mash_app, staff, a, regs[0])
    offer(mash_app, staff, a, regs[1])
    with ctx(mash_app), pytest.raises(kita.KitaError) as exc:
        kita.make_offer(staff, a, regs[2])
    assert exc.value.code == "full"
    assert status(mash_app, KitaRegistration, regs[2]) == "submitted"
    check_invariants(mash_app)


def test_only_wish_facilities_make_offers_and_deadlines_hold(mash_app):
    a, other = add_kita(mash_app), add_kita(mash_app)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    with ctx(mash_app):
        with pytest.raises(kita.KitaError) as exc:
            kita.make_offer(staff, other, reg)
        assert exc.value.code == "not_wish"
        with pytest.raises(kita.KitaError) as exc:
            kita.make_offer(staff, a, reg, deadline=date.today() - timedelta(days=1))
        assert exc.value.code == "deadline"
    o = offer(mash_app, staff, a, reg, deadline=date.today())
    with ctx(mash_app), pytest.raises(kita.KitaError) as exc:
        kita.accept_offer(parent, o, today=date.today() + timedelta(days=1))
    assert exc.value.code == "expired"
    assert status(mash_app, KitaOffer, o) == "offered"
    check_invariants(mash_app)


def test_withdrawing_the_pre_registration_releases_every_place(mash_app):
    a, b = add_kita(mash_app, places=1), add_kita(mash_app, places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a, b])
    o1, o2 = offer(mash_app, staff, a, reg), offer(mash_app, staff, b, reg)
    with ctx(mash_app):
        kita.accept_offer(parent, o1)
        kita.withdraw_registration(parent, reg)
        assert kita.quota(a, next_year()) == (1, 0) and kita.quota(b, next_year()) == (1, 0)
        with pytest.raises(kita.KitaError):
            kita.withdraw_registration(parent, reg)
    assert [status(mash_app, KitaOffer, o) for o in (o1, o2)] == ["withdrawn", "withdrawn"]
    assert status(mash_app, KitaRegistration, reg) == "withdrawn"
    check_invariants(mash_app)


def test_citizen_is_notified_of_every_change(mash_app):
    a, b = add_kita(mash_app, name="Kita Sonnenschein"), add_kita(mash_app, name="Kita Regenbogen")
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a, b])
    o1 = offer(mash_app, staff, a, reg)
    o2 = offer(mash_app, staff, b, reg)
    with ctx(mash_app):
        kita.withdraw_offer(staff, o2)
        kita.accept_offer(parent, o1)
    subjects = mails_to(mash_app, parent.email)
    assert subjects == ["Ihre Kita-Vormerkung ist eingegangen", "Ein Kita-Platz wird Ihnen angeboten",
                        "Ein Kita-Platz wird Ihnen angeboten", "Ein Kita-Angebot wurde zurückgezogen",
                        "Sie haben einen Kita-Platz angenommen"]
    assert mails_to(mash_app, staff.email) == []


def test_export_and_delete_personal_data(mash_app):
    from kita_support import client_for, post
    from mash_core.testing import TEST_PASSWORD
    a = add_kita(mash_app, name="Kita Export", places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    child = add_child(mash_app, parent, "L. M.", date.today() - timedelta(days=400))
    reg = register(mash_app, parent, [a], child_id=child)
    offer(mash_app, staff, a, reg)
    client = client_for(mash_app, parent)
    exported = client.get("/konto/export").get_json()["plugins"]["buergerportal"]["kita_children"]
    assert exported[0]["first_name"] == "L. M."
    assert exported[0]["pre_registrations"][0]["wishes"] == [{"rank": 1, "kita": "Kita Export"}]
    assert exported[0]["pre_registrations"][0]["offers"][0]["status"] == "offered"
    response = post(client, "/konto/loeschen", {"password": TEST_PASSWORD}, token_from="/konto/")
    assert response.status_code == 302
    with ctx(mash_app):
        from mash_core.api import select
        from mash_buergerportal.kita_models import KitaChild, KitaWish
        for model in (KitaChild, KitaRegistration, KitaWish, KitaOffer):
            assert db_session().exec(select(model)).all() == [], model
        assert kita.quota(a, next_year()) == (1, 0)
    check_invariants(mash_app)
