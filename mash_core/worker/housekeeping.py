"""The core's hourly housekeeping job: keeps worker tables small (retention periods below)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import delete
from sqlmodel import Session

from .models import DeadLetter, JobRun, OutboxMessage

SENT_OUTBOX_DAYS = 7
JOB_RUN_DAYS = 30
DEAD_LETTER_DAYS = 30


def housekeeping() -> dict:
    now = datetime.now(timezone.utc)
    with Session(current_app.extensions["mash"].engine) as session:
        counts = {
            "outbox": session.execute(delete(OutboxMessage).where(
                OutboxMessage.sent_at < now - timedelta(days=SENT_OUTBOX_DAYS))).rowcount,
            "job_runs": session.execute(delete(JobRun).where(
                JobRun.started_at < now - timedelta(days=JOB_RUN_DAYS))).rowcount,
            "dead_letters": session.execute(delete(DeadLetter).where(
                DeadLetter.at < now - timedelta(days=DEAD_LETTER_DAYS))).rowcount,
        }
        session.commit()
    return counts
