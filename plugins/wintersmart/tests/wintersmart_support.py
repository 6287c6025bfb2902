"""Helpers for WinterSMART's tests and ``bench/icerisk.py``: the worker's context without the
worker, feeding messages through the plugin's own subscriptions, building payloads."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

import marshmallow as ma
from flask import g
from sqlalchemy import text
from sqlmodel import select

from mash_core.api import Received, db_session, municipality_context
from mash_core.models import Municipality


@contextlib.contextmanager
def in_municipality(app, slug: str = "heidelberg"):
    """What the worker sets up around a handler or job: app context, municipality, enabled plugins."""
    from mash_core.db import UNSCOPED

    with app.app_context():
        session = db_session()
        m = session.exec(select(Municipality).where(Municipality.slug == slug), execution_options=UNSCOPED).one()
        with municipality_context(m.id):
            g.user = None
            g.municipality = m
            g.enabled_plugins = app.extensions["mash"].states.enabled(session, m)
            yield m


def _matches(filter_: str, rest: str) -> bool:
    f, r = filter_.split("/"), rest.split("/")
    if len(f) != len(r):
        return False
    return all(a == "+" or a == b for a, b in zip(f, r))


_SUBSCRIPTIONS: list = []


def subscriptions():
    """The plugin's subscriptions with one schema instance each (as the worker keeps them)."""
    from mash_wintersmart.plugin import mash_register_subscriptions

    if not _SUBSCRIPTIONS:
        _SUBSCRIPTIONS.extend((s, s.schema()) for s in mash_register_subscriptions())
    return _SUBSCRIPTIONS


def to_received(topic: str, payload, municipality_id: int) -> Received:
    """Validate one message exactly as the worker does (adapter, then the schema) → Received."""
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    rest = topic.split("/", 3)[3]
    sub, schema = next((s, schema) for s, schema in subscriptions() if _matches(s.topic, rest))
    raw = sub.adapter(topic, payload)
    return Received(topic, schema.load(raw), municipality_id, time.time())


def feed(app, messages: Iterable[tuple[str, object]], slug: str = "heidelberg", batch_size: int = 500) -> list:
    """Run ``messages`` (topic, payload) through adapter, schema and handler in batches; returns
    the validation errors (messages the worker would dead-letter) as (topic, messages)."""
    from mash_wintersmart.ingest import store_observations

    errors = []
    with in_municipality(app, slug) as m:
        batch = []
        for topic, payload in messages:
            try:
                batch.append(to_received(topic, payload, m.id))
            except ma.ValidationError as exc:
                errors.append((topic, exc.messages))
            if len(batch) >= batch_size:
                store_observations(batch)
                batch = []
        if batch:
            store_observations(batch)
    return errors


def station(thing: str, t: datetime, slug: str = "heidelberg", **obs) -> tuple[str, dict]:
    return f"mash/{slug}/wintersmart/obs/{thing}", {"t": t.isoformat(), "obs": obs}


def night(thing: str, start: datetime, minutes: int = 180, step: int = 5, slug: str = "heidelberg",
          rst0: float = 3.0, cooling_k_per_h: float = 1.5, t_air0: float = 2.5, rh: float = 92.0,
          water_film: float = 0.0) -> list[tuple[str, dict]]:
    """A clear, cooling night at one station: RST and air cool steadily, humid air."""
    out = []
    for i in range(0, minutes + 1, step):
        h = i / 60.0
        out.append(station(thing, start + timedelta(minutes=i), slug=slug,
                           rst_1=round(rst0 - cooling_k_per_h * h, 3), t_air=round(t_air0 - 0.8 * h, 3), rh=rh,
                           water_film=water_film, surface_state="dry" if water_film == 0 else "wet"))
    return out


def scalar(app, sql: str, **params):
    with app.extensions["mash"].engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(app, sql: str, **params) -> list:
    with app.extensions["mash"].engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def recent(minutes_ago: float = 0.0, now: Optional[datetime] = None) -> datetime:
    now = now or datetime.now(timezone.utc)
    return (now - timedelta(minutes=minutes_ago)).replace(microsecond=0)


def api_headers(app, scopes=("wintersmart.operate",), roles: Optional[tuple] = ("staff",),
                email: str = "operator@example.org") -> dict:
    """``Authorization`` header of a new API token (the API takes tokens, not cookies)."""
    from sqlmodel import Session

    from mash_core.identity.tokens import issue_token
    from mash_core.testing import make_user

    user = make_user(app, email, roles) if roles is not None else None
    with Session(app.extensions["mash"].engine) as session, municipality_context(user.municipality_id if user else 1):
        _, plain = issue_token(session, "wintersmart-test", list(scopes), user=user)
        session.commit()
    return {"Authorization": f"Bearer {plain}"}
