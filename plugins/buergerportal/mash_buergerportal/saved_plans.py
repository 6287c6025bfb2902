"""Plans "Geburt eines Kindes" saved to a citizen's account.

The assistant itself stores nothing. Only when a signed-in citizen saves a plan — with an
explicit consent — are the answers of the questionnaire stored, together with the citizen's
label and the date. The computed plan (dates, texts, amounts) is never stored: opening a saved
plan recomputes it from the answers with the rules that apply on that day. Every query is
limited to the current municipality (the core's tenant scope) and to the citizen's own rows;
another account's plan is "not found".
"""

from __future__ import annotations

import re
from datetime import date
from typing import Optional

import marshmallow as ma
from sqlalchemy import func

from mash_core.api import User, _, db_session, select

from .assistant import Answers
from .assistant.schema import BirthQuerySchema
from .plan_models import LABEL_MAX, MAX_SAVED_PLANS, SavedPlan

#: the questionnaire's answers, in the form's order (the keys a saved plan may hold)
ANSWER_FIELDS = ("birth_date", "children", "weeks_early", "premature", "disability", "home_birth", "married",
                 "mother_employed", "elternzeit", "elternzeit_start", "income_above_cap", "care_start")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class SavedPlanError(Exception):
    """The plan was not saved; ``field`` names the form field, ``message`` is for the citizen."""

    def __init__(self, code: str, field: str, message: str):
        super().__init__(code)
        self.code = code
        self.field = field
        self.message = message


# -- answers ------------------------------------------------------------------------------------
def stored_answers(loaded: dict) -> dict:
    """The answers as stored: the questionnaire's fields only, dates as ISO 8601, no empty ones."""
    out = {}
    for name in ANSWER_FIELDS:
        value = loaded.get(name)
        if value is None:
            continue
        out[name] = value.isoformat() if isinstance(value, date) else value
    return out


def as_query(answers: dict) -> dict[str, str]:
    """Stored answers as the questionnaire's query parameters (for links to the form and plan)."""
    out = {}
    for name in ANSWER_FIELDS:
        value = answers.get(name)
        if value is None:
            continue
        out[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def recompute(saved: SavedPlan) -> tuple[Optional[Answers], dict]:
    """(answers, errors): the stored answers checked with today's rules."""
    try:
        data = BirthQuerySchema().load({k: v for k, v in (saved.answers or {}).items() if k in ANSWER_FIELDS})
    except ma.ValidationError as exc:
        return None, exc.messages
    return Answers(**data), {}


def clean_label(label: Optional[str]) -> str:
    """The label as stored: spaces folded; raises :class:`SavedPlanError` when it is unusable."""
    text = " ".join((label or "").split())
    if len(text) > LABEL_MAX:
        raise SavedPlanError("label", "label", _("Die Bezeichnung darf höchstens %(max)d Zeichen lang sein.",
                                                 max=LABEL_MAX))
    if _CONTROL.search(text):
        raise SavedPlanError("label", "label", _("Die Bezeichnung enthält unzulässige Zeichen."))
    return text


# -- the citizen's plans ---------------------------------------------------------------------------
def plans_of(user: User) -> list[SavedPlan]:
    return list(db_session().exec(select(SavedPlan).where(SavedPlan.user_id == user.id)
                                  .order_by(SavedPlan.created_at.desc(), SavedPlan.id.desc())).all())


def count_of(user: User) -> int:
    return db_session().exec(select(func.count(SavedPlan.id)).where(SavedPlan.user_id == user.id)).one()


def plan_of(user: User, plan_id: int) -> Optional[SavedPlan]:
    """The user's own plan, or None (also for another account's plan)."""
    found = db_session().exec(select(SavedPlan).where(SavedPlan.id == plan_id,
                                                      SavedPlan.user_id == user.id)).first()
    return found


def save(user: User, loaded: dict, label: str = "", consent: bool = False) -> SavedPlan:
    """Save the answers (as loaded by :class:`BirthQuerySchema`) to the user's account. Commits.

    Refused without ``consent`` and when the user already keeps :data:`MAX_SAVED_PLANS` plans.
    """
    if not consent:
        raise SavedPlanError("consent", "consent", _("Bitte bestätigen Sie, dass Ihre Angaben in Ihrem Konto "
                                                     "gespeichert werden dürfen."))
    text = clean_label(label)
    session = db_session()
    # one save at a time per account (PostgreSQL row lock; SQLite writes one at a time anyway)
    session.exec(select(User.id).where(User.id == user.id).with_for_update()).first()
    if count_of(user) >= MAX_SAVED_PLANS:
        session.rollback()
        raise SavedPlanError("limit", "consent", _(
            "Sie haben bereits %(max)d Pläne gespeichert – mehr sind nicht möglich. Bitte löschen Sie unter "
            "„Meine Pläne“ einen Plan, den Sie nicht mehr brauchen.", max=MAX_SAVED_PLANS))
    plan = SavedPlan(user_id=user.id, label=text, answers=stored_answers(loaded))
    session.add(plan)
    session.commit()
    return plan


def delete(user: User, plan_id: int) -> bool:
    """Delete the user's own plan. Commits. False when there is no such plan of the user."""
    found = plan_of(user, plan_id)
    if found is None:
        return False
    session = db_session()
    session.delete(found)
    session.commit()
    return True


def title(plan: SavedPlan, format_date=None) -> str:
    """The label, or a name made from the date of birth (``format_date``: day → text)."""
    if plan.label:
        return plan.label
    format_date = format_date or (lambda day: day.strftime("%d.%m.%Y"))
    try:
        birth = date.fromisoformat((plan.answers or {}).get("birth_date", ""))
    except (TypeError, ValueError):
        return _("Plan vom %(date)s", date=format_date(plan.created_at.date()))
    return _("Plan für die Geburt am %(date)s", date=format_date(birth))


# -- personal data -------------------------------------------------------------------------------
def export_user_data(user: User) -> Optional[dict]:
    plans = plans_of(user)
    if not plans:
        return None
    return {"saved_birth_plans": [{"label": p.label, "created_at": p.created_at.isoformat(),
                                   "answers": dict(p.answers or {})} for p in plans]}


def delete_user_data(user: User) -> None:
    """Delete the user's saved plans. Not committed (the core commits the account deletion)."""
    session = db_session()
    for plan in plans_of(user):
        session.delete(plan)
    session.flush()
