"""Operator dashboard (Leitstand, ``/wintersmart/leitstand``, permission ``wintersmart.operate``):
a schematic map drawn as inline SVG (no tiles, no CDN) with a text legend and tables as its
accessible alternative, current warnings, sign control (manual override set and cleared through
CSRF-protected forms, audited by :mod:`.signs`), grit bins and silos, and per-station charts of
the last hours rendered server-side as SVG."""

from __future__ import annotations

from datetime import timedelta

import flask
import marshmallow as ma
from flask import flash, redirect, request, url_for

from mash_core.api import _, db_session, render, require_permission, select

from . import dashboard, webmap
from .models import Thing
from .signs import (BLANK, PICTOGRAM, OverrideFields, actor, clear_override, set_override, sign_or_404,
                    utcnow)
from .views import bp
from .warnings import LOCAL_TZ, reason_texts

OPERATE = "wintersmart.operate"
HOURS = (6, 12, 24, 48)
#: override durations offered in the form (hours); the API allows up to 7 days
DURATIONS = (1, 2, 4, 8, 12, 24, 48, 168)


class OverrideForm(OverrideFields):
    class Meta:
        unknown = ma.EXCLUDE  # the form also posts its CSRF token

    hours = ma.fields.Integer(required=True, validate=ma.validate.OneOf(DURATIONS))


@bp.get("/leitstand")
@require_permission(OPERATE)
def leitstand():
    data = dashboard.overview()
    for w in data["warnings"]:
        w["reason_texts"] = reason_texts(w["reasons"])
    return render("wintersmart/leitstand.html", **data, durations=DURATIONS,
                  webmap=webmap.options(lambda: webmap.dashboard_features(data)),
                  contents=[(PICTOGRAM, dashboard.CONTENT_TEXT[PICTOGRAM]), (BLANK, dashboard.CONTENT_TEXT[BLANK])],
                  legend_levels=[(lvl, dashboard.level_text(lvl), *dashboard.STROKE[lvl]) for lvl in (3, 2, 1, 0)],
                  station_fill=dashboard.STATION_FILL, bin_fill=dashboard.BIN_FILL, sign_fill=dashboard.SIGN_FILL,
                  bin_state_text=dashboard.BIN_STATE_TEXT, sign_state_text=dashboard.SIGN_STATE_TEXT)


@bp.get("/leitstand/station/<int:thing_id>")
@require_permission(OPERATE)
def leitstand_station(thing_id):
    from .svg import chart

    session = db_session()
    thing = session.exec(select(Thing).where(Thing.id == thing_id, Thing.kind == dashboard.STATION)).first()
    if thing is None:
        flask.abort(404)
    hours = request.args.get("stunden", 24, type=int)
    if hours not in HOURS:
        hours = 24
    data = dashboard.station_series(session, thing, hours)
    geometry = chart(data["series"], data["start"], data["end"], data["levels"],
                     time_label=lambda t: t.astimezone(LOCAL_TZ).strftime("%H:%M"))
    table = _chart_table(data)
    return render("wintersmart/leitstand_station.html", thing=thing, chart=geometry, hours=hours, hour_choices=HOURS,
                  table=table, start=dashboard.local(data["start"]), end=dashboard.local(data["end"]),
                  level_text=dashboard.level_text)


def _chart_table(data: dict, step: timedelta = timedelta(hours=1)) -> list[dict]:
    """The chart as a table (hourly rows: the latest value of each series within the hour)."""
    rows: dict = {}
    for i, s in enumerate(data["series"]):
        for t, v in s["points"]:
            key = t.replace(minute=0, second=0, microsecond=0)
            rows.setdefault(key, [None] * (len(data["series"]) + 1))[i] = v
    for t, level in data["levels"]:
        key = t.replace(minute=0, second=0, microsecond=0)
        rows.setdefault(key, [None] * (len(data["series"]) + 1))[-1] = level
    return [{"time": dashboard.local(t, "%d.%m. %H:00"), "values": vals} for t, vals in sorted(rows.items())]


@bp.post("/leitstand/schild/<int:sign_id>/uebersteuern")
@require_permission(OPERATE)
def leitstand_override(sign_id):
    session = db_session()
    sign = sign_or_404(session, sign_id)
    try:
        data = OverrideForm().load(request.form.to_dict())
    except ma.ValidationError as exc:
        fields = ", ".join(sorted(exc.messages))
        flash(_("Die Übersteuerung wurde nicht gesetzt: Angaben fehlen oder sind ungültig (%(fields)s).",
                fields=fields), "error")
        return redirect(url_for("wintersmart.leitstand", _anchor="schilder"))
    until = utcnow().replace(microsecond=0) + timedelta(hours=data["hours"])
    text = data["text"].strip() if data["content"] != BLANK else ""
    set_override(session, sign, data["content"], text, until, actor(), data["reason"].strip())
    session.commit()
    flash(_("Schild „%(name)s“ ist bis %(until)s Uhr übersteuert.", name=sign.name or sign.key,
            until=dashboard.local(until)), "success")
    return redirect(url_for("wintersmart.leitstand", _anchor="schilder"))


@bp.post("/leitstand/schild/<int:sign_id>/freigeben")
@require_permission(OPERATE)
def leitstand_override_clear(sign_id):
    session = db_session()
    sign = sign_or_404(session, sign_id)
    if clear_override(session, sign, actor()) is None:
        flash(_("Schild „%(name)s“ war nicht übersteuert.", name=sign.name or sign.key), "error")
    else:
        session.commit()
        flash(_("Die Übersteuerung von Schild „%(name)s“ ist aufgehoben; es folgt wieder der Warnung.",
                name=sign.name or sign.key), "success")
    return redirect(url_for("wintersmart.leitstand", _anchor="schilder"))
