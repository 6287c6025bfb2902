"""Admin: scheduled jobs — next and last runs, pause/resume, schedule override.

The web process never runs a scheduler: it reads the job store table for next run times and
writes :class:`JobOverride` rows, which the active worker applies within seconds.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import inspect, text
from sqlmodel import select

from ..db import get_engine, get_session
from ..identity.audit import audit
from ..identity.permissions import require_permission
from ..worker.models import JobOverride, JobRun
from ..worker.scheduler import JOBSTORE_TABLE, declared_jobs, validate_trigger
from . import bp

RECENT_RUNS = 5


def _next_runs() -> dict[str, datetime | None]:
    engine = get_engine()
    if not inspect(engine).has_table(JOBSTORE_TABLE):
        return {}
    with engine.connect() as conn:
        rows = conn.execute(text(f"SELECT id, next_run_time FROM {JOBSTORE_TABLE}")).all()
    return {r.id: datetime.fromtimestamp(r.next_run_time, timezone.utc) if r.next_run_time else None
            for r in rows}


def _parse_args(raw: str) -> dict:
    """``minutes=5`` or ``hour=3, minute=0`` → dict (numbers become ints where possible)."""
    out = {}
    for part in raw.split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(_("Angaben bitte als name=wert, durch Kommas getrennt."))
        value = value.strip()
        out[key.strip()] = int(value) if value.isdigit() else value
    return out


def job_rows():
    app = current_app
    municipality = g.municipality
    session = get_session()
    nexts = _next_runs()
    overrides = {(o.job_id, o.municipality_id): o for o in session.exec(select(JobOverride))}
    rows = []
    for key, declared in sorted(declared_jobs(app).items()):
        mid = municipality.id if declared.job.per_municipality else None
        sched_id = key + (f"@{municipality.slug}" if mid else "")
        runs = session.exec(select(JobRun).where(JobRun.job_id == key, JobRun.municipality_id == mid)
                            .order_by(JobRun.scheduled_for.desc()).limit(RECENT_RUNS)).all()
        override = overrides.get((key, mid))
        enabled = declared.slug == "core" or declared.slug in g.enabled_plugins
        rows.append(dict(key=key, declared=declared, municipality_id=mid, next_run=nexts.get(sched_id),
                         scheduled=sched_id in nexts, runs=runs, override=override, enabled=enabled))
    return rows


@bp.get("/aufgaben")
@require_permission("core.admin")
def jobs():
    return render_template("admin/jobs.html", rows=job_rows())


@bp.post("/aufgaben/<key>")
@require_permission("core.admin")
def job_update(key: str):
    declared = declared_jobs(current_app).get(key)
    if declared is None:
        abort(404)
    session = get_session()
    mid = g.municipality.id if declared.job.per_municipality else None
    override = session.exec(select(JobOverride).where(JobOverride.job_id == key,
                                                      JobOverride.municipality_id == mid)).first()
    if override is None:
        override = JobOverride(job_id=key, municipality_id=mid)
        session.add(override)
    action = request.form.get("action")
    if action in ("pause", "resume"):
        override.paused = action == "pause"
        audit("job.paused" if override.paused else "job.resumed", target=key)
    elif action == "schedule":
        kind = request.form.get("trigger", "")
        try:
            args = _parse_args(request.form.get("args", ""))
        except ValueError as exc:
            flash(str(exc), "error")
            return redirect(url_for("admin.jobs"))
        problem = validate_trigger(kind, args) if args else _("Bitte einen Zeitplan angeben.")
        if problem:
            flash(_("Ungültiger Zeitplan: %(reason)s", reason=problem), "error")
            return redirect(url_for("admin.jobs"))
        override.trigger, override.trigger_args = kind, args
        audit("job.rescheduled", target=key, trigger=kind, args=json.dumps(args))
    elif action == "reset":
        override.trigger, override.trigger_args = None, None
        audit("job.schedule_reset", target=key)
    else:
        abort(400)
    override.changed_at = datetime.now(timezone.utc)
    session.commit()
    flash(_("Gespeichert. Der Worker übernimmt die Änderung innerhalb weniger Sekunden."), "success")
    return redirect(url_for("admin.jobs"))
