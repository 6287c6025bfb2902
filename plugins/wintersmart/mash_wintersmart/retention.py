"""Retention (job ``retention``, daily): old observations become hourly aggregates, old
assessments are thinned to the level changes.

* **Numeric datastreams.** Raw observations older than ``raw_retention_days`` (whole UTC hours
  only) are replaced, per datastream and hour, by one row at the start of the hour with
  ``aggregate_s = 3600``: ``value`` the mean, ``value_min``/``value_max`` the extremes and
  ``n_values`` the count of the raw values; ``quality`` the worst of them. An hour that already
  has an aggregate (a late observation arrived after the last run) is merged into it, weighted
  by the counts, so running the job twice changes nothing.
* **States and codes** (surface state, precipitation type, black-ice signal, tilt) cannot be
  averaged: of each run of equal consecutive values only the first observation is kept, so
  every change stays in the history.
* **Rejected observations** (quality 2) older than the limit are deleted.
* **Assessments** older than ``assessment_retention_days`` are deleted except those where the
  level of their station or segment changed.

Work is done in chunks with a commit after each, so a large backlog never holds one huge
transaction.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa

from mash_core.api import db_session, get_settings, select

from .models import Assessment, Datastream, Observation
from .quantities import NUMERIC, QUALITY_REJECTED, QUANTITIES

SLUG = "wintersmart"
HOUR = 3600
CHUNK = 20_000
IN_CHUNK = 500
#: states and assessments are thinned over this window before the limit (the job runs daily)
THIN_WINDOW = timedelta(days=7)


@dataclass
class RetentionReport:
    aggregated_hours: int = 0
    raw_replaced: int = 0
    rejected_deleted: int = 0
    states_deleted: int = 0
    assessments_deleted: int = 0
    details: dict = field(default_factory=dict)


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _delete_ids(session, model, ids: list[int]) -> None:
    for i in range(0, len(ids), IN_CHUNK):
        session.exec(sa.delete(model).where(model.id.in_(ids[i:i + IN_CHUNK])))


def aggregate_datastream(session, ds_id: int, cutoff: datetime) -> tuple[int, int]:
    """Replace the raw observations of ``ds_id`` before ``cutoff`` by hourly aggregates;
    returns (hours written, raw rows replaced)."""
    hours_written = replaced = 0
    while True:
        raw = session.exec(select(Observation).where(
            Observation.datastream_id == ds_id, Observation.aggregate_s == 0, Observation.phenomenon_time < cutoff,
            Observation.quality < QUALITY_REJECTED, Observation.value != None)  # noqa: E711
            .order_by(Observation.phenomenon_time).limit(CHUNK)).all()
        if not raw:
            return hours_written, replaced
        groups: dict[datetime, list[Observation]] = defaultdict(list)
        for o in raw:
            groups[_hour(o.phenomenon_time)].append(o)
        existing = {o.phenomenon_time: o for o in session.exec(select(Observation).where(
            Observation.datastream_id == ds_id, Observation.aggregate_s == HOUR,
            Observation.phenomenon_time.in_(list(groups)))).all()}
        rows = []
        for hour, members in groups.items():
            parts = [(o.value, o.value, o.value, 1, o.quality) for o in members]
            old = existing.get(hour)
            if old is not None:
                parts.append((old.value, old.value_min, old.value_max, old.n_values, old.quality))
            n = sum(p[3] for p in parts)
            rows.append(dict(
                datastream_id=ds_id, phenomenon_time=hour, result_time=max(o.result_time for o in members),
                value=sum(p[0] * p[3] for p in parts) / n, value_min=min(p[1] for p in parts),
                value_max=max(p[2] for p in parts), n_values=n, aggregate_s=HOUR, state=None, raw_code=None,
                quality=max(p[4] for p in parts), flags="HOURLY"))
        ids = [o.id for o in raw] + [o.id for o in existing.values()]
        session.expunge_all()
        _delete_ids(session, Observation, ids)
        session.flush()
        session.add_all([Observation(**row) for row in rows])
        session.commit()
        hours_written += len(rows)
        replaced += len(raw)


def thin_runs(session, model, order_col, group_filter, key_of, start: datetime, end: datetime) -> int:
    """Delete rows in [start, end) whose ``key_of(row)`` equals that of the row before them
    (the row before ``start`` included); returns how many were deleted."""
    before = session.exec(select(model).where(*group_filter, order_col < start)
                          .order_by(order_col.desc(), model.id.desc()).limit(1)).first()
    previous = key_of(before) if before is not None else object()
    deleted = 0
    cursor = start
    while True:
        rows = session.exec(select(model).where(*group_filter, order_col >= cursor, order_col < end)
                            .order_by(order_col, model.id).limit(CHUNK)).all()
        if not rows:
            return deleted
        doomed = []
        for row in rows:
            key = key_of(row)
            if key == previous:
                doomed.append(row.id)
            previous = key
        last_time = getattr(rows[-1], order_col.key)
        session.expunge_all()
        _delete_ids(session, model, doomed)
        session.commit()
        deleted += len(doomed)
        if len(rows) < CHUNK:
            return deleted
        # rows at ``last_time`` were all seen; continue after them
        cursor = last_time + timedelta(microseconds=1)


def run_retention(now: datetime | None = None) -> RetentionReport:
    """The job: see the module docstring. Runs in the municipality's context."""
    session = db_session()
    settings = get_settings(SLUG)
    now = now or datetime.now(timezone.utc)
    report = RetentionReport()
    cutoff = _hour(now - timedelta(days=settings["raw_retention_days"]))
    # rejected observations
    doomed = session.exec(select(Observation.id).where(Observation.phenomenon_time < cutoff,
                                                       Observation.quality >= QUALITY_REJECTED)).all()
    _delete_ids(session, Observation, list(doomed))
    session.commit()
    report.rejected_deleted = len(doomed)
    for ds in session.exec(select(Datastream).order_by(Datastream.id)).all():
        quantity = QUANTITIES.get(ds.key)
        if quantity is None:
            continue
        if quantity.kind == NUMERIC:
            hours, replaced = aggregate_datastream(session, ds.id, cutoff)
            report.aggregated_hours += hours
            report.raw_replaced += replaced
        else:
            report.states_deleted += thin_runs(
                session, Observation, Observation.phenomenon_time,
                (Observation.datastream_id == ds.id, Observation.aggregate_s == 0),
                lambda o: (o.state, o.value), cutoff - THIN_WINDOW, cutoff)
    limit = now - timedelta(days=settings["assessment_retention_days"])
    groups = session.exec(select(Assessment.thing_id, Assessment.road_segment_id).distinct()).all()
    for thing_id, segment_id in groups:
        where = (Assessment.thing_id == thing_id,) if thing_id is not None else \
            (Assessment.thing_id == None, Assessment.road_segment_id == segment_id)  # noqa: E711
        report.assessments_deleted += thin_runs(session, Assessment, Assessment.valid_time, where,
                                                lambda a: a.level, limit - THIN_WINDOW, limit)
    return report


def retention_job() -> None:
    run_retention()
