"""Anonymous usage figures for editors: daily counters per (kind, key) — no user, no IP address,
no session, no timestamps finer than a day. Searches are counted only when they found nothing,
folded to lower case and cut to 80 characters, so that editors see which content is missing.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import func, update

from mash_core.api import db_session, insert_ignore, select

from .catalogue_models import UsageCount

SERVICE_VIEW, SEARCH_EMPTY, ASSISTANT_DONE = "service_view", "search_empty", "assistant_done"
#: long free text may hold personal details: such "searches" are not recorded
MAX_WORDS = 6


def normalise_query(q: str) -> str | None:
    q = re.sub(r"\s+", " ", (q or "").strip().lower())[:80]
    if not q or len(q.split()) > MAX_WORDS or re.search(r"\d{4,}|@", q):
        return None  # numbers (phone, IBAN, tax ID) and e-mail addresses are never stored
    return q


def count(kind: str, key: str, commit: bool = True) -> None:
    session = db_session()
    today = date.today()
    where = (UsageCount.kind == kind, UsageCount.key == key[:120], UsageCount.day == today)
    result = session.execute(update(UsageCount).where(*where).values(count=UsageCount.count + 1))
    if result.rowcount == 0:
        if not insert_ignore(UsageCount, [{"kind": kind, "key": key[:120], "day": today, "count": 1}]):
            session.execute(update(UsageCount).where(*where).values(count=UsageCount.count + 1))
    if commit:
        session.commit()


def top(kind: str, days: int = 30, limit: int = 10) -> list[tuple[str, int]]:
    since = date.today() - timedelta(days=days)
    total = func.sum(UsageCount.count).label("total")
    rows = db_session().exec(select(UsageCount.key, total).where(UsageCount.kind == kind, UsageCount.day >= since)
                             .group_by(UsageCount.key).order_by(total.desc(), UsageCount.key).limit(limit)).all()
    return [(key, int(n)) for key, n in rows]
