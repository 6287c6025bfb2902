"""Kita search and pre-registration: rules and the state machine.

Care year
    A care year (Kindergartenjahr) runs from 1 September to 31 August; it is named by the year in
    which it starts. Citizens register for the current or the next care year (Heidelberg opens
    the registration for N/N+1 on 1 September of N−1).

Pre-registration (``KitaRegistration.status``)::

    submitted ──offer made──▶ offered ──offer accepted──▶ accepted
        ▲                        │
        └──all offers declined/withdrawn
    submitted | offered | accepted ──citizen withdraws──▶ withdrawn

Offer (``KitaOffer.status``)::

    offered ──▶ accepted | declined (citizen) | withdrawn (staff, another offer accepted,
                                                          pre-registration withdrawn)
            ──▶ expired (not answered by the end of its deadline; job ``kita_offers``)
    accepted ──▶ withdrawn (pre-registration withdrawn)

Response deadline. Every offer has a deadline (default: today + the setting ``kita_offer_days``,
14 days). The citizen answers by the end of that day; from the next day on the offer can no
longer be accepted, and the hourly job :func:`expire_offers` marks it ``expired``, releases its
place (so that staff can offer it to the next pre-registration), moves the pre-registration back
to ``submitted`` when no other offer is open and notifies the parent.

Concurrency. Every change begins with a conditional ``UPDATE`` of the pre-registration row
(``… WHERE status IN (…)``, checked by its row count): on PostgreSQL this takes the row lock
(``SELECT … FOR UPDATE`` semantics; waiting writers re-check the condition after the first
commits), on SQLite the database write lock. Locks are always taken in the order
pre-registration → offers → places, so concurrent requests cannot deadlock. Places are counted
by a conditional ``UPDATE … SET used = used + 1 WHERE used < places``; unique partial indexes
allow one accepted offer per pre-registration and one open offer per facility and
pre-registration. A request that loses a race is rolled back and told why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Optional

import marshmallow as ma
from sqlalchemy import func, literal, update
from sqlalchemy.exc import IntegrityError

from mash_core.api import User, _, audit, db_session, external_url, get_settings, insert_ignore, notify, select

from .kita_models import (ACCEPTED, AGE_GROUPS, DECLINED, EXPIRED, MAX_WISHES, OFFERED, OPEN_OFFER_STATES,
                          SUBMITTED, WITHDRAWN, KitaChild, KitaFacility, KitaOffer, KitaQuota, KitaRegistration,
                          KitaWish, utcnow)

log = logging.getLogger("mash.buergerportal")

#: children older than this at the start of care are of school age
SCHOOL_AGE = 7
#: default time a citizen has to answer an offer (the setting ``kita_offer_days`` overrides it)
OFFER_DAYS = 14


def offer_days() -> int:
    """Days a citizen has to answer an offer: the municipality's setting ``kita_offer_days``."""
    try:
        return int(get_settings("buergerportal").get("kita_offer_days") or OFFER_DAYS)
    except (KeyError, TypeError, ValueError):
        return OFFER_DAYS


class KitaError(Exception):
    """A rule was broken or a race was lost; ``message`` is for the citizen or staff member."""

    def __init__(self, code: str, message: str):
        super().__init__(code)
        self.code = code
        self.message = message


# -- care years and age groups -------------------------------------------------------------
def care_year_of(day: date) -> int:
    """The care year a day belongs to (named by its starting year)."""
    return day.year if day.month >= 9 else day.year - 1


def care_year_bounds(year: int) -> tuple[date, date]:
    return date(year, 9, 1), date(year + 1, 8, 31)


def care_year_label(year: int) -> str:
    return f"{year}/{str(year + 1)[-2:]}"


def open_care_years(today: Optional[date] = None) -> list[int]:
    """The care years a citizen can register for today: the current and the next one."""
    current = care_year_of(today or date.today())
    return [current, current + 1]


def age_in_years(birth_date: date, on: date) -> int:
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def age_group_at(birth_date: date, on: date) -> Optional[str]:
    """``krippe`` under 3, ``kindergarten`` from 3 until school age, else None."""
    years = age_in_years(birth_date, on)
    if years < 0:
        return None
    if years < 3:
        return "krippe"
    if years < SCHOOL_AGE:
        return "kindergarten"
    return None


def age_group_label(code: str) -> str:
    return {"krippe": _("Krippe (unter 3 Jahren)"), "kindergarten": _("Kindergarten (ab 3 Jahren)")}.get(code, code)


def status_label(status: str) -> str:
    return {SUBMITTED: _("Eingegangen"), OFFERED: _("Angebot liegt vor"), ACCEPTED: _("Platz angenommen"),
            WITHDRAWN: _("Zurückgezogen"), DECLINED: _("Abgelehnt")}.get(status, status)


def offer_status_label(status: str) -> str:
    return {OFFERED: _("Angeboten"), ACCEPTED: _("Angenommen"), DECLINED: _("Abgelehnt"),
            WITHDRAWN: _("Zurückgezogen"), EXPIRED: _("Frist abgelaufen")}.get(status, status)


LANGUAGES = ("de", "en", "fr", "es", "it", "tr", "ar", "ru", "pl", "uk")


def language_label(code: str) -> str:
    return {"de": _("Deutsch"), "en": _("Englisch"), "fr": _("Französisch"), "es": _("Spanisch"),
            "it": _("Italienisch"), "tr": _("Türkisch"), "ar": _("Arabisch"), "ru": _("Russisch"),
            "pl": _("Polnisch"), "uk": _("Ukrainisch")}.get(code, code)


TIME = ma.validate.Regexp(r"^([01][0-9]|2[0-3]):[0-5][0-9]$", error="Use HH:MM (00:00–23:59).")


class KitaQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    district = ma.fields.String(validate=ma.validate.Length(min=1, max=120),
                                metadata={"description": "District (Stadtteil) by name, e.g. Bahnstadt"})
    age_group = ma.fields.String(validate=ma.validate.OneOf(AGE_GROUPS),
                                 metadata={"description": "krippe (under 3) or kindergarten (3 to school entry)"})
    language = ma.fields.String(validate=ma.validate.Regexp(r"^[a-z]{2}$", error="Use an ISO 639-1 code, e.g. en."),
                                metadata={"description": "A language spoken in the facility (ISO 639-1)"})
    open_from = ma.fields.String(validate=TIME, metadata={"description": "Care needed from (HH:MM)"})
    open_until = ma.fields.String(validate=TIME, metadata={"description": "Care needed until (HH:MM)"})


# -- search -----------------------------------------------------------------------------------
def search_facilities(district: Optional[str] = None, age_group: Optional[str] = None,
                      language: Optional[str] = None, open_from: Optional[str] = None,
                      open_until: Optional[str] = None) -> list[KitaFacility]:
    """Facilities matching every given filter, by district and name.

    ``open_from``/``open_until`` ("HH:MM"): care is needed from/until that time, so the facility
    opens at or before ``open_from`` and closes at or after ``open_until``.
    """
    query = select(KitaFacility)
    if district:
        query = query.where(KitaFacility.district == district)
    if age_group:
        query = query.where((literal(",") + KitaFacility.age_groups + literal(",")).contains(f",{age_group},"))
    if language:
        query = query.where((literal(",") + KitaFacility.languages + literal(",")).contains(f",{language},"))
    if open_from:
        query = query.where(KitaFacility.opens_at <= open_from)
    if open_until:
        query = query.where(KitaFacility.closes_at >= open_until)
    return list(db_session().exec(query.order_by(KitaFacility.district, KitaFacility.name)).all())


def districts() -> list[str]:
    return sorted(d for d in db_session().exec(select(KitaFacility.district).distinct()).all() if d)


def languages_offered() -> list[str]:
    found = set()
    for value in db_session().exec(select(KitaFacility.languages)).all():
        found.update(code for code in value.split(",") if code)
    return sorted(found, key=lambda c: (c != "de", c))


def facility(facility_id: int) -> Optional[KitaFacility]:
    return db_session().get(KitaFacility, facility_id)


# -- children ---------------------------------------------------------------------------------
def children_of(user: User) -> list[KitaChild]:
    return list(db_session().exec(select(KitaChild).where(KitaChild.user_id == user.id)
                                  .order_by(KitaChild.birth_date)).all())


def add_child(user: User, first_name: str, birth_date: date, today: Optional[date] = None) -> KitaChild:
    today = today or date.today()
    first_name = first_name.strip()
    if not first_name or len(first_name) > 60:
        raise KitaError("first_name", _("Bitte geben Sie den Vornamen oder die Initialen Ihres Kindes an "
                                        "(höchstens 60 Zeichen)."))
    if birth_date > today:
        raise KitaError("unborn", _("Eine Vormerkung ist ab der Geburt möglich. Bitte geben Sie das "
                                    "Geburtsdatum an."))
    if age_in_years(birth_date, today) >= SCHOOL_AGE:
        raise KitaError("school_age", _("Eine Kita-Vormerkung ist bis zum Schuleintritt möglich."))
    session = db_session()
    child = KitaChild(user_id=user.id, first_name=first_name, birth_date=birth_date)
    session.add(child)
    session.commit()
    return child


def _own_child(user: User, child_id: int) -> KitaChild:
    child = db_session().get(KitaChild, child_id)
    if child is None or child.user_id != user.id:
        raise KitaError("not_found", _("Dieses Kind ist in Ihrem Konto nicht eingetragen."))
    return child


def delete_child(user: User, child_id: int) -> None:
    """Remove a child with all its pre-registrations (their places are released)."""
    child = _own_child(user, child_id)
    session = db_session()
    for registration in session.exec(select(KitaRegistration).where(KitaRegistration.child_id == child.id)).all():
        if registration.status != WITHDRAWN:
            withdraw_registration(user, registration.id, notify_user=False)
    session = db_session()
    session.delete(session.get(KitaChild, child_id))
    session.commit()


# -- pre-registrations ------------------------------------------------------------------------
@dataclass
class RegistrationView:
    registration: KitaRegistration
    child: KitaChild
    wishes: list[tuple[int, KitaFacility]]
    offers: list[tuple[KitaOffer, KitaFacility]]


def registrations_of(user: User) -> list[RegistrationView]:
    session = db_session()
    children = {c.id: c for c in children_of(user)}
    if not children:
        return []
    regs = session.exec(select(KitaRegistration).where(KitaRegistration.child_id.in_(children))
                        .order_by(KitaRegistration.care_year.desc(), KitaRegistration.id.desc())).all()
    return [_view(r, children[r.child_id]) for r in regs]


def _view(registration: KitaRegistration, child: KitaChild) -> RegistrationView:
    session = db_session()
    wishes = session.exec(select(KitaWish.rank, KitaFacility).join(KitaFacility, KitaFacility.id == KitaWish.facility_id)
                          .where(KitaWish.registration_id == registration.id).order_by(KitaWish.rank)).all()
    offers = session.exec(select(KitaOffer, KitaFacility).join(KitaFacility, KitaFacility.id == KitaOffer.facility_id)
                          .where(KitaOffer.registration_id == registration.id).order_by(KitaOffer.id)).all()
    return RegistrationView(registration, child, [tuple(w) for w in wishes], [tuple(o) for o in offers])


def submit_registration(user: User, child_id: int, care_year: int, start_date: date,
                        facility_ids: Iterable[int], today: Optional[date] = None) -> KitaRegistration:
    """Pre-register a child for a care year with one to three ranked wish facilities."""
    today = today or date.today()
    child = _own_child(user, child_id)
    wishes = [int(f) for f in facility_ids if f]
    if not wishes:
        raise KitaError("no_wishes", _("Bitte wählen Sie mindestens eine Wunsch-Kita."))
    if len(wishes) > MAX_WISHES:
        raise KitaError("max_wishes", _("Sie können höchstens drei Wunsch-Kitas angeben."))
    if len(set(wishes)) != len(wishes):
        raise KitaError("duplicate_wish", _("Bitte wählen Sie jede Wunsch-Kita nur einmal."))
    if care_year not in open_care_years(today):
        raise KitaError("care_year", _("Eine Vormerkung ist für das laufende und das nächste Kindergartenjahr "
                                       "möglich."))
    first, last = care_year_bounds(care_year)
    if not first <= start_date <= last:
        raise KitaError("start_date", _("Der gewünschte Beginn muss im Kindergartenjahr %(year)s liegen "
                                        "(1. September bis 31. August).", year=care_year_label(care_year)))
    if start_date < today:
        raise KitaError("start_date", _("Der gewünschte Beginn darf nicht in der Vergangenheit liegen."))
    if start_date < child.birth_date:
        raise KitaError("start_date", _("Der gewünschte Beginn liegt vor der Geburt."))
    group = age_group_at(child.birth_date, start_date)
    if group is None:
        raise KitaError("school_age", _("Eine Kita-Vormerkung ist bis zum Schuleintritt möglich."))
    session = db_session()
    facilities = {f.id: f for f in session.exec(select(KitaFacility).where(KitaFacility.id.in_(wishes))).all()}
    for facility_id in wishes:
        found = facilities.get(facility_id)
        if found is None:
            raise KitaError("unknown_facility", _("Eine der gewählten Kitas gibt es nicht."))
        if group not in found.age_group_list:
            raise KitaError("age_group", _("%(kita)s betreut keine Kinder im Alter Ihres Kindes (%(group)s).",
                                           kita=found.name, group=age_group_label(group)))
    if _active_registration(child.id, care_year) is not None:
        raise KitaError("active_exists", _("Für dieses Kind gibt es im Kindergartenjahr %(year)s schon eine "
                                           "Vormerkung.", year=care_year_label(care_year)))
    registration = KitaRegistration(child_id=child.id, care_year=care_year, start_date=start_date)
    try:
        session.add(registration)
        session.flush()
        for rank, facility_id in enumerate(wishes, start=1):
            session.add(KitaWish(registration_id=registration.id, facility_id=facility_id, rank=rank))
        session.commit()
    except IntegrityError:  # a concurrent submission for the same child and year won
        session.rollback()
        raise KitaError("active_exists", _("Für dieses Kind gibt es im Kindergartenjahr %(year)s schon eine "
                                           "Vormerkung.", year=care_year_label(care_year))) from None
    names = ", ".join(facilities[f].name for f in wishes)
    _tell(user, _("Ihre Kita-Vormerkung ist eingegangen"),
          _("Ihre Vormerkung für %(child)s im Kindergartenjahr %(year)s ist eingegangen. Wunsch-Kitas: "
            "%(kitas)s. Die Kitas vergeben die Plätze ab dem 15. Februar; wir benachrichtigen Sie, sobald "
            "sich der Stand ändert.", child=child.first_name, year=care_year_label(care_year), kitas=names))
    return registration


def _active_registration(child_id: int, care_year: int) -> Optional[KitaRegistration]:
    return db_session().exec(select(KitaRegistration).where(
        KitaRegistration.child_id == child_id, KitaRegistration.care_year == care_year,
        KitaRegistration.status != WITHDRAWN)).first()


def _own_registration(user: User, registration_id: int) -> tuple[KitaRegistration, KitaChild]:
    session = db_session()
    registration = session.get(KitaRegistration, registration_id)
    child = session.get(KitaChild, registration.child_id) if registration else None
    if child is None or child.user_id != user.id:
        raise KitaError("not_found", _("Diese Vormerkung gibt es in Ihrem Konto nicht."))
    return registration, child


# -- locking primitives -------------------------------------------------------------------------
def _lock_registration(registration_id: int, allowed: Iterable[str], **values) -> Optional[KitaRegistration]:
    """Move the pre-registration on (``values``) if its status is in ``allowed``; the row stays
    locked until the transaction ends. None when the condition no longer holds."""
    session = db_session()
    stmt = (update(KitaRegistration)
            .where(KitaRegistration.id == registration_id, KitaRegistration.status.in_(tuple(allowed)))
            .values(version=KitaRegistration.version + 1, updated_at=utcnow(), **values)
            .execution_options(synchronize_session=False))
    if session.execute(stmt).rowcount != 1:
        return None
    return session.exec(select(KitaRegistration).where(KitaRegistration.id == registration_id)
                        .with_for_update().execution_options(populate_existing=True)).one()


def _set_offer(offer_id: int, expected: Iterable[str], status: str) -> bool:
    stmt = (update(KitaOffer).where(KitaOffer.id == offer_id, KitaOffer.status.in_(tuple(expected)))
            .values(status=status, decided_at=utcnow()).execution_options(synchronize_session=False))
    return db_session().execute(stmt).rowcount == 1


def _take_place(facility_id: int, care_year: int) -> bool:
    session = db_session()
    place = session.get(KitaFacility, facility_id)
    insert_ignore(KitaQuota, [{"facility_id": facility_id, "care_year": care_year, "places": place.places,
                               "used": 0}])
    stmt = (update(KitaQuota)
            .where(KitaQuota.facility_id == facility_id, KitaQuota.care_year == care_year,
                   KitaQuota.used < KitaQuota.places)
            .values(used=KitaQuota.used + 1).execution_options(synchronize_session=False))
    return session.execute(stmt).rowcount == 1


def _release_places(offers: Iterable[KitaOffer]) -> None:
    session = db_session()
    for offer in sorted(offers, key=lambda o: (o.facility_id, o.care_year)):  # one lock order
        session.execute(update(KitaQuota)
                        .where(KitaQuota.facility_id == offer.facility_id, KitaQuota.care_year == offer.care_year,
                               KitaQuota.used > 0)
                        .values(used=KitaQuota.used - 1).execution_options(synchronize_session=False))


def _open_offers(registration_id: int, states=(OFFERED,)) -> list[KitaOffer]:
    return list(db_session().exec(
        select(KitaOffer).where(KitaOffer.registration_id == registration_id, KitaOffer.status.in_(states))
        .order_by(KitaOffer.id).with_for_update().execution_options(populate_existing=True)).all())


def _fail(code: str, message: str):
    db_session().rollback()
    raise KitaError(code, message)


def _changed():
    return _("Die Vormerkung wurde inzwischen geändert. Bitte laden Sie die Seite neu.")


# -- citizen actions ------------------------------------------------------------------------
def withdraw_registration(user: User, registration_id: int, notify_user: bool = True) -> None:
    """The citizen withdraws the pre-registration; every open or accepted offer is withdrawn."""
    registration, child = _own_registration(user, registration_id)
    session = db_session()
    if _lock_registration(registration.id, (SUBMITTED, OFFERED, ACCEPTED), status=WITHDRAWN) is None:
        _fail("state", _("Diese Vormerkung ist bereits zurückgezogen."))
    released = [o for o in _open_offers(registration.id, OPEN_OFFER_STATES)
                if _set_offer(o.id, OPEN_OFFER_STATES, WITHDRAWN)]
    _release_places(released)
    session.commit()
    if notify_user:
        _tell(user, _("Ihre Kita-Vormerkung wurde zurückgezogen"),
              _("Sie haben die Vormerkung für %(child)s im Kindergartenjahr %(year)s zurückgezogen.",
                child=child.first_name, year=care_year_label(registration.care_year)))


def _own_offer(user: User, offer_id: int) -> tuple[KitaOffer, KitaRegistration, KitaChild]:
    offer = db_session().get(KitaOffer, offer_id)
    if offer is None:
        raise KitaError("not_found", _("Dieses Angebot gibt es nicht."))
    registration, child = _own_registration(user, offer.registration_id)
    return offer, registration, child


def _expired_message() -> str:
    return _("Die Antwortfrist für dieses Angebot ist abgelaufen: Es kann nicht mehr angenommen werden, und der "
             "Platz wird für die nächste Vormerkung freigegeben. Ihre Vormerkung bleibt bestehen.")


def _offer_now(offer_id: int) -> Optional[KitaOffer]:
    return db_session().exec(select(KitaOffer).where(KitaOffer.id == offer_id)
                             .execution_options(populate_existing=True)).first()


def _is_expired(offer: Optional[KitaOffer], today: date) -> bool:
    return offer is not None and (offer.status == EXPIRED or (offer.status == OFFERED and offer.deadline < today))


def accept_offer(user: User, offer_id: int, today: Optional[date] = None) -> KitaOffer:
    """Accept one offer; every other open offer of the pre-registration is withdrawn and its
    place released, all in one transaction. An offer past its deadline cannot be accepted."""
    today = today or date.today()
    offer, registration, child = _own_offer(user, offer_id)
    session = db_session()
    if _lock_registration(registration.id, (OFFERED,), status=ACCEPTED) is None:
        if _is_expired(_offer_now(offer.id), today):  # the job expired the last open offer
            _fail("expired", _expired_message())
        _fail("state", _("Sie haben bereits ein Angebot angenommen oder die Vormerkung zurückgezogen."))
    current = _offer_now(offer.id)
    if _is_expired(current, today):
        _fail("expired", _expired_message())
    if current.status != OFFERED:
        _fail("state", _("Dieses Angebot ist nicht mehr gültig."))
    try:
        if not _set_offer(offer.id, (OFFERED,), ACCEPTED):
            _fail("state", _changed())
        others = [o for o in _open_offers(registration.id) if o.id != offer.id]
        released = [o for o in others if _set_offer(o.id, (OFFERED,), WITHDRAWN)]
        _release_places(released)
        session.commit()
    except IntegrityError:  # the unique index on accepted offers: never two per pre-registration
        _fail("state", _changed())
    place = session.get(KitaFacility, offer.facility_id)
    _tell(user, _("Sie haben einen Kita-Platz angenommen"),
          _("Sie haben den Platz in %(kita)s für %(child)s im Kindergartenjahr %(year)s angenommen. Ihre anderen "
            "Angebote wurden zurückgegeben. Verbindlich wird der Platz mit dem Betreuungsvertrag, den Ihnen die "
            "Kita schickt.", kita=place.name, child=child.first_name, year=care_year_label(registration.care_year)))
    return current


def decline_offer(user: User, offer_id: int) -> None:
    offer, registration, child = _own_offer(user, offer_id)
    session = db_session()
    if _lock_registration(registration.id, (OFFERED,)) is None:
        if (_offer_now(offer.id) or offer).status == EXPIRED:
            _fail("expired", _expired_message())
        _fail("state", _changed())
    if not _set_offer(offer.id, (OFFERED,), DECLINED):
        if (_offer_now(offer.id) or offer).status == EXPIRED:
            _fail("expired", _expired_message())
        _fail("state", _("Dieses Angebot ist nicht mehr gültig."))
    _release_places([offer])
    if not _open_offers(registration.id):
        _lock_registration(registration.id, (OFFERED,), status=SUBMITTED)
    session.commit()


# -- staff actions ------------------------------------------------------------------------
@dataclass
class Request:
    registration: KitaRegistration
    child: KitaChild
    rank: int
    offers: list[KitaOffer]

    @property
    def age_group(self) -> Optional[str]:
        return age_group_at(self.child.birth_date, self.registration.start_date)


def requests_for(facility_id: int, care_year: Optional[int] = None) -> list[Request]:
    """Active pre-registrations naming the facility as a wish, by rank and date of submission."""
    session = db_session()
    query = (select(KitaRegistration, KitaChild, KitaWish.rank)
             .join(KitaWish, KitaWish.registration_id == KitaRegistration.id)
             .join(KitaChild, KitaChild.id == KitaRegistration.child_id)
             .where(KitaWish.facility_id == facility_id, KitaRegistration.status != WITHDRAWN))
    if care_year is not None:
        query = query.where(KitaRegistration.care_year == care_year)
    rows = session.exec(query.order_by(KitaWish.rank, KitaRegistration.created_at, KitaRegistration.id)).all()
    result = []
    for registration, child, rank in rows:
        offers = list(session.exec(select(KitaOffer).where(KitaOffer.registration_id == registration.id)
                                   .order_by(KitaOffer.id)).all())
        result.append(Request(registration, child, rank, offers))
    return result


def quota(facility_id: int, care_year: int) -> tuple[int, int]:
    """(places, used) of the facility in the care year."""
    row = db_session().exec(select(KitaQuota).where(KitaQuota.facility_id == facility_id,
                                                    KitaQuota.care_year == care_year)).first()
    if row is None:
        found = db_session().get(KitaFacility, facility_id)
        return (found.places if found else 0), 0
    return row.places, row.used


def request_counts(care_year: Optional[int] = None) -> dict[int, int]:
    """Active pre-registrations per facility."""
    query = (select(KitaWish.facility_id, func.count(KitaWish.id))
             .join(KitaRegistration, KitaRegistration.id == KitaWish.registration_id)
             .where(KitaRegistration.status != WITHDRAWN))
    if care_year is not None:
        query = query.where(KitaRegistration.care_year == care_year)
    return dict(db_session().exec(query.group_by(KitaWish.facility_id)).all())


def make_offer(staff: Optional[User], facility_id: int, registration_id: int,
               deadline: Optional[date] = None, today: Optional[date] = None) -> KitaOffer:
    """A facility offers a place to a pre-registration that names it as a wish."""
    today = today or date.today()
    deadline = deadline or today + timedelta(days=offer_days())
    if deadline < today:
        raise KitaError("deadline", _("Die Antwortfrist darf nicht in der Vergangenheit liegen."))
    session = db_session()
    registration = session.get(KitaRegistration, registration_id)
    wish = session.exec(select(KitaWish).where(KitaWish.registration_id == registration_id,
                                               KitaWish.facility_id == facility_id)).first()
    if registration is None or wish is None:
        raise KitaError("not_wish", _("Diese Vormerkung nennt die Kita nicht als Wunsch."))
    if _lock_registration(registration_id, (SUBMITTED, OFFERED), status=OFFERED) is None:
        _fail("state", _("Die Vormerkung ist nicht mehr offen: Ein Angebot wurde angenommen oder die Vormerkung "
                         "zurückgezogen."))
    if session.exec(select(KitaOffer.id).where(KitaOffer.registration_id == registration_id,
                                               KitaOffer.facility_id == facility_id,
                                               KitaOffer.status.in_(OPEN_OFFER_STATES))).first() is not None:
        _fail("duplicate_offer", _("Diese Kita hat der Vormerkung bereits einen Platz angeboten."))
    if not _take_place(facility_id, registration.care_year):
        _fail("full", _("Die Kita hat im Kindergartenjahr %(year)s keinen freien Platz mehr.",
                        year=care_year_label(registration.care_year)))
    offer = KitaOffer(registration_id=registration_id, facility_id=facility_id, care_year=registration.care_year,
                      deadline=deadline, staff_id=staff.id if staff else None)
    session.add(offer)
    try:
        session.flush()
        audit("buergerportal.kita.offer", f"kita_offer:{offer.id}", facility_id=facility_id,
              registration_id=registration_id, deadline=deadline.isoformat())
        session.commit()
    except IntegrityError:
        _fail("duplicate_offer", _("Diese Kita hat der Vormerkung bereits einen Platz angeboten."))
    child = session.get(KitaChild, registration.child_id)
    place = session.get(KitaFacility, facility_id)
    _tell(_parent(child), _("Ein Kita-Platz wird Ihnen angeboten"),
          _("%(kita)s bietet %(child)s einen Platz im Kindergartenjahr %(year)s an. Bitte nehmen Sie das Angebot "
            "bis zum %(deadline)s an oder lehnen Sie es ab. Sie können nur ein Angebot annehmen; Ihre anderen "
            "Angebote werden dann zurückgegeben.", kita=place.name, child=child.first_name,
            year=care_year_label(registration.care_year), deadline=deadline.strftime("%d.%m.%Y")))
    return offer


def withdraw_offer(staff: Optional[User], offer_id: int) -> None:
    """Staff take back an offer that has not been accepted."""
    session = db_session()
    offer = session.get(KitaOffer, offer_id)
    if offer is None:
        raise KitaError("not_found", _("Dieses Angebot gibt es nicht."))
    if _lock_registration(offer.registration_id, (OFFERED,)) is None:
        _fail("state", _("Nur offene Angebote können zurückgezogen werden."))
    if not _set_offer(offer.id, (OFFERED,), WITHDRAWN):
        _fail("state", _("Nur offene Angebote können zurückgezogen werden."))
    _release_places([offer])
    if not _open_offers(offer.registration_id):
        _lock_registration(offer.registration_id, (OFFERED,), status=SUBMITTED)
    audit("buergerportal.kita.offer_withdrawn", f"kita_offer:{offer.id}", facility_id=offer.facility_id,
          registration_id=offer.registration_id)
    session.commit()
    registration = session.get(KitaRegistration, offer.registration_id)
    child = session.get(KitaChild, registration.child_id)
    place = session.get(KitaFacility, offer.facility_id)
    _tell(_parent(child), _("Ein Kita-Angebot wurde zurückgezogen"),
          _("%(kita)s hat das Angebot für %(child)s im Kindergartenjahr %(year)s zurückgezogen. Ihre Vormerkung "
            "bleibt bestehen.", kita=place.name, child=child.first_name,
            year=care_year_label(registration.care_year)))


# -- response deadline ----------------------------------------------------------------------
def expire_offers(today: Optional[date] = None) -> dict:
    """Job ``kita_offers``: end every offer not answered by the end of its deadline (``deadline <
    today``). Each offer becomes ``expired`` and releases its place; a pre-registration without
    another open offer goes back to ``submitted`` (its other wishes stay), so that staff can offer
    the place to the next request. The parent is notified after the commit.

    Runs one pre-registration per transaction with the usual lock order (pre-registration →
    offers → places), so a citizen accepting at the same moment either wins before the job (the
    offer is accepted) or after it (refused as expired). Idempotent; returns counts.
    """
    today = today or date.today()
    session = db_session()
    due = session.exec(select(KitaOffer.registration_id)
                       .where(KitaOffer.status == OFFERED, KitaOffer.deadline < today).distinct()).all()
    counts = {"expired": 0, "registrations": 0}
    for registration_id in sorted(due):
        if _lock_registration(registration_id, (OFFERED,)) is None:
            session.rollback()  # accepted or withdrawn meanwhile: its offers are no longer open
            continue
        expired = [o for o in _open_offers(registration_id)
                   if o.deadline < today and _set_offer(o.id, (OFFERED,), EXPIRED)]
        _release_places(expired)
        if not _open_offers(registration_id):
            _lock_registration(registration_id, (OFFERED,), status=SUBMITTED)
        for o in expired:
            audit("buergerportal.kita.offer_expired", f"kita_offer:{o.id}", facility_id=o.facility_id,
                  registration_id=registration_id, deadline=o.deadline.isoformat())
        session.commit()
        if not expired:
            continue
        counts["expired"] += len(expired)
        counts["registrations"] += 1
        registration = session.get(KitaRegistration, registration_id)
        child = session.get(KitaChild, registration.child_id)
        for o in expired:
            place = session.get(KitaFacility, o.facility_id)
            _tell(_parent(child), _("Ein Kita-Angebot ist abgelaufen"),
                  _("Die Antwortfrist für das Angebot von %(kita)s für %(child)s im Kindergartenjahr %(year)s ist "
                    "am %(deadline)s abgelaufen. Der Platz wurde freigegeben und kann der nächsten Vormerkung "
                    "angeboten werden. Ihre Vormerkung bleibt bestehen.", kita=place.name, child=child.first_name,
                    year=care_year_label(registration.care_year), deadline=o.deadline.strftime("%d.%m.%Y")))
    if counts["expired"]:
        log.info("Kita offers expired: %(expired)d in %(registrations)d pre-registrations", counts)
    return counts


# -- notifications --------------------------------------------------------------------------
def _parent(child: KitaChild) -> Optional[User]:
    return db_session().get(User, child.user_id)


def _tell(user: Optional[User], subject: str, body: str) -> None:
    """Notify the parent after the change is committed, with a link to the status page; a notifier
    failure never undoes it."""
    if user is None or not user.email:
        return
    try:  # in a request its host; in the job ``kita_offers`` the municipality's host name
        link = "\n\n" + _("Stand Ihrer Vormerkungen: %(url)s", url=external_url("buergerportal.kita_status"))
    except RuntimeError as exc:  # a municipality without a host name: the message goes out without the link
        log.warning("Kita notification without a link to the status page: %s", exc)
        link = ""
    try:
        notify(user.email, subject, body + link)
    except Exception:
        log.exception("Kita notification could not be sent")


# -- personal data --------------------------------------------------------------------------
def export_user_data(user: User) -> Optional[dict]:
    children = children_of(user)
    if not children:
        return None
    out = []
    for child in children:
        regs = []
        for view in (v for v in registrations_of(user) if v.child.id == child.id):
            r = view.registration
            regs.append({
                "care_year": care_year_label(r.care_year), "start_date": r.start_date.isoformat(),
                "status": r.status, "created_at": r.created_at.isoformat(),
                "wishes": [{"rank": rank, "kita": f.name} for rank, f in view.wishes],
                "offers": [{"kita": f.name, "status": o.status, "deadline": o.deadline.isoformat()}
                           for o, f in view.offers],
            })
        out.append({"first_name": child.first_name, "birth_date": child.birth_date.isoformat(),
                    "pre_registrations": regs})
    return {"kita_children": out}


def delete_user_data(user: User) -> None:
    """Delete the user's children, pre-registrations, wishes and offers; places held by open
    offers are released. Not committed (the core commits the account deletion)."""
    session = db_session()
    children = children_of(user)
    if not children:
        return
    child_ids = [c.id for c in children]
    reg_ids = list(session.exec(select(KitaRegistration.id).where(KitaRegistration.child_id.in_(child_ids))).all())
    if reg_ids:
        offers = list(session.exec(select(KitaOffer).where(KitaOffer.registration_id.in_(reg_ids),
                                                          KitaOffer.status.in_(OPEN_OFFER_STATES))
                                   .with_for_update()).all())
        _release_places(offers)
        for model in (KitaOffer, KitaWish):
            for row in session.exec(select(model).where(model.registration_id.in_(reg_ids))).all():
                session.delete(row)
        for row in session.exec(select(KitaRegistration).where(KitaRegistration.id.in_(reg_ids))).all():
            session.delete(row)
    session.flush()
    for child in children:
        session.delete(child)
    session.flush()


__all__ = ["AGE_GROUPS", "KitaError", "care_year_of", "care_year_bounds", "open_care_years", "age_group_at",
           "search_facilities", "submit_registration", "accept_offer", "decline_offer", "withdraw_registration",
           "make_offer", "withdraw_offer", "expire_offers", "offer_days", "export_user_data", "delete_user_data"]
