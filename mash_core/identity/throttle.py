"""Login throttling shared by all web workers (in the database): at most
``MAX_FAILURES`` failed attempts per account and per client address in ``WINDOW``."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from ..models import LoginAttempt

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)


def _h(value: str) -> str:
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def is_throttled(session: Session, email: str, remote: str) -> bool:
    since = _now() - WINDOW
    base = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.success == False)  # noqa: E712
    by_email = session.exec(base.where(LoginAttempt.email_hash == _h(email))).one()
    by_remote = session.exec(base.where(LoginAttempt.remote_hash == _h(remote))).one()
    return by_email >= MAX_FAILURES or by_remote >= MAX_FAILURES * 4


def record_attempt(session: Session, email: str, remote: str, success: bool) -> None:
    session.add(LoginAttempt(email_hash=_h(email), remote_hash=_h(remote), success=success))
    if success:  # a successful login clears the account's failures
        session.execute(delete(LoginAttempt).where(LoginAttempt.email_hash == _h(email),
                                                   LoginAttempt.success == False))  # noqa: E712
    # keep the table small: attempts older than the window are useless
    session.execute(delete(LoginAttempt).where(or_(LoginAttempt.at < _now() - 2 * WINDOW)))
