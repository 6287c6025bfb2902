"""Plugins' jobs on APScheduler 3 with a SQLAlchemy job store on the application database.

Job ids are ``<slug>.<job>@<municipality>`` (or ``<slug>.<job>`` for global jobs). Every run
is first claimed in ``core_job_run`` under a unique (job, municipality, tick) key, so no tick
ever runs twice — not even if two schedulers were briefly active. :func:`reconcile` adds,
removes, pauses and reschedules jobs when plugins are enabled or disabled or an admin
overrides a schedule; the worker calls it every few seconds.
"""

from __future__ import annotations

import logging
import threading
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from apscheduler.executors.base import run_job
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask, g
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..db import UNSCOPED, get_session
from ..models import Municipality
from ..tenancy import municipality_context
from .contract import Job
from .models import JobOverride, JobRun

log = logging.getLogger("mash.worker.jobs")
JOBSTORE_TABLE = "core_apscheduler_jobs"


@dataclass
class Declared:
    key: str            # "<slug>.<job>"
    slug: str
    job: Job


class _Context:
    app: Optional[Flask] = None
    declared: dict[str, Declared] = {}
    worker: str = ""


CTX = _Context()
_tick = threading.local()


def declared_jobs(app: Flask) -> dict[str, Declared]:
    """Every job of every active plugin (and the core), by ``<slug>.<job>``."""
    registry = app.extensions["mash"].registry
    out = {}
    for slug, jobs in registry.call("mash_register_jobs"):
        for job in jobs:
            out[f"{slug}.{job.id}"] = Declared(f"{slug}.{job.id}", slug, job)
    return out


def make_trigger(kind: str, args: dict):
    if kind == "cron":
        return CronTrigger(timezone=timezone.utc, **args)
    if kind == "interval":
        return IntervalTrigger(timezone=timezone.utc, **args)
    raise ValueError(f"unknown trigger {kind!r}: use 'cron' or 'interval'")


def validate_trigger(kind: str, args: dict) -> Optional[str]:
    try:
        make_trigger(kind, dict(args))
    except (TypeError, ValueError) as exc:
        return str(exc)
    return None


class RecordingExecutor(ThreadPoolExecutor):
    """Claims each tick in ``core_job_run`` before running it and records the outcome."""

    def _do_submit_job(self, job, run_times):
        def done(f):
            exc = f.exception()
            if exc:
                self._run_job_error(job.id, exc, exc.__traceback__)
            else:
                self._run_job_success(job.id, f.result())

        self._pool.submit(self._claim_and_run, job, run_times).add_done_callback(done)

    def _claim_and_run(self, job, run_times):
        events = []
        key, municipality_id = job.args
        for run_time in run_times:
            run_id = claim(key, municipality_id, run_time)
            if run_id is None:
                continue  # another scheduler ran this tick already
            _tick.run_id = run_id
            try:
                events += run_job(job, job._jobstore_alias, [run_time], self._logger.name)
            finally:
                _tick.run_id = None
            finish(run_id, "missed", "misfire grace time exceeded", only_if_running=True)
        return events


def _engine():
    return CTX.app.extensions["mash"].engine


def _naive(dt: datetime) -> datetime:
    return dt.astimezone(timezone.utc)


def claim(key: str, municipality_id: Optional[int], run_time: datetime) -> Optional[int]:
    with Session(_engine()) as session:
        row = JobRun(job_id=key, municipality_id=municipality_id, scheduled_for=_naive(run_time),
                     worker=CTX.worker)
        session.add(row)
        try:
            session.commit()
        except IntegrityError:
            return None
        return row.id


def finish(run_id: int, outcome: str, error: Optional[str] = None, only_if_running: bool = False) -> None:
    with Session(_engine()) as session:
        row = session.get(JobRun, run_id)
        if row is None or (only_if_running and row.outcome != "running"):
            return
        row.outcome, row.error = outcome, error
        row.ended_at = datetime.now(timezone.utc)
        session.commit()


def execute(key: str, municipality_id: Optional[int]) -> None:
    """The callable APScheduler stores (by reference): runs job ``key`` in plugin context."""
    run_id = getattr(_tick, "run_id", None)
    declared = CTX.declared.get(key)
    if declared is None:
        if run_id:
            finish(run_id, "skipped", "job no longer declared")
        return
    app = CTX.app
    try:
        with app.app_context():
            mash = app.extensions["mash"]
            g.user = None
            if municipality_id is not None:
                with municipality_context(municipality_id):
                    session = get_session()
                    m = session.get(Municipality, municipality_id)
                    g.municipality = m
                    g.enabled_plugins = mash.states.enabled(session, m)
                    if declared.slug != "core" and declared.slug not in g.enabled_plugins:
                        if run_id:
                            finish(run_id, "skipped", "plugin disabled")
                        return
                    declared.job.func()
            else:
                declared.job.func()
    except Exception as exc:
        mash = app.extensions["mash"]
        mash.registry.record_error(declared.slug, f"job {key}", exc)
        if run_id:
            finish(run_id, "error", "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000])
        return
    if run_id:
        finish(run_id, "ok")


def build_scheduler(app: Flask, worker: str) -> BackgroundScheduler:
    CTX.app, CTX.worker = app, worker
    CTX.declared = declared_jobs(app)
    store = SQLAlchemyJobStore(engine=app.extensions["mash"].engine, tablename=JOBSTORE_TABLE)
    return BackgroundScheduler(jobstores={"default": store},
                               executors={"default": RecordingExecutor(max_workers=4)},
                               job_defaults={"max_instances": 1}, timezone=timezone.utc)


def desired_jobs(app: Flask) -> dict[str, dict]:
    """The jobs that should be scheduled now: APScheduler id -> add_job kwargs."""
    mash = app.extensions["mash"]
    out: dict[str, dict] = {}
    with Session(mash.engine) as session:
        municipalities = session.exec(select(Municipality), execution_options=UNSCOPED).all()
        overrides = {(o.job_id, o.municipality_id): o
                     for o in session.exec(select(JobOverride), execution_options=UNSCOPED).all()}
        for declared in CTX.declared.values():
            targets = municipalities if declared.job.per_municipality else [None]
            for m in targets:
                if m is not None:
                    with municipality_context(m.id):
                        enabled = mash.states.enabled(session, m)
                    if declared.slug != "core" and declared.slug not in enabled:
                        continue
                mid = m.id if m is not None else None
                override = overrides.get((declared.key, mid))
                kind, args = declared.job.trigger, dict(declared.job.trigger_args)
                if override is not None and override.trigger:
                    kind, args = override.trigger, dict(override.trigger_args or {})
                job_id = declared.key + (f"@{m.slug}" if m is not None else "")
                out[job_id] = dict(
                    id=job_id, func="mash_core.worker.scheduler:execute", args=(declared.key, mid),
                    trigger=make_trigger(kind, args), misfire_grace_time=declared.job.misfire_grace_time,
                    coalesce=declared.job.coalesce, name=declared.key, replace_existing=True,
                    paused=bool(override and override.paused),
                )
    return out


def reconcile(scheduler: BackgroundScheduler, app: Flask) -> None:
    """Bring the scheduler's jobs in line with plugin state and admin overrides.

    A job whose trigger is unchanged is left alone, so that its stored next run time (and
    with it the misfire policy after a worker restart) survives.
    """
    desired = desired_jobs(app)
    current = {job.id: job for job in scheduler.get_jobs()}
    for job_id in set(current) - set(desired):
        scheduler.remove_job(job_id)
    for job_id, spec in desired.items():
        paused = spec.pop("paused")
        existing = current.get(job_id)
        if existing is None or str(existing.trigger) != str(spec["trigger"]) or \
                existing.misfire_grace_time != spec["misfire_grace_time"]:
            scheduler.add_job(**spec)
            existing = scheduler.get_job(job_id)
        if paused and existing.next_run_time is not None:
            scheduler.pause_job(job_id)
        elif not paused and existing.next_run_time is None:
            scheduler.resume_job(job_id)
