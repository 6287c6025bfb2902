"""Data of the operator dashboard (Leitstand): the state of segments, stations, grit bins and
signs for the map and its table, the time series of one station, and the demo's sign rows."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from mash_core.api import _, _l, db_session, get_settings, select

from .api import history
from .bins import threshold_pct
from .models import Assessment, Datastream, RoadSegment, Thing
from .models_bins import Container
from .signs import BLANK, PICTOGRAM, aware, sign_state
from .svg import Projection, line_coordinates
from .warning_models import Sign
from .warnings import LOCAL_TZ, active_warnings, level_text

SLUG = "wintersmart"
STATION = "road_weather_station"
#: warning level → (stroke colour, width, dash): the citizen map's styles, colour never the only cue
STROKE = {0: ("#767676", 3, ""), 1: ("#b35c00", 5, "2 6"), 2: ("#c0392b", 6, "10 5"), 3: ("#6a1b9a", 8, "")}
#: station level → fill colour (the level number is written beside the symbol)
STATION_FILL = {None: "#ffffff", 0: "#2e7d32", 1: "#b35c00", 2: "#c0392b", 3: "#6a1b9a"}
#: container state → fill colour
BIN_FILL = {"ok": "#2e7d32", "low": "#c0392b", "unknown": "#ffffff"}
#: sign state → fill colour
SIGN_FILL = {"warning": "#c0392b", "dark": "#ffffff", "override": "#1f4e9c"}
BIN_STATE_TEXT = {"ok": _l("ausreichend gefüllt"), "low": _l("nachfüllen"), "unknown": _l("kein Messwert")}
SIGN_STATE_TEXT = {"warning": _l("zeigt Glättewarnung"), "dark": _l("dunkel"),
                   "override": _l("von Hand übersteuert")}
CONTENT_TEXT = {PICTOGRAM: _l("Glättewarnung (Zeichen 101-51)"), BLANK: _l("dunkel (aus)")}
#: the series of the station chart: (label, datastream keys tried in order, colour, dash)
SERIES = (
    (_l("Fahrbahntemperatur"), ("rst_1", "rst_2"), "#1f4e9c", ""),
    (_l("Lufttemperatur"), ("t_air",), "#b35c00", "8 4"),
    (_l("Taupunkt"), ("dew_point",), "#2e7d32", "2 4"),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def local(t: Optional[datetime], fmt: str = "%d.%m.%Y, %H:%M") -> str:
    return aware(t).astimezone(LOCAL_TZ).strftime(fmt) if t is not None else ""


def latest_station_levels(session, thing_ids: list[int]) -> dict[int, Assessment]:
    """The newest assessment of each station."""
    out: dict[int, Assessment] = {}
    if not thing_ids:
        return out
    rows = session.exec(select(Assessment).where(Assessment.thing_id.in_(thing_ids))
                        .order_by(Assessment.valid_time.desc(), Assessment.id.desc()).limit(20 * len(thing_ids)))
    for a in rows.all():
        out.setdefault(a.thing_id, a)
    return out


def container_state(c: Container, settings: dict) -> str:
    if c.fill is None:
        return "unknown"
    return "low" if c.alert_active or c.fill * 100 < threshold_pct(c, settings) else "ok"


def overview(session=None) -> dict:
    """Everything the dashboard shows: segments, stations, bins, signs (with the state of each)
    and the map's geometry (None without any coordinates)."""
    session = session or db_session()
    settings = get_settings(SLUG)
    segments = session.exec(select(RoadSegment).order_by(RoadSegment.name)).all()
    seg_by_id = {s.id: s for s in segments}
    warnings = active_warnings(session)
    seg_levels = {w.road_segment_id: w.level for w in warnings}
    stations = session.exec(select(Thing).where(Thing.kind == STATION).order_by(Thing.key)).all()
    assessed = latest_station_levels(session, [t.id for t in stations])
    containers = session.exec(select(Container).order_by(Container.kind, Container.key)).all()
    signs = session.exec(select(Sign).order_by(Sign.key)).all()
    now = utcnow()

    seg_rows = [{"id": s.id, "name": s.name, "is_bridge": s.is_bridge, "level": seg_levels.get(s.id, 0),
                 "level_text": level_text(seg_levels.get(s.id, 0)), "coords": line_coordinates(s.geometry)}
                for s in segments]
    station_rows = []
    for t in stations:
        a = assessed.get(t.id)
        station_rows.append({"id": t.id, "key": t.key, "name": t.name or t.key, "lat": t.lat, "lon": t.lon,
                             "segment": seg_by_id[t.road_segment_id].name if t.road_segment_id in seg_by_id else "",
                             "level": a.level if a else None,
                             "level_text": level_text(a.level) if a else _("noch keine Bewertung"),
                             "rst": a.rst if a else None, "t_air": a.t_air if a else None,
                             "at": local(a.valid_time) if a else "", "fill": STATION_FILL[a.level if a else None]})
    bin_rows = []
    for c in containers:
        state = container_state(c, settings)
        bin_rows.append({"id": c.id, "key": c.key, "name": c.name or c.key, "kind": c.kind, "lat": c.lat,
                         "lon": c.lon, "fill_pct": None if c.fill is None else round(c.fill * 100),
                         "level_kg": c.level_kg, "state": state, "state_text": str(BIN_STATE_TEXT[state]),
                         "reading_at": local(c.reading_at), "empty_at": local(c.forecast_empty_at, "%d.%m.%Y"),
                         "empty_iso": aware(c.forecast_empty_at).isoformat() if c.forecast_empty_at else "",
                         "threshold": threshold_pct(c, settings), "colour": BIN_FILL[state]})
    sign_rows = []
    for s in signs:
        st = sign_state(session, s, now)
        showing = st["showing"]["content"]
        state = "override" if st["override"] else ("warning" if showing != BLANK else "dark")
        override = st["override"]
        sign_rows.append({"id": s.id, "key": s.key, "name": s.name or s.key, "lat": s.lat, "lon": s.lon,
                          "segment": seg_by_id[s.road_segment_id].name if s.road_segment_id in seg_by_id else "",
                          "showing": str(CONTENT_TEXT.get(showing, showing)), "text": st["showing"]["text"],
                          "state": state, "state_text": str(SIGN_STATE_TEXT[state]), "colour": SIGN_FILL[state],
                          "command_status": st["command"]["status"] if st["command"] else "",
                          "override": None if override is None else {
                              "content": str(CONTENT_TEXT.get(override["content"], override["content"])),
                              "text": override["text"], "reason": override["reason"], "by": override["by"],
                              "until": local(datetime.fromisoformat(override["until"]))}})
    warning_rows = [{"id": w.id, "segment": seg_by_id[w.road_segment_id].name if w.road_segment_id in seg_by_id
                     else str(w.road_segment_id), "level": w.level, "level_text": level_text(w.level),
                     "since": local(w.valid_from), "since_iso": aware(w.valid_from).isoformat(),
                     "source": w.source, "reasons": list(w.reasons or [])} for w in warnings]
    return {"segments": seg_rows, "stations": station_rows, "bins": bin_rows, "signs": sign_rows,
            "warnings": warning_rows, "map": map_geometry(seg_rows, station_rows, bin_rows, sign_rows)}


def map_geometry(segments: list[dict], stations: list[dict], bins: list[dict], signs: list[dict]) -> Optional[dict]:
    """Pixel geometry of the dashboard map; None when nothing has coordinates."""
    points = [c for s in segments for c in s["coords"]]
    points += [(r["lon"], r["lat"]) for r in (*stations, *bins, *signs) if r["lon"] is not None and r["lat"] is not None]
    if not points:
        return None
    proj = Projection(points)
    lines = []
    for s in sorted(segments, key=lambda r: r["level"]):          # warnings drawn on top
        if not s["coords"]:
            continue
        colour, width, dash = STROKE[min(s["level"], 3)]
        lines.append({**s, "points": proj.points(s["coords"]), "colour": colour, "width": width, "dash": dash})

    def placed(rows):
        out = []
        for r in rows:
            if r["lon"] is None or r["lat"] is None:
                continue
            x, y = proj(r["lon"], r["lat"])
            out.append({**r, "x": x, "y": y})
        return out

    signs_xy = placed(signs)
    for s in signs_xy:
        s["triangle"] = f"{s['x']},{round(s['y'] - 9, 1)} {round(s['x'] - 8, 1)},{round(s['y'] + 6, 1)} " \
                        f"{round(s['x'] + 8, 1)},{round(s['y'] + 6, 1)}"
    return {"width": proj.width, "height": proj.height, "segments": lines, "stations": placed(stations),
            "bins": placed(bins), "signs": signs_xy}


def station_series(session, thing: Thing, hours: int = 24, now: Optional[datetime] = None) -> dict:
    """The last ``hours`` of one station: road-surface temperature, air temperature and dew point
    from the datastreams' history (10-minute means; the dew point of the assessments where the
    station reports none) and the level of its assessments."""
    now = now or utcnow()
    start = now - timedelta(hours=hours)
    interval = 600 if hours <= 48 else 3600
    streams = {d.key: d for d in session.exec(select(Datastream).where(Datastream.thing_id == thing.id)).all()}
    assessments = session.exec(select(Assessment).where(Assessment.thing_id == thing.id,
                                                        Assessment.valid_time >= start)
                               .order_by(Assessment.valid_time)).all()
    series = []
    for label, keys, colour, dash in SERIES:
        ds = next((streams[k] for k in keys if k in streams), None)
        points = []
        if ds is not None:
            points = [(aware(p["t"]), p["value"]) for p in
                      history(session, ds, start, now, interval, 10_000)["observations"] if p["value"] is not None]
        if not points and keys[0] == "dew_point":
            points = [(aware(a.valid_time), a.dew_point) for a in assessments if a.dew_point is not None]
        series.append({"label": str(label), "colour": colour, "dash": dash, "points": points})
    levels = [(aware(a.valid_time), a.level) for a in assessments]
    return {"start": start, "end": now, "series": series, "levels": levels}


def load_demo_signs() -> int:
    """Demo: a sign row for each demo sign controller (``hd-sign-*``) on its segment, so that the
    dashboard has signs to show and steer. Idempotent by key; returns how many were added."""
    session = db_session()
    have = set(session.exec(select(Sign.key)).all())
    added = 0
    for t in session.exec(select(Thing).where(Thing.kind == "sign_controller", Thing.key.like("hd-sign-%"))
                          .order_by(Thing.key)).all():
        if t.key in have:
            continue
        session.add(Sign(key=t.key, name=t.name, lat=t.lat, lon=t.lon, road_segment_id=t.road_segment_id,
                         min_level=1))
        added += 1
    session.commit()
    return added
