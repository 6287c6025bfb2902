"""Helpers for the Kita tests: facilities, users, pre-registrations and the invariants."""

from __future__ import annotations

import contextlib
import email
import email.policy
import re
from collections import Counter
from datetime import date, timedelta

from mash_core.api import db_session, municipality_context, select
from mash_core.testing import login_client, make_user

from mash_buergerportal import kita
from mash_buergerportal.kita_models import (ACCEPTED, OFFERED, SUBMITTED, WITHDRAWN, KitaFacility, KitaOffer,
                                            KitaQuota, KitaRegistration)

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
_counter = iter(range(1_000_000))


@contextlib.contextmanager
def ctx(app):
    with app.app_context(), municipality_context(1):
        yield


def add_kita(app, name=None, places=5, district="Bahnstadt", age_groups="krippe,kindergarten", languages="de",
             opens_at="07:30", closes_at="16:30", **kw) -> int:
    with ctx(app):
        f = KitaFacility(name=name or f"Kita {next(_counter)}", provider="Demo", street="Grüne Meile 1",
                         postcode="69115", city="Heidelberg", district=district, lat=49.40, lon=8.67,
                         age_groups=age_groups, languages=languages, opens_at=opens_at, closes_at=closes_at,
                         places=places, **kw)
        session = db_session()
        session.add(f)
        session.commit()
        return f.id


def user(app, role="citizen"):
    return make_user(app, f"{role}{next(_counter)}@example.org", [role])


def client_for(app, u):
    return login_client(app, u)


def next_year() -> int:
    return kita.open_care_years()[1]


def start_of(year: int) -> date:
    return date(year, 9, 1)


def add_child(app, u, first_name="Mia", birth_date=None) -> int:
    with ctx(app):
        birth_date = birth_date or date.today() - timedelta(days=300)
        return kita.add_child(u, first_name, birth_date).id


def register(app, u, kitas, child_id=None, year=None) -> int:
    year = year or next_year()
    child_id = child_id or add_child(app, u)
    with ctx(app):
        return kita.submit_registration(u, child_id, year, start_of(year), kitas).id


def offer(app, staff, kita_id, registration_id, deadline=None) -> int:
    with ctx(app):
        return kita.make_offer(staff, kita_id, registration_id, deadline).id


def check_invariants(app) -> None:
    """The state the database must never leave, whatever the interleaving."""
    with ctx(app):
        session = db_session()
        offers = session.exec(select(KitaOffer)).all()
        by_reg: dict[int, list[KitaOffer]] = {}
        for o in offers:
            by_reg.setdefault(o.registration_id, []).append(o)
        for r in session.exec(select(KitaRegistration)).all():
            states = Counter(o.status for o in by_reg.get(r.id, []))
            assert states[ACCEPTED] <= 1, (r.id, states)
            if r.status == ACCEPTED:
                assert states[ACCEPTED] == 1 and states[OFFERED] == 0, (r.id, r.status, states)
            elif r.status == OFFERED:
                assert states[OFFERED] >= 1 and states[ACCEPTED] == 0, (r.id, r.status, states)
            elif r.status in (SUBMITTED, WITHDRAWN):
                assert states[OFFERED] == 0 and states[ACCEPTED] == 0, (r.id, r.status, states)
        held = Counter((o.facility_id, o.care_year) for o in offers if o.status in (OFFERED, ACCEPTED))
        quotas = {(q.facility_id, q.care_year): q for q in session.exec(select(KitaQuota)).all()}
        for key, count in held.items():
            assert key in quotas and quotas[key].used == count, (key, count, quotas.get(key))
        for key, q in quotas.items():
            assert 0 <= q.used <= q.places, (key, q.used, q.places)
            assert q.used == held.get(key, 0), (key, q.used, held.get(key, 0))


def csrf_token(client, path="/buergerportal/kita/meine") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post(client, path, data=None, token_from="/buergerportal/kita/meine", **kw):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, token_from)}, **kw)


def outbox(app) -> list[email.message.Message]:
    folder = app.extensions["mash"].settings.instance / "outbox"
    if not folder.is_dir():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def mails_to(app, address: str) -> list[str]:
    return [str(m["Subject"]) for m in outbox(app) if m["To"] == address]
