"""Kita: the offer state machine, places, notifications and personal data."""

from datetime import date, timedelta

import pytest

from kita_support import (add_child, add_kita, check_invariants, ctx, mails_to, next_year, offer, outbox,
                          register, user)
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


# -- response deadline: the setting, the job ``kita_offers``, the status page ----------------------
def set_offer_days(app, days):
    from mash_core import settings as plugin_settings
    from mash_buergerportal.settings import BuergerportalSettings
    with ctx(app):
        plugin_settings.save(db_session(), "buergerportal", BuergerportalSettings, {"kita_offer_days": days})
        db_session().commit()


def deadline_of(app, offer_id):
    with ctx(app):
        return db_session().get(KitaOffer, offer_id).deadline


def test_offer_deadline_defaults_to_the_setting(mash_app):
    import marshmallow as ma
    from kita_support import client_for
    a = add_kita(mash_app, places=5)
    staff = user(mash_app, "staff")
    first = offer(mash_app, staff, a, register(mash_app, user(mash_app), [a]))
    assert deadline_of(mash_app, first) == date.today() + timedelta(days=14)  # the documented default
    set_offer_days(mash_app, 5)
    second = offer(mash_app, staff, a, register(mash_app, user(mash_app), [a]))
    assert deadline_of(mash_app, second) == date.today() + timedelta(days=5)
    # staff may still enter another deadline; the form proposes the setting's one
    third = offer(mash_app, staff, a, register(mash_app, user(mash_app), [a]), deadline=date.today())
    assert deadline_of(mash_app, third) == date.today()
    register(mash_app, user(mash_app), [a])  # a request without an offer yet: the page offers the form
    page = client_for(mash_app, staff).get(f"/buergerportal/kita/verwaltung/{a}?jahr={next_year()}")
    assert page.status_code == 200
    assert f'value="{(date.today() + timedelta(days=5)).isoformat()}"' in page.get_data(as_text=True)
    for bad in (0, 61, "vierzehn"):
        with pytest.raises(ma.ValidationError):
            set_offer_days(mash_app, bad)


def test_job_expires_unanswered_offers_frees_the_place_and_notifies(mash_app):
    a, b = add_kita(mash_app, name="Kita Abendrot", places=1), add_kita(mash_app, name="Kita Morgenrot", places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a, b])
    deadline = date.today() + timedelta(days=3)
    o1 = offer(mash_app, staff, a, reg, deadline=deadline)
    o2 = offer(mash_app, staff, b, reg, deadline=deadline + timedelta(days=2))
    with ctx(mash_app):  # the citizen answers by the end of the deadline: nothing expires on that day
        assert kita.expire_offers(today=deadline) == {"expired": 0, "registrations": 0}
    assert status(mash_app, KitaOffer, o1) == "offered"

    day_after = deadline + timedelta(days=1)
    with ctx(mash_app):
        assert kita.expire_offers(today=day_after) == {"expired": 1, "registrations": 1}
        assert kita.expire_offers(today=day_after) == {"expired": 0, "registrations": 0}  # idempotent
        assert kita.quota(a, next_year()) == (1, 0) and kita.quota(b, next_year()) == (1, 1)
    assert [status(mash_app, KitaOffer, o) for o in (o1, o2)] == ["expired", "offered"]
    assert status(mash_app, KitaRegistration, reg) == "offered"  # the other offer is still open
    check_invariants(mash_app)

    # the expired offer cannot be accepted, with a clear message
    with ctx(mash_app), pytest.raises(kita.KitaError) as exc:
        kita.accept_offer(parent, o1, today=day_after)
    assert exc.value.code == "expired" and "Antwortfrist" in exc.value.message
    assert status(mash_app, KitaOffer, o1) == "expired"

    # the freed place goes to the next request
    nxt = register(mash_app, user(mash_app), [a])
    offer(mash_app, staff, a, nxt)
    with ctx(mash_app):
        assert kita.quota(a, next_year()) == (1, 1)

    # the last open offer expires too: the pre-registration is open again for new offers
    with ctx(mash_app):
        assert kita.expire_offers(today=deadline + timedelta(days=3))["expired"] == 1
    assert status(mash_app, KitaOffer, o2) == "expired"
    assert status(mash_app, KitaRegistration, reg) == "submitted"
    with ctx(mash_app):
        assert kita.quota(b, next_year()) == (1, 0)
        with pytest.raises(kita.KitaError) as exc:  # accepting or declining after the job names the deadline
            kita.accept_offer(parent, o2)
        assert exc.value.code == "expired"
        with pytest.raises(kita.KitaError) as exc:
            kita.decline_offer(parent, o2)
        assert exc.value.code == "expired"
    again = offer(mash_app, staff, b, reg)  # the same Kita may offer again
    assert status(mash_app, KitaOffer, again) == "offered"
    check_invariants(mash_app)

    assert mails_to(mash_app, parent.email).count("Ein Kita-Angebot ist abgelaufen") == 2
    assert mails_to(mash_app, staff.email) == []
    with ctx(mash_app):
        from mash_core.api import select
        from mash_core.models import AuditEntry
        actions = [e.action for e in db_session().exec(select(AuditEntry)).all()]
    assert actions.count("buergerportal.kita.offer_expired") == 2


def test_job_runs_in_the_worker_context(mash_app, monkeypatch):
    """Registered through ``mash_register_jobs`` and run the way the worker runs it: in the
    municipality's context, without a request, with today's date."""
    from mash_core.worker import scheduler
    declared = scheduler.declared_jobs(mash_app)
    assert "buergerportal.kita_offers" in declared
    job = declared["buergerportal.kita_offers"].job
    assert job.per_municipality and job.trigger == "interval"
    assert scheduler.validate_trigger(job.trigger, job.trigger_args) is None
    a = add_kita(mash_app, places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    overdue = offer(mash_app, staff, a, reg)
    with ctx(mash_app):  # an offer whose deadline passed yesterday
        row = db_session().get(KitaOffer, overdue)
        row.deadline = date.today() - timedelta(days=1)
        db_session().add(row)
        db_session().commit()
    monkeypatch.setattr(scheduler.CTX, "app", mash_app)
    monkeypatch.setattr(scheduler.CTX, "declared", declared)
    scheduler.execute("buergerportal.kita_offers", 1)
    assert not mash_app.extensions["mash"].registry.records["buergerportal"].last_error
    assert status(mash_app, KitaOffer, overdue) == "expired"
    assert status(mash_app, KitaRegistration, reg) == "submitted"
    assert "Ein Kita-Angebot ist abgelaufen" in mails_to(mash_app, parent.email)
    current = offer(mash_app, staff, a, reg)  # today's offers stay
    scheduler.execute("buergerportal.kita_offers", 1)
    assert status(mash_app, KitaOffer, current) == "offered"
    check_invariants(mash_app)


def test_expiry_mail_links_to_the_status_page_with_the_municipalitys_host(mash_app, monkeypatch):
    """The job has no request: the link to "Meine Kita-Vormerkungen" is built with the
    municipality's first host name (``external_url``, plugin API 1.2)."""
    from mash_core.models import Municipality
    from mash_core.worker import scheduler
    from sqlmodel import Session
    with Session(mash_app.extensions["mash"].engine) as session:
        session.get(Municipality, 1).hosts = "portal.heidelberg.example,localhost"
        session.commit()
    a = add_kita(mash_app, name="Kita Sonnenschein", places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    overdue = offer(mash_app, staff, a, reg)
    with ctx(mash_app):
        row = db_session().get(KitaOffer, overdue)
        row.deadline = date.today() - timedelta(days=1)
        db_session().add(row)
        db_session().commit()
    monkeypatch.setattr(scheduler.CTX, "app", mash_app)
    monkeypatch.setattr(scheduler.CTX, "declared", scheduler.declared_jobs(mash_app))
    scheduler.execute("buergerportal.kita_offers", 1)  # as the worker runs it: no request context
    assert not mash_app.extensions["mash"].registry.records["buergerportal"].last_error
    [mail] = [m for m in outbox(mash_app) if m["To"] == parent.email and "abgelaufen" in str(m["Subject"])]
    body = mail.get_content()
    assert "Kita Sonnenschein" in body
    assert "Stand Ihrer Vormerkungen: http://portal.heidelberg.example/buergerportal/kita/meine" in body

    # the same in a plain job context (app context and municipality, nothing else)
    second = offer(mash_app, staff, a, reg, deadline=date.today())
    with ctx(mash_app):
        assert kita.expire_offers(today=date.today() + timedelta(days=1))["expired"] == 1
    mails = [m.get_content() for m in outbox(mash_app) if m["To"] == parent.email and "abgelaufen" in str(m["Subject"])]
    assert len(mails) == 2 and all("http://portal.heidelberg.example/buergerportal/kita/meine" in m for m in mails)
    assert status(mash_app, KitaOffer, second) == "expired"


def test_job_and_acceptance_at_the_same_moment(mash_app):
    from test_kita_concurrency import ROUNDS, parallel
    staff = user(mash_app, "staff")
    deadline = date.today() + timedelta(days=2)
    outcomes = set()
    for _ in range(ROUNDS):
        a, b = add_kita(mash_app, places=1), add_kita(mash_app, places=1)
        parent = user(mash_app)
        reg = register(mash_app, parent, [a, b])
        o1 = offer(mash_app, staff, a, reg, deadline=deadline)
        o2 = offer(mash_app, staff, b, reg, deadline=deadline + timedelta(days=7))
        # the citizen accepts on the last day while the job (one day later) expires it
        results = parallel(mash_app, lambda: kita.accept_offer(parent, o1, today=deadline).id,
                           lambda: kita.expire_offers(today=deadline + timedelta(days=1)))
        accepted, job = results
        assert job[0] == "ok", results
        if accepted == ("ok", o1):
            outcomes.add("accepted")
            assert job[1]["expired"] == 0
            assert [status(mash_app, KitaOffer, o) for o in (o1, o2)] == ["accepted", "withdrawn"]
        else:
            outcomes.add("expired")
            assert accepted == ("refused", "expired"), results
            assert job[1]["expired"] == 1
            assert [status(mash_app, KitaOffer, o) for o in (o1, o2)] == ["expired", "offered"]
        check_invariants(mash_app)
    assert outcomes  # either order is fine; both keep the invariants


def test_status_page_shows_the_deadline_and_refuses_expired_offers(mash_app):
    from kita_support import client_for, post
    a = add_kita(mash_app, name="Kita Fristenweg", places=1)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    deadline = date.today() + timedelta(days=9)
    o = offer(mash_app, staff, a, reg, deadline=deadline)
    client = client_for(mash_app, parent)
    html = client.get("/buergerportal/kita/meine").get_data(as_text=True)
    assert "Bitte antworten Sie bis zum" in html and f'datetime="{deadline.isoformat()}"' in html
    assert "Platz annehmen" in html
    with ctx(mash_app):
        kita.expire_offers(today=deadline + timedelta(days=1))
    html = client.get("/buergerportal/kita/meine").get_data(as_text=True)
    assert "Bitte antworten Sie bis zum" not in html and "Frist abgelaufen" in html
    assert "Platz annehmen" not in html
    response = post(client, f"/buergerportal/kita/angebot/{o}/annehmen", follow_redirects=True)
    assert "Die Antwortfrist für dieses Angebot ist abgelaufen: Es kann nicht mehr angenommen werden" in \
        response.get_data(as_text=True)
    assert status(mash_app, KitaOffer, o) == "expired"
    staff_page = client_for(mash_app, staff).get(f"/buergerportal/kita/verwaltung/{a}?jahr={next_year()}")
    assert "Letztes Angebot: Frist am" in staff_page.get_data(as_text=True)


def test_offer_expiry_migration(mash_app):
    """Revision buergerportal0006: the status CHECK accepts ``expired`` (and nothing unknown), the
    partial unique indexes keep their conditions, and the downgrade turns expired offers into
    withdrawn ones. Runs on SQLite and on PostgreSQL (MASH_TEST_DATABASE_URL)."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError
    from mash_core.migrations_runner import alembic_config, upgrade
    mash = mash_app.extensions["mash"]
    engine = mash.engine
    a = add_kita(mash_app, places=3)
    staff, parent = user(mash_app, "staff"), user(mash_app)
    reg = register(mash_app, parent, [a])
    o = offer(mash_app, staff, a, reg, deadline=date.today())
    with ctx(mash_app):
        kita.expire_offers(today=date.today() + timedelta(days=1))
    assert status(mash_app, KitaOffer, o) == "expired"

    def indexes() -> dict:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                         "AND tbl_name = 'buergerportal_kita_offer'")).all()
            else:
                rows = conn.execute(text("SELECT indexname, indexdef FROM pg_indexes "
                                         "WHERE tablename = 'buergerportal_kita_offer'")).all()
        return {name: (sql or "") for name, sql in rows}

    def check_partial_indexes():
        found = indexes()
        assert "WHERE" in found["uq_buergerportal_kita_offer_accepted"].upper()
        assert "accepted" in found["uq_buergerportal_kita_offer_accepted"]
        assert "WHERE" in found["uq_buergerportal_kita_offer_open"].upper()
        for name in ("ix_buergerportal_kita_offer_registration_id", "ix_buergerportal_kita_offer_facility_id",
                     "ix_buergerportal_kita_offer_municipality_id"):
            assert name in found, found

    check_partial_indexes()
    with engine.connect() as conn:  # an unknown status is still refused by the database
        with pytest.raises(IntegrityError):
            conn.execute(text("UPDATE buergerportal_kita_offer SET status = 'bogus' WHERE id = :id"), {"id": o})
        conn.rollback()

    cfg = alembic_config(mash)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "buergerportal0005")
    assert status(mash_app, KitaOffer, o) == "withdrawn"
    with engine.connect() as conn:
        with pytest.raises(IntegrityError):
            conn.execute(text("UPDATE buergerportal_kita_offer SET status = 'expired' WHERE id = :id"), {"id": o})
        conn.rollback()
    check_partial_indexes()
    upgrade(mash)
    check_partial_indexes()
    with ctx(mash_app):  # the upgraded table works as before
        second = kita.make_offer(staff, a, reg, deadline=date.today()).id
        kita.expire_offers(today=date.today() + timedelta(days=1))
    assert status(mash_app, KitaOffer, second) == "expired"
    check_invariants(mash_app)
