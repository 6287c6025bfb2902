"""Ice risk from the database: gather a station's inputs, run :mod:`.icerisk`, store assessments
per station and per road segment.

Called by the subscription handler after each stored batch (for every station whose engine
inputs changed) and by the job ``icerisk`` every five minutes (for every station, so that levels
fall when data stop and holds expire).

Assessment time: per station (and per segment) the assessment time never goes backwards —
``at = max(observation time, time of the latest assessment)`` — so each assessment follows the
previous one and the hysteresis memory is a simple chain. An assessment identical to the
previous one at the same time (a redelivered message) is not stored again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

import sqlalchemy as sa

from mash_core.api import db_session, get_settings, publish_event, select

from .icerisk import MODEL_VERSION, REASONS, HoldState, Inputs, Result, Thresholds, assess, theil_sen
from .models import Assessment, Datastream, Observation, Thing
from .quantities import QUALITY_REJECTED

SLUG = "wintersmart"
STATION = "road_weather_station"
RST_KEYS = ("rst_1", "rst_2")
INPUT_KEYS = ("rst_1", "rst_2", "t_air", "rh", "dew_point", "freeze_point", "salt_pct", "water_film", "ice_film",
              "friction", "surface_state", "black_ice_signal", "precip_type", "precip_intensity", "wind_speed",
              "cloud_cover")


@dataclass
class Point:
    t: datetime
    value: Optional[float]
    state: Optional[str]
    raw_code: Optional[str]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def thresholds(settings: dict) -> Thresholds:
    return Thresholds.from_settings(settings)


# -- inputs -----------------------------------------------------------------------------------
def build_inputs(series: dict[str, list[Point]], at: datetime, max_age_min: float, window_min: float,
                 gritted_at: Optional[datetime] = None) -> Inputs:
    """The engine's inputs at ``at`` from per-key time series (sorted by time): the latest value
    not older than ``max_age_min``; RST is the colder of ``rst_1``/``rst_2`` and its series
    (``window_min``) feeds the nowcast."""
    oldest = at - timedelta(minutes=max_age_min)

    def latest(key: str) -> Optional[Point]:
        found = None
        for p in series.get(key, ()):
            if p.t > at:
                break
            found = p
        return found if found is not None and found.t >= oldest else None

    inp = Inputs(at=at, gritted_at=gritted_at)
    rst_candidates = [(p.value, key) for key in RST_KEYS if (p := latest(key)) is not None and p.value is not None]
    if rst_candidates:
        inp.rst, rst_key = min(rst_candidates)
        start = at - timedelta(minutes=window_min)
        inp.rst_series = [(p.t, p.value) for p in series[rst_key] if start <= p.t <= at and p.value is not None]
    for key, attr in (("t_air", "t_air"), ("rh", "rh"), ("dew_point", "dew_point"), ("freeze_point", "freeze_point"),
                      ("salt_pct", "salt_pct"), ("water_film", "water_film"), ("ice_film", "ice_film"),
                      ("friction", "friction"), ("precip_intensity", "precip_intensity"),
                      ("wind_speed", "wind_speed"), ("cloud_cover", "cloud_cover")):
        p = latest(key)
        setattr(inp, attr, p.value if p is not None else None)
    p = latest("surface_state")
    if p is not None:
        inp.surface_state, inp.surface_state_raw = p.state, p.raw_code
    p = latest("black_ice_signal")
    inp.black_ice_signal = int(p.value) if p is not None and p.value is not None else None
    p = latest("precip_type")
    inp.precip_type = p.state if p is not None else None
    if inp.water_film is not None:
        start = at - timedelta(minutes=window_min)
        film = [(p.t, p.value) for p in series.get("water_film", ()) if start <= p.t <= at and p.value is not None]
        if len(film) >= 2:
            fit = theil_sen([(t - at).total_seconds() / 3600.0 for t, _ in film], [v for _, v in film])
            inp.water_film_growing = bool(fit and fit[0] > 0)
    return inp


def _row(result: Result, inp: Inputs, at: datetime, thing_id: Optional[int], segment_id: Optional[int],
         rst_key: Optional[str] = None) -> Assessment:
    now = result.nowcast
    inputs = {
        "t_crit_source": result.t_crit_source, "freeze_point": inp.freeze_point, "salt_pct": inp.salt_pct,
        "ice_film_mm": inp.ice_film, "friction": inp.friction, "surface_state": inp.surface_state,
        "surface_state_raw": inp.surface_state_raw, "black_ice_signal": inp.black_ice_signal,
        "precip_type": inp.precip_type, "precip_intensity": inp.precip_intensity, "wind_speed": inp.wind_speed,
        "cloud_cover": inp.cloud_cover, "reported_dew_point": inp.dew_point, "moisture": result.moisture,
        "moisture_expected": result.moisture_expected, "frost": result.frost,
        "water_film_growing": inp.water_film_growing,
        "gritted_at": inp.gritted_at.isoformat() if inp.gritted_at else None,
        "nowcast_points": now.points if now else 0,
        "raw_trend_k_per_h": now.raw_trend_k_per_h if now else None,
    }
    return Assessment(thing_id=thing_id, road_segment_id=segment_id, valid_time=at, issued_at=utcnow(),
                      level=result.level, raw_level=result.raw_level, reasons=list(result.reasons),
                      flags=list(result.flags), rst=inp.rst, t_air=inp.t_air, rh=inp.rh, dew_point=result.dew_point,
                      frost_point=result.frost_point, t_crit=result.t_crit, water_film_mm=inp.water_film,
                      trend_k_per_h=result.trend_k_per_h, nowcast=dict(now.values) if now else {},
                      inputs=inputs, hold=result.hold.to_json(), model_version=MODEL_VERSION)


_COMPARED = ("valid_time", "level", "raw_level", "reasons", "flags", "rst", "t_air", "rh", "t_crit", "water_film_mm",
             "trend_k_per_h", "nowcast", "hold")


def _same(a: Optional[Assessment], b: Assessment) -> bool:
    return a is not None and all(getattr(a, name) == getattr(b, name) for name in _COMPARED) and \
        {k: v for k, v in a.inputs.items()} == {k: v for k, v in b.inputs.items()}


def announce(row: Assessment, previous: Optional[Assessment]) -> None:
    """Publish ``wintersmart.level_changed`` (bridged to MQTT) when the level differs from the
    previous assessment's (a first assessment counts from level 0)."""
    before = previous.level if previous is not None else 0
    if row.level != before:
        publish_event(f"{SLUG}.level_changed", {
            "thing_id": row.thing_id, "road_segment_id": row.road_segment_id, "level": row.level,
            "previous_level": before, "reasons": list(row.reasons), "valid_time": row.valid_time.isoformat()})


# -- stations ---------------------------------------------------------------------------------
def latest_assessments(session, thing_ids: Iterable[int] = (), segment_ids: Iterable[int] = ()) -> dict:
    """The latest assessment of each station (key: thing id) or, for ``segment_ids``, of each
    segment's own assessments (key: segment id) — one query each."""
    out: dict[int, Assessment] = {}
    for ids, column, own in ((list(thing_ids), Assessment.thing_id, False),
                             (list(segment_ids), Assessment.road_segment_id, True)):
        if not ids:
            continue
        scope = [column.in_(ids)] + ([Assessment.thing_id == None] if own else [])  # noqa: E711
        newest = (select(column.label("owner"), sa.func.max(Assessment.valid_time).label("vt"))
                  .where(*scope).group_by(column).subquery())
        rows = session.exec(select(Assessment).join(newest, sa.and_(column == newest.c.owner,
                                                                   Assessment.valid_time == newest.c.vt))
                            .where(*scope)).all()
        for row in sorted(rows, key=lambda r: r.id):   # the same time twice: the later row wins
            out[getattr(row, column.key)] = row
    return out


def latest_assessment(session, thing_id: Optional[int] = None,
                      segment_id: Optional[int] = None) -> Optional[Assessment]:
    if thing_id is not None:
        return latest_assessments(session, thing_ids=[thing_id]).get(thing_id)
    return latest_assessments(session, segment_ids=[segment_id]).get(segment_id)


SERIES_KEYS = frozenset(RST_KEYS) | {"water_film"}   # need the trend window; the others only their latest value


def load_series(session, datastreams: dict[int, tuple[int, str]], start: datetime, end: datetime,
                latest_from: Optional[datetime] = None) -> dict:
    """Valid observations (quality < 2) up to ``end`` of ``datastreams`` (id -> (thing id, key)):
    from ``start`` for RST and water film (trends), from ``latest_from`` (default ``start``) for
    the rest; as {thing id: {key: [Point, …]}} sorted by time — one query per 900 datastreams."""
    out: dict[int, dict[str, list[Point]]] = defaultdict(lambda: defaultdict(list))
    if not datastreams:
        return out
    latest_from = latest_from or start
    ids = list(datastreams)
    for i in range(0, len(ids), 900):
        chunk = ids[i:i + 900]
        trend = [d for d in chunk if datastreams[d][1] in SERIES_KEYS]
        rest = [d for d in chunk if datastreams[d][1] not in SERIES_KEYS]
        window = sa.or_(sa.and_(Observation.datastream_id.in_(trend), Observation.phenomenon_time >= start),
                        sa.and_(Observation.datastream_id.in_(rest), Observation.phenomenon_time >= latest_from))
        rows = session.exec(
            select(Observation.datastream_id, Observation.phenomenon_time, Observation.value, Observation.state,
                   Observation.raw_code)
            .where(window, Observation.phenomenon_time <= end, Observation.quality < QUALITY_REJECTED)).all()
        for ds_id, t, value, state, raw_code in rows:
            thing_id, key = datastreams[ds_id]
            out[thing_id][key].append(Point(t, value, state, raw_code))
    for per_key in out.values():
        for points in per_key.values():
            points.sort(key=lambda p: p.t)
    return out


def last_gritting(session, datastream_id: Optional[int], before: datetime) -> Optional[datetime]:
    if datastream_id is None:
        return None
    return session.exec(select(Observation.phenomenon_time)
                        .where(Observation.datastream_id == datastream_id, Observation.phenomenon_time <= before,
                               Observation.quality < QUALITY_REJECTED)
                        .order_by(Observation.phenomenon_time.desc()).limit(1)).first()


def assess_stations(session, things: list[Thing], due: dict[int, set[datetime]], settings: dict) -> list[Assessment]:
    """Assess each station at each of its ``due`` times (in order; each raised to its last
    assessment's time). Reads are batched: datastreams, latest assessments and the observation
    windows of all stations in a few queries. New rows are added to the session (not committed)."""
    if not things:
        return []
    thr = thresholds(settings)
    max_age = float(settings.get("max_obs_age_min", 30))
    ids = [t.id for t in things]
    streams: dict[int, dict[str, int]] = defaultdict(dict)
    for thing_id, key, ds_id in session.exec(select(Datastream.thing_id, Datastream.key, Datastream.id)
                                             .where(Datastream.thing_id.in_(ids))).all():
        streams[thing_id][key] = ds_id
    previous_of = latest_assessments(session, thing_ids=ids)
    spans = {}
    for thing in things:
        times = sorted(due[thing.id])
        prev = previous_of.get(thing.id)
        spans[thing.id] = (max(times[0], prev.valid_time) if prev else times[0],
                           max(times[-1], prev.valid_time) if prev else times[-1])
    engine_ds = {ds_id: (tid, key) for tid, keys in streams.items() for key, ds_id in keys.items()
                 if key in INPUT_KEYS}
    window, age = timedelta(minutes=thr.nowcast_window_min), timedelta(minutes=max_age)
    first, end = min(s for s, _ in spans.values()), max(e for _, e in spans.values())
    if end - first <= timedelta(hours=2):          # live operation: one read for all stations
        series = load_series(session, engine_ds, first - window, end, first - age)
    else:                                          # a backlog: one read per station
        series = {}
        for thing in things:
            mine = {d: v for d, v in engine_ds.items() if v[0] == thing.id}
            s0, s1 = spans[thing.id]
            series.update(load_series(session, mine, s0 - window, s1, s0 - age))
    created = []
    for thing in things:
        previous = previous_of.get(thing.id)
        mine = series.get(thing.id, {})
        for t in sorted(due[thing.id]):
            at = max(t, previous.valid_time) if previous is not None else t
            inp = build_inputs(mine, at, max_age, thr.nowcast_window_min,
                               last_gritting(session, streams[thing.id].get("gritting"), at))
            result = assess(inp, HoldState.from_json(previous.hold) if previous else None, thr)
            row = _row(result, inp, at, thing.id, thing.road_segment_id)
            if _same(previous, row):
                continue
            session.add(row)
            announce(row, previous)
            created.append(row)
            previous = row
    return created


def assess_station(session, thing: Thing, times: Iterable[datetime], settings: dict) -> list[Assessment]:
    """:func:`assess_stations` for one station."""
    times = set(times)
    return assess_stations(session, [thing], {thing.id: times}, settings) if times else []


# -- road segments ----------------------------------------------------------------------------
def combine(station_rows: list[tuple[Thing, Assessment]], at: datetime, segment_id: int,
            max_age_min: float) -> Assessment:
    """A segment's assessment from its stations' latest ones: the highest level, every reason,
    and the inputs of the worst station (highest level, then coldest road)."""
    fresh = [(th, a) for th, a in station_rows if at - a.valid_time <= timedelta(minutes=max_age_min)]
    flags = []
    if len(fresh) < len(station_rows):
        flags.append("STALE_STATION")
    rows = fresh or station_rows
    if not rows:
        return Assessment(road_segment_id=segment_id, valid_time=at, issued_at=utcnow(), level=0, raw_level=0,
                          reasons=[], flags=["NO_STATION"], nowcast={}, inputs={"stations": []}, hold={},
                          model_version=MODEL_VERSION)
    worst_thing, worst = max(rows, key=lambda r: (r[1].level, -(r[1].rst if r[1].rst is not None else 99.0)))
    codes = {code for _, a in rows for code in a.reasons}
    reasons = sorted((c for c in codes if c in REASONS), key=lambda c: (-REASONS[c], list(REASONS).index(c)))
    if "HOLD_HYSTERESIS" in codes:
        reasons.append("HOLD_HYSTERESIS")
    inputs = dict(worst.inputs)
    inputs["stations"] = [{"thing_id": th.id, "key": th.key, "level": a.level,
                           "valid_time": a.valid_time.isoformat()} for th, a in station_rows]
    inputs["worst_thing_id"] = worst_thing.id
    return Assessment(road_segment_id=segment_id, valid_time=at, issued_at=utcnow(),
                      level=max(a.level for _, a in rows), raw_level=max(a.raw_level for _, a in rows),
                      reasons=reasons, flags=flags + [f for f in worst.flags if f not in flags],
                      rst=worst.rst, t_air=worst.t_air, rh=worst.rh, dew_point=worst.dew_point,
                      frost_point=worst.frost_point, t_crit=worst.t_crit, water_film_mm=worst.water_film_mm,
                      trend_k_per_h=worst.trend_k_per_h, nowcast=dict(worst.nowcast), inputs=inputs, hold={},
                      model_version=MODEL_VERSION)


def assess_segments(session, due: dict[int, datetime], settings: dict) -> list[Assessment]:
    """Assess road segments (id -> time) from their stations' latest assessments."""
    if not due:
        return []
    stations: dict[int, list[Thing]] = defaultdict(list)
    for th in session.exec(select(Thing).where(Thing.road_segment_id.in_(list(due)), Thing.kind == STATION)).all():
        stations[th.road_segment_id].append(th)
    latest = latest_assessments(session, thing_ids=[th.id for ths in stations.values() for th in ths])
    previous_of = latest_assessments(session, segment_ids=list(due))
    created = []
    for segment_id, at in due.items():
        previous = previous_of.get(segment_id)
        if previous is not None:
            at = max(at, previous.valid_time)
        members = [(th, latest[th.id]) for th in stations.get(segment_id, []) if th.id in latest]
        row = combine(members, at, segment_id, float(settings.get("max_obs_age_min", 30)))
        if _same(previous, row):
            continue
        session.add(row)
        announce(row, previous)
        created.append(row)
    return created


def assess_segment(session, segment_id: int, at: datetime, settings: dict) -> Optional[Assessment]:
    rows = assess_segments(session, {segment_id: at}, settings)
    return rows[0] if rows else None


# -- entry points -----------------------------------------------------------------------------
def assess_things(session, due: dict[int, set[datetime]], settings: dict) -> list[Assessment]:
    """Assess the road-weather stations among ``due`` (thing id -> observation times) and then
    their road segments; the caller commits."""
    if not due:
        return []
    things = session.exec(select(Thing).where(Thing.id.in_(list(due)), Thing.kind == STATION)
                          .order_by(Thing.id)).all()
    created = assess_stations(session, list(things), due, settings)
    segments: dict[int, datetime] = {}
    for thing in things:
        if thing.road_segment_id is not None:
            at = max(due[thing.id])
            segments[thing.road_segment_id] = max(at, segments.get(thing.road_segment_id, at))
    if segments:
        session.flush()
        created += assess_segments(session, segments, settings)
    return created


def assess_all(now: Optional[datetime] = None) -> int:
    """Job ``icerisk``: every road-weather station and every segment with stations, now."""
    session = db_session()
    settings = get_settings(SLUG)
    now = now or utcnow()
    stations = session.exec(select(Thing.id, Thing.road_segment_id).where(Thing.kind == STATION)).all()
    created = assess_things(session, {i: {now} for i, _ in stations}, settings)
    # segments whose stations did not change still need their own time to move on
    done = {a.road_segment_id for a in created if a.thing_id is None}
    rest = sorted({s for _, s in stations if s is not None} - done)
    created += assess_segments(session, {s: now for s in rest}, settings)
    session.commit()
    return len(created)
