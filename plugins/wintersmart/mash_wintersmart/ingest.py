"""The subscription handler: store a batch of validated observation messages idempotently, apply
the cross-stream plausibility rules, then assess the stations whose inputs changed.

Per batch: things and datastreams are looked up (and created on first sight — things in a
savepoint, datastreams with ``insert_ignore`` — so that a concurrent creation is harmless),
observations are inserted with
``insert_ignore`` on the unique (datastream, phenomenon time) — a redelivered message is
skipped — and committed; then the ice-risk engine runs for every road-weather station of the
batch (:func:`mash_wintersmart.assess.assess_things`) and its result is committed too.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone

from sqlalchemy.exc import IntegrityError

from mash_core.api import Received, db_session, get_settings, insert_ignore, select

from .assess import SLUG, assess_things
from .models import Datastream, Observation, Thing
from .quantities import ENGINE_KEYS, FROZEN_STATES, QUALITY_REJECTED, QUANTITIES, WET_STATES

#: the kind of a thing created on first sight, by the subscription that saw it
DEFAULT_KIND = "road_weather_station"


def _things(session, batch: list[Received]) -> dict[str, Thing]:
    wanted: dict[str, dict] = {}
    for r in batch:
        d = r.data
        wanted.setdefault(d["thing"], d)
    found = {t.key: t for t in session.exec(select(Thing).where(Thing.key.in_(list(wanted)))).all()}
    missing = [k for k in wanted if k not in found]
    for key in missing:
        # a savepoint per new thing (rare): a concurrent creation of the same key is harmless.
        # (Not insert_ignore: its PostgreSQL fast path cannot bind the JSON ``properties``.)
        d = wanted[key]
        try:
            with session.begin_nested():
                session.add(Thing(key=key, kind=d.get("kind") or DEFAULT_KIND, name=d.get("name") or key,
                                  provider=d.get("provider") or "mqtt", properties=d.get("properties") or {}))
        except IntegrityError:
            pass
    if missing:
        found.update({t.key: t for t in session.exec(select(Thing).where(Thing.key.in_(missing))).all()})
    return found


def _datastreams(session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    thing_ids = sorted({t for t, _ in pairs})

    def load():
        return {(t, k): i for t, k, i in session.exec(select(Datastream.thing_id, Datastream.key, Datastream.id)
                                                      .where(Datastream.thing_id.in_(thing_ids))).all()}
    found = load()
    missing = [p for p in pairs if p not in found]
    if missing:
        insert_ignore(Datastream, [dict(thing_id=t, key=k, observed_property=QUANTITIES[k].observed_property,
                                        unit=QUANTITIES[k].unit) for t, k in sorted(missing)])
        found = load()
    return found


def _latest_air(session, datastream_id: int, at: datetime, max_age_min: float):
    return session.exec(select(Observation.value)
                        .where(Observation.datastream_id == datastream_id, Observation.phenomenon_time <= at,
                               Observation.phenomenon_time >= at - timedelta(minutes=max_age_min),
                               Observation.quality < QUALITY_REJECTED)
                        .order_by(Observation.phenomenon_time.desc()).limit(1)).first()


def store_observations(batch: list[Received]) -> None:
    """Handler of the subscriptions ``obs/+``, ``obs/+/+`` and ``ttn/+/devices/+/up``."""
    session = db_session()
    settings = get_settings(SLUG)
    frozen_max, wet_min = settings["frozen_state_max_air_c"], settings["wet_state_min_air_c"]
    max_age = settings["max_obs_age_min"]
    things = _things(session, batch)
    streams = _datastreams(session, {(things[r.data["thing"]].id, o.key) for r in batch for o in r.data["obs"]})
    # air temperatures of this batch, for the state checks (thing id -> [(t, °C)])
    air_in_batch: dict[int, list] = defaultdict(list)
    for r in batch:
        for o in r.data["obs"]:
            if o.key == "t_air" and o.quality < QUALITY_REJECTED:
                air_in_batch[things[r.data["thing"]].id].append((r.data["t"], o.value))

    rows, due = [], defaultdict(set)
    seen: dict[int, datetime] = {}
    for r in batch:
        thing = things[r.data["thing"]]
        t = r.data["t"]
        received = datetime.fromtimestamp(r.received_at, tz=timezone.utc)
        for o in r.data["obs"]:
            quality, flags = o.quality, list(o.flags)
            if o.key == "surface_state" and o.state in (FROZEN_STATES | WET_STATES):
                air = _air_at(session, thing.id, t, air_in_batch, streams, max_age)
                # Pikalert: frozen states with warm air and wet states with freezing air are discarded
                if air is not None and o.state in FROZEN_STATES and air > frozen_max:
                    quality, flags = QUALITY_REJECTED, flags + ["FROZEN_STATE_WARM_AIR"]
                elif air is not None and o.state in WET_STATES and air <= wet_min:
                    quality, flags = QUALITY_REJECTED, flags + ["WET_STATE_FREEZING_AIR"]
            rows.append(dict(datastream_id=streams[(thing.id, o.key)], phenomenon_time=t, result_time=received,
                             value=o.value, value_min=None, value_max=None, n_values=1, aggregate_s=0,
                             state=o.state, raw_code=o.raw_code, quality=quality,
                             flags=",".join(flags)[:200] or None))
            if o.key in ENGINE_KEYS:
                due[thing.id].add(t)
        seen[thing.id] = max(t, seen.get(thing.id, t))
    insert_ignore(Observation, rows)
    for thing in things.values():
        if thing.id in seen and (thing.last_seen_at is None or thing.last_seen_at < seen[thing.id]):
            thing.last_seen_at = seen[thing.id]
    session.commit()
    if due:
        assess_things(session, due, settings)
        session.commit()


def _air_at(session, thing_id: int, t: datetime, air_in_batch: dict, streams: dict, max_age: float):
    """Air temperature at ``t``: from the same message or batch, else the latest stored one."""
    candidates = [(ta, v) for ta, v in air_in_batch.get(thing_id, ()) if ta <= t
                  and t - ta <= timedelta(minutes=max_age)]
    if candidates:
        return max(candidates)[1]
    ds = streams.get((thing_id, "t_air"))
    if ds is None:
        ds = session.exec(select(Datastream.id).where(Datastream.thing_id == thing_id,
                                                      Datastream.key == "t_air")).first()
    return _latest_air(session, ds, t, max_age) if ds is not None else None
