"""The worker's health checks for /admin/health (the core implements ``mash_check_health``)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, text
from sqlmodel import Session, select

from .leader import ADVISORY_KEY
from .models import DeadLetter, OutboxMessage
from .mqtt import MAX_OUTBOX_ATTEMPTS

STUCK_OUTBOX_SECONDS = 300


def _worker_active(engine) -> bool:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return bool(conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = :k AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"k": ADVISORY_KEY}).scalar())
        row = conn.execute(text("SELECT expires_at FROM core_worker_lease WHERE name = 'worker'")).first()
        return row is not None and row.expires_at > time.time()


def checks() -> list[tuple[str, bool, str]]:
    engine = current_app.extensions["mash"].engine
    now = datetime.now(timezone.utc)
    out = []
    active = _worker_active(engine)
    out.append((_("Worker"), active, _("ein Worker ist aktiv") if active else
                _("kein Worker aktiv: Aufgaben und Nachrichten ruhen (mash worker starten)")))
    with Session(engine) as session:
        unsent = session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at == None, OutboxMessage.attempts < MAX_OUTBOX_ATTEMPTS)).one()  # noqa: E711
        oldest = session.exec(select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.sent_at == None, OutboxMessage.attempts < MAX_OUTBOX_ATTEMPTS)).one()  # noqa: E711
        failed = session.exec(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.sent_at == None, OutboxMessage.attempts >= MAX_OUTBOX_ATTEMPTS)).one()  # noqa: E711
        dead = session.exec(select(func.count()).select_from(DeadLetter).where(
            DeadLetter.at >= now - timedelta(hours=24))).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    stuck = oldest is not None and (now - oldest).total_seconds() > STUCK_OUTBOX_SECONDS
    out.append((_("Ausgehende Nachrichten"), not stuck and failed == 0,
                _("%(n)s warten, %(f)s endgültig fehlgeschlagen", n=unsent, f=failed)))
    out.append((_("Abgewiesene Nachrichten (24 h)"), True, str(dead)))
    return out
