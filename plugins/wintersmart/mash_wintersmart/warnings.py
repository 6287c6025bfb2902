"""Warning state per road segment, with history, from the segments' assessments.

The event handler :func:`on_level_changed` (``wintersmart.level_changed`` of a road segment)
calls :func:`update_warning`: a level change closes the segment's active warning
(``valid_until``) and opens the next one (level > 0), notifies the operators when the segment
rises to level 2 or higher from below 2 (once per rise, not per assessment), and lets the
segment's signs follow (:func:`.signs.reconcile_segment`). Nothing is committed here: the
caller's unit of work (subscription batch, job) commits.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Optional
from zoneinfo import ZoneInfo

from mash_core.api import _, _l, current_municipality, db_session, get_settings, notify, select

from .warning_models import Warning

SLUG = "wintersmart"
NOTIFY_LEVEL = 2
#: local time for citizens' pages and operators' messages
LOCAL_TZ = ZoneInfo("Europe/Berlin")
log = logging.getLogger("mash.wintersmart.warnings")

#: brief §4: the level names (de / en)
LEVEL_TEXT = {
    0: _l("keine Glättegefahr"),
    1: _l("Glättegefahr möglich"),
    2: _l("Glätte"),
    3: _l("Glatteis"),
}
#: reason codes in plain German (what citizens read)
REASON_TEXT = {
    "NOWCAST_NEAR_TCRIT": _l("Die Fahrbahn kühlt ab und erreicht in den nächsten Stunden voraussichtlich den "
                             "Gefrierpunkt, Feuchtigkeit ist zu erwarten."),
    "NEAR_TCRIT_NEAR_DEWPOINT": _l("Die Fahrbahn ist fast so kalt wie der Gefrierpunkt, und die Luft ist so "
                                   "feucht, dass sich Tau oder Reif bilden kann."),
    "RST_LE_TCRIT_MOIST": _l("Die Fahrbahn ist feucht und kälter als ihr Gefrierpunkt."),
    "FROST_RST_LE_TF": _l("Auf der kalten Fahrbahn bildet sich Reif."),
    "SENSOR_STATE_FROZEN": _l("Der Fahrbahnsensor meldet Reif oder Eis."),
    "FRICTION_LT_070": _l("Die Griffigkeit der Fahrbahn ist deutlich verringert."),
    "FREEZING_PRECIP": _l("Gefrierender Regen oder Sprühregen fällt auf die kalte Fahrbahn."),
    "BLACK_ICE_SIGNAL": _l("Der Fahrbahnsensor meldet Glatteis."),
    "FRICTION_LT_060": _l("Die Fahrbahn ist sehr glatt."),
    "ICE_FILM": _l("Auf der Fahrbahn liegt eine Eisschicht."),
    "HOLD_HYSTERESIS": _l("Die Warnung bleibt noch eine Weile bestehen, bis sich die Lage sicher entspannt hat."),
    "MANUAL": _l("Warnung des Winterdienstes."),
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(t: datetime) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def level_text(level: int) -> str:
    return str(LEVEL_TEXT.get(level, LEVEL_TEXT[3]))


def reason_texts(codes) -> list[str]:
    """Plain-German sentences for reason codes (unknown codes are left out)."""
    return [str(REASON_TEXT[c]) for c in codes if c in REASON_TEXT]


def local_time(t: datetime) -> str:
    return aware(t).astimezone(LOCAL_TZ).strftime("%d.%m.%Y, %H:%M")


def active_warnings(session, segment_ids: Optional[list[int]] = None) -> list[Warning]:
    query = select(Warning).where(Warning.valid_until == None)  # noqa: E711
    if segment_ids is not None:
        query = query.where(Warning.road_segment_id.in_(segment_ids))
    return list(session.exec(query.order_by(Warning.level.desc(), Warning.valid_from, Warning.id)).all())


def active_warning(session, segment_id: int) -> Optional[Warning]:
    rows = active_warnings(session, [segment_id])
    return rows[0] if rows else None


def update_warning(session, segment_id: int, level: int, reasons: list, at: datetime, source: str = "auto",
                   created_by: Optional[str] = None, settings: Optional[dict] = None) -> Optional[Warning]:
    """Bring the segment's warning to ``level`` at ``at``; returns the active warning (None at 0).

    Same level: the reasons are refreshed, nothing else. Another level: the active warning is
    closed and, above 0, a new one opened. An automatic level does not replace a manual warning
    that is still active (an operator's warning ends only by the operator)."""
    at = aware(at)
    current = active_warning(session, segment_id)
    if current is not None and current.source == "manual" and source == "auto":
        return current
    if current is not None and current.level == level:
        if list(current.reasons) != list(reasons):
            current.reasons = list(reasons)
            session.add(current)
        return current
    before = current.level if current is not None else 0
    if current is not None:
        current.valid_until = max(at, aware(current.valid_from))
        session.add(current)
    new = None
    if level > 0:
        new = Warning(road_segment_id=segment_id, level=level, reasons=list(reasons), valid_from=at, source=source,
                      previous_id=current.id if current is not None else None, created_by=created_by)
        session.add(new)
    session.flush()
    settings = settings if settings is not None else get_settings(SLUG)
    if new is not None and level >= NOTIFY_LEVEL > before:
        _notify_operators(session, new, settings)
    from .signs import reconcile_segment
    reconcile_segment(session, segment_id, settings, trigger="warning")
    return new


def _notify_operators(session, warning: Warning, settings: dict) -> None:
    to = settings.get("operator_email")
    warning.notified_at = utcnow()
    session.add(warning)
    if not to:
        return
    from .models import RoadSegment
    segment = session.exec(select(RoadSegment).where(RoadSegment.id == warning.road_segment_id)).first()
    name = segment.name if segment is not None else str(warning.road_segment_id)
    subject = _("Glättewarnung Stufe %(level)d: %(segment)s", level=warning.level, segment=name)
    lines = [_("Der Straßenabschnitt %(segment)s hat Stufe %(level)d (%(text)s) erreicht, seit %(since)s Uhr.",
               segment=name, level=warning.level, text=level_text(warning.level),
               since=local_time(warning.valid_from)), "", _("Gründe:")]
    lines += [f"- {t}" for t in reason_texts(warning.reasons)] or ["-"]
    try:
        notify(to, subject, "\n".join(lines))
    except Exception:   # a broken mail server must not stop the assessment
        log.exception("could not notify the operators of warning %s", warning.id)


def on_level_changed(payload: dict) -> None:
    """Event handler of ``wintersmart.level_changed``: segments only (stations have no warning)."""
    segment_id = payload.get("road_segment_id")
    if payload.get("thing_id") is not None or segment_id is None:
        return
    at = datetime.fromisoformat(payload["valid_time"]) if payload.get("valid_time") else utcnow()
    update_warning(db_session(), int(segment_id), int(payload["level"]), list(payload.get("reasons") or []), at)


def warning_dict(w: Warning, segment) -> dict:
    """The public JSON form of a warning (also the data of the citizen page)."""
    geometry = json.loads(segment.geometry) if segment is not None and segment.geometry else None
    return {
        "id": w.id, "level": w.level, "level_text": level_text(w.level),
        "segment": {"id": w.road_segment_id, "key": segment.key if segment else None,
                    "name": segment.name if segment else None, "is_bridge": bool(segment and segment.is_bridge),
                    "geometry": geometry},
        "reasons": [{"code": c, "text": str(REASON_TEXT[c])} for c in w.reasons if c in REASON_TEXT],
        "valid_from": aware(w.valid_from).isoformat(),
        "valid_until": aware(w.valid_until).isoformat() if w.valid_until else None,
        "source": w.source,
    }


def municipality_slug() -> str:
    return current_municipality().slug
