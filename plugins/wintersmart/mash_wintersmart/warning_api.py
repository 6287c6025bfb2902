"""REST API of warnings and signs (registered on :data:`.api.blp`, ``/api/v1/wintersmart``).

* ``GET /warnings`` (public) — the active warnings as JSON; ``GET /warnings.cap`` (public) — the
  same as CAP 1.2 alerts in an Atom feed; ``GET /warnings/<id>.cap`` — one CAP alert.
* ``GET /warnings/history`` — every warning period (operators).
* ``GET /signs``, ``POST /signs`` — signs with what they show, their command and override;
  ``PUT /signs/<id>/override`` — a manual override until a time; ``DELETE /signs/<id>/override``
  — back to automation (operators: permission ``wintersmart.operate``, token auth).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import flask
import marshmallow as ma

from mash_core.api import (audit, current_municipality, db_session, get_settings, public,
                           require_permission, select)

from . import cap
from .api import OPERATE, _unprocessable, blp
from .models import RoadSegment
from .signs import (OverrideFields, actor, clear_override, reconcile, set_override, sign_or_404,
                    sign_state)
from .warning_models import Sign, Warning
from .warnings import SLUG, active_warnings, aware, warning_dict

MAX_OVERRIDE = timedelta(days=7)


def _segments(session, ids) -> dict:
    ids = sorted(set(ids))
    if not ids:
        return {}
    return {s.id: s for s in session.exec(select(RoadSegment).where(RoadSegment.id.in_(ids))).all()}


def current_warnings(session) -> list[dict]:
    rows = active_warnings(session)
    segments = _segments(session, [w.road_segment_id for w in rows])
    return [warning_dict(w, segments.get(w.road_segment_id)) for w in rows]


# -- warnings ---------------------------------------------------------------------------------
@blp.route("/warnings")
@public
def warnings_json():
    """Active ice warnings per road segment: level (1–3) and its name, reasons in plain
    German, since when, the segment with its GeoJSON geometry."""
    return flask.jsonify({"warnings": current_warnings(db_session()),
                          "generated_at": datetime.now(timezone.utc).isoformat()})


def _cap_context() -> dict:
    settings = get_settings(SLUG)
    host = flask.request.host.split(":")[0]
    return {"municipality_slug": current_municipality().slug,
            "sender": settings.get("cap_sender") or f"wintersmart@{host}",
            "sender_name": settings.get("service_name") or current_municipality().name,
            "web": flask.url_for("wintersmart.warnings_page", _external=True),
            "contact": settings.get("hotline_phone") or ""}


def _alerts(session, rows: list[Warning]) -> list:
    segments = _segments(session, [w.road_segment_id for w in rows])
    previous_ids = [w.previous_id for w in rows if w.previous_id]
    previous = {p.id: p for p in session.exec(select(Warning).where(Warning.id.in_(previous_ids))).all()} \
        if previous_ids else {}
    ctx = _cap_context()
    out = []
    for w in rows:
        data = warning_dict(w, segments.get(w.road_segment_id))
        before = previous.get(w.previous_id)
        # an Update only when the previous one ended as this one began (no gap)
        prev = warning_dict(before, segments.get(before.road_segment_id)) \
            if before is not None and before.valid_until and aware(before.valid_until) == aware(w.valid_from) else None
        out.append((data, cap.alert(data, prev, **ctx)))
    return out


@blp.route("/warnings.cap")
@public
def warnings_cap():
    """The active warnings as CAP 1.2 alerts in an Atom feed (one entry per warning)."""
    session = db_session()
    ctx = _cap_context()
    root = cap.feed(_alerts(session, active_warnings(session)),
                    feed_id=f"urn:mash:{ctx['municipality_slug']}:wintersmart:warnings",
                    title=f"Glättewarnungen – {ctx['sender_name']}", self_url=flask.request.url,
                    author=ctx["sender_name"], now=datetime.now(timezone.utc))
    return flask.Response(cap.to_bytes(root), mimetype="application/atom+xml")


@blp.route("/warnings/<int:warning_id>.cap")
@public
def warning_cap(warning_id):
    """One warning (active or past) as a CAP 1.2 alert."""
    session = db_session()
    row = session.exec(select(Warning).where(Warning.id == warning_id)).first()
    if row is None:
        flask.abort(404)
    (_, alert), = _alerts(session, [row])
    return flask.Response(cap.to_bytes(alert), mimetype="application/cap+xml")


@blp.route("/warnings/history")
@require_permission(OPERATE)
def warnings_history():
    """Every warning period, newest first (``?segment=<id>`` for one segment, ``limit`` ≤ 1000)."""
    session = db_session()
    query = select(Warning)
    segment = flask.request.args.get("segment", type=int)
    if segment is not None:
        query = query.where(Warning.road_segment_id == segment)
    limit = min(max(flask.request.args.get("limit", 200, type=int), 1), 1000)
    rows = session.exec(query.order_by(Warning.valid_from.desc(), Warning.id.desc()).limit(limit)).all()
    segments = _segments(session, [w.road_segment_id for w in rows])
    return flask.jsonify({"warnings": [warning_dict(w, segments.get(w.road_segment_id)) for w in rows]})


# -- signs ------------------------------------------------------------------------------------
class SignSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    key = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$"),
                           metadata={"description": "id in MQTT topics: wintersmart/signs/<key>/set"})
    name = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    lat = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(-180, 180))
    road_segment_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True)
    min_level = ma.fields.Integer(load_default=1, strict=True, validate=ma.validate.Range(1, 3))


class OverrideSchema(OverrideFields):
    class Meta:
        unknown = ma.RAISE

    until = ma.fields.AwareDateTime(required=True, default_timezone=timezone.utc)


@blp.route("/signs")
@require_permission(OPERATE)
def signs_list():
    """Signs with what they show, the current command (status, ack) and an active override."""
    session = db_session()
    return flask.jsonify([sign_state(session, s) for s in session.exec(select(Sign).order_by(Sign.key)).all()])


@blp.route("/signs", methods=["POST"])
@blp.arguments(SignSchema)
@require_permission(OPERATE)
def sign_create(data):
    """Register a sign (409 for a known key); it follows its segment's warning at once."""
    session = db_session()
    if session.exec(select(Sign).where(Sign.key == data["key"])).first() is not None:
        return flask.jsonify(code=409, status="Conflict", message="a sign with this key exists"), 409
    if data["road_segment_id"] is not None and \
            session.exec(select(RoadSegment.id).where(RoadSegment.id == data["road_segment_id"])).first() is None:
        _unprocessable("unknown road segment", {"json": {"road_segment_id": ["no such road segment"]}})
    sign = Sign(**data)
    session.add(sign)
    session.flush()
    audit("wintersmart.sign.create", f"sign:{sign.key}", road_segment_id=sign.road_segment_id)
    reconcile(session, sign, get_settings(SLUG), trigger="created")
    session.commit()
    return flask.jsonify(sign_state(session, sign)), 201


@blp.route("/signs/<int:sign_id>/override", methods=["PUT"])
@blp.arguments(OverrideSchema)
@require_permission(OPERATE)
def sign_override(data, sign_id):
    """Manual override until ``until`` (at most 7 days): the sign shows ``content``/``text``
    and automation is suppressed until then or until the override is cleared."""
    session = db_session()
    sign = sign_or_404(session, sign_id)
    now = datetime.now(timezone.utc)
    until = data["until"]
    if until <= now or until - now > MAX_OVERRIDE:
        _unprocessable("invalid until", {"json": {"until": ["must lie in the future, at most 7 days ahead"]}})
    set_override(session, sign, data["content"], data["text"], until, actor(), data["reason"])
    session.commit()
    return flask.jsonify(sign_state(session, sign))


@blp.route("/signs/<int:sign_id>/override", methods=["DELETE"])
@require_permission(OPERATE)
def sign_override_clear(sign_id):
    """End the override; the sign follows its segment's warning again."""
    session = db_session()
    sign = sign_or_404(session, sign_id)
    if clear_override(session, sign, actor()) is None:
        flask.abort(404)
    session.commit()
    return flask.jsonify(sign_state(session, sign))
