"""Kita: concurrent offers and acceptances never leave two accepted offers or an over-booked
facility. Each worker thread has its own app context, hence its own database session and
connection; a barrier starts them together. Runs on SQLite and, with MASH_TEST_DATABASE_URL, on
PostgreSQL."""

import threading

import pytest

from kita_support import add_kita, check_invariants, ctx, offer, register, user
from mash_buergerportal import kita
from mash_buergerportal.kita_models import KitaOffer, KitaRegistration
from mash_core.api import db_session, select

pytestmark = pytest.mark.mash_plugins("buergerportal")
ROUNDS = 4


def parallel(app, *calls):
    """Run the calls at the same moment; returns ("ok", value) or ("refused", code) per call.
    Anything else (a deadlock, a lock timeout, an integrity error leaking out) fails the test."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        with ctx(app):
            barrier.wait()
            try:
                results[i] = ("ok", call())
            except kita.KitaError as exc:
                results[i] = ("refused", exc.code)
            except Exception as exc:  # noqa: BLE001 - reported below
                results[i] = ("crash", repr(exc))

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(r and r[0] != "crash" for r in results), results
    return results


def test_two_staff_offer_the_last_place_at_once(mash_app):
    staff1, staff2 = user(mash_app, "staff"), user(mash_app, "staff")
    for _ in range(ROUNDS):
        place = add_kita(mash_app, places=1)
        r1 = register(mash_app, user(mash_app), [place])
        r2 = register(mash_app, user(mash_app), [place])
        results = parallel(mash_app, lambda: kita.make_offer(staff1, place, r1).id,
                           lambda: kita.make_offer(staff2, place, r2).id)
        assert sorted(r[0] for r in results) == ["ok", "refused"], results
        assert [r[1] for r in results if r[0] == "refused"] == ["full"]
        with ctx(mash_app):
            assert kita.quota(place, kita.open_care_years()[1]) == (1, 1)
        check_invariants(mash_app)


def test_two_staff_offer_the_same_request_at_once(mash_app):
    staff1, staff2 = user(mash_app, "staff"), user(mash_app, "staff")
    for _ in range(ROUNDS):
        place = add_kita(mash_app, places=3)
        reg = register(mash_app, user(mash_app), [place])
        results = parallel(mash_app, lambda: kita.make_offer(staff1, place, reg).id,
                           lambda: kita.make_offer(staff2, place, reg).id)
        assert sorted(r[0] for r in results) == ["ok", "refused"], results
        with ctx(mash_app):
            assert kita.quota(place, kita.open_care_years()[1]) == (3, 1)
        check_invariants(mash_app)


def test_accepting_while_other_kitas_make_offers(mash_app):
    staff = [user(mash_app, "staff") for _ in range(2)]
    for _ in range(ROUNDS):
        a, b, c = (add_kita(mash_app, places=1) for _ in range(3))
        parent = user(mash_app)
        reg = register(mash_app, parent, [a, b, c])
        first = offer(mash_app, staff[0], a, reg)
        results = parallel(mash_app, lambda: kita.accept_offer(parent, first).id,
                           lambda: kita.make_offer(staff[0], b, reg).id,
                           lambda: kita.make_offer(staff[1], c, reg).id)
        assert results[0] == ("ok", first), results
        check_invariants(mash_app)
        with ctx(mash_app):
            offers = db_session().exec(select(KitaOffer).where(KitaOffer.registration_id == reg)).all()
            assert [o.status for o in offers if o.status == "accepted"] == ["accepted"]
            assert not [o for o in offers if o.status == "offered"]
            assert db_session().get(KitaRegistration, reg).status == "accepted"
            for k in (b, c):  # places of offers withdrawn by the acceptance are free again
                assert kita.quota(k, kita.open_care_years()[1])[1] == 0


def test_accepting_two_offers_at_once_accepts_one(mash_app):
    staff = user(mash_app, "staff")
    for _ in range(ROUNDS):
        a, b = add_kita(mash_app, places=1), add_kita(mash_app, places=1)
        parent = user(mash_app)
        reg = register(mash_app, parent, [a, b])
        o1, o2 = offer(mash_app, staff, a, reg), offer(mash_app, staff, b, reg)
        results = parallel(mash_app, lambda: kita.accept_offer(parent, o1).id,
                           lambda: kita.accept_offer(parent, o2).id)
        assert sorted(r[0] for r in results) == ["ok", "refused"], results
        check_invariants(mash_app)


def test_withdrawing_while_staff_offer(mash_app):
    staff = user(mash_app, "staff")
    for _ in range(ROUNDS):
        a, b = add_kita(mash_app, places=1), add_kita(mash_app, places=1)
        parent = user(mash_app)
        reg = register(mash_app, parent, [a, b])
        first = offer(mash_app, staff, a, reg)
        results = parallel(mash_app, lambda: kita.withdraw_registration(parent, reg),
                           lambda: kita.make_offer(staff, b, reg).id,
                           lambda: kita.accept_offer(parent, first).id)
        assert results[0] == ("ok", None), results
        check_invariants(mash_app)
        with ctx(mash_app):
            assert kita.quota(a, kita.open_care_years()[1])[1] == 0
            assert kita.quota(b, kita.open_care_years()[1])[1] == 0
