"""Admin: system health — database, pending migrations, quarantined plugins, last plugin errors
and the checks plugins contribute through ``mash_check_health``; as a page and as JSON."""

from __future__ import annotations

import time

from flask import current_app, g, jsonify, render_template
from flask_babel import gettext as _
from sqlalchemy import text
from sqlmodel import Session, select

from ..identity.permissions import require_permission
from ..migrations_runner import pending_by_branch
from ..models import PluginError
from . import bp

MAX_ERRORS = 20


def _database(engine) -> dict:
    # a connection of its own, so that a broken request transaction cannot fake a healthy answer
    started = time.perf_counter()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()
    except Exception as exc:  # the URL may hold a password: report the error class only
        return {"ok": False, "ms": None, "error": type(exc).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 2), "error": None}


def _plugin_checks(registry) -> list[dict]:
    checks = []
    for slug, result in registry.call("mash_check_health", g.enabled_plugins):
        try:
            for name, ok, detail in result:
                checks.append({"plugin": slug, "name": str(name), "ok": bool(ok), "detail": str(detail or "")})
        except (TypeError, ValueError) as exc:  # not a list of (name, ok, detail)
            registry.record_error(slug, "mash_check_health", exc)
            checks.append({"plugin": slug, "name": "mash_check_health", "ok": False,
                           "detail": _("Ungültiges Ergebnis: erwartet wird eine Liste von (Name, in Ordnung, Einzelheiten).")})
    return checks


def collect() -> dict:
    """Everything the health page shows; ``status`` is ok, degraded or error."""
    mash = current_app.extensions["mash"]
    database = _database(mash.engine)
    try:
        pending, pending_error = pending_by_branch(mash), None
    except Exception as exc:
        pending, pending_error = {}, type(exc).__name__
    quarantined = [{"slug": r.slug, "state": r.state, "reason": r.reason}
                   for r in sorted(mash.registry.records.values(), key=lambda r: r.slug)
                   if r.state != "active"]
    errors = []
    if database["ok"]:
        with Session(mash.engine) as session:
            rows = session.exec(select(PluginError).order_by(PluginError.at.desc()).limit(MAX_ERRORS)).all()
        errors = [{"slug": e.slug, "place": e.place, "message": e.message, "count": e.count,
                   "at": e.at.isoformat()} for e in rows]
    checks = _plugin_checks(mash.registry)
    if not database["ok"]:
        status = "error"
    elif pending or pending_error or quarantined or any(not c["ok"] for c in checks):
        status = "degraded"
    else:
        status = "ok"
    return {"status": status, "database": database, "pending_migrations": pending,
            "migrations_error": pending_error, "quarantined": quarantined, "plugin_errors": errors,
            "checks": checks}


@bp.get("/health")
@require_permission("core.admin")
def health():
    return render_template("admin/health.html", report=collect())


@bp.get("/health.json")
@require_permission("core.admin")
def health_json():
    report = collect()
    return jsonify(report), 503 if report["status"] == "error" else 200
