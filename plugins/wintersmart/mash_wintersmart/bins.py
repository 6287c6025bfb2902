"""Grit bins and salt silos (domain brief §6.3): fill level from the ultrasonic distance per
container shape, median filtering, consumption rate, forecast empty date, low-fill and
re-supply alerts, and refill tour planning on :mod:`.routing.prize`.

The pure functions at the top need no database and are unit-tested against hand-computed
values; :func:`update_containers` (job ``bins`` and the CLI) applies them to the stored
``distance`` observations; :func:`plan_refill_tours` builds, verifies and stores a tour plan.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional, Sequence

from mash_core.api import db_session, get_settings, insert_ignore, publish_event, select

from .models import Datastream, Observation
from .models_bins import Container, ContainerAlert, FillReading, RefillPlan
from .quantities import QUALITY_REJECTED

SLUG = "wintersmart"
#: distances above d_empty × this factor are outside what the sensor can see in the container
RANGE_FACTOR = 1.25


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# -- geometry: height of the salt → volume → fill --------------------------------------------
@dataclass(frozen=True)
class Shape:
    """The inner geometry of a container (all lengths in mm).

    ``height_mm`` is the usable height d_empty − d_full. box: ``length_mm`` × ``width_mm``;
    cylinder: ``diameter_mm``; cone_silo: a cylinder of ``diameter_mm`` on a cone of
    ``cone_height_mm`` narrowing to ``outlet_diameter_mm`` (heights measured from the outlet).
    """

    kind: str
    height_mm: float
    length_mm: Optional[float] = None
    width_mm: Optional[float] = None
    diameter_mm: Optional[float] = None
    cone_height_mm: float = 0.0
    outlet_diameter_mm: float = 0.0

    def volume_m3(self, h_mm: float) -> float:
        """Volume of the salt when its surface is ``h_mm`` above the floor/outlet."""
        h = min(max(h_mm, 0.0), self.height_mm) / 1000.0
        if self.kind == "box":
            if not self.length_mm or not self.width_mm:
                return h  # unknown footprint: 1 m² (linear, fill is still right)
            return self.length_mm / 1000 * self.width_mm / 1000 * h
        radius = (self.diameter_mm or 1000.0) / 2000.0
        if self.kind == "cylinder":
            return math.pi * radius ** 2 * h
        if self.kind == "cone_silo":
            hc = (self.cone_height_mm or 0.0) / 1000.0
            r0 = (self.outlet_diameter_mm or 0.0) / 2000.0
            if hc <= 0:
                return math.pi * radius ** 2 * h
            x = min(h, hc)
            rx = r0 + (radius - r0) * x / hc
            cone = math.pi * x / 3 * (r0 ** 2 + r0 * rx + rx ** 2)  # frustum up to x
            return cone + math.pi * radius ** 2 * max(0.0, h - hc)
        raise ValueError(f"unknown shape {self.kind!r}")

    def full_volume_m3(self) -> float:
        return self.volume_m3(self.height_mm)


def shape_of(c: Container) -> Shape:
    return Shape(kind=c.shape, height_mm=max(c.d_empty_mm - c.d_full_mm, 1e-9), length_mm=c.length_mm,
                 width_mm=c.width_mm, diameter_mm=c.diameter_mm, cone_height_mm=c.cone_height_mm or 0.0,
                 outlet_diameter_mm=c.outlet_diameter_mm or 0.0)


def fill_from_distance(distance_mm: float, d_empty_mm: float, d_full_mm: float, shape: Optional[Shape] = None) -> float:
    """Share of the full volume (0…1) at ``distance_mm`` from the sensor.

    Height of the salt h = d_empty − d, clamped to [0, d_empty − d_full] (brief §6.3:
    fill = clamp((d_empty − d)/(d_empty − d_full), 0, 1) for straight walls); a tapered
    container converts the height to volume first.
    """
    if d_empty_mm <= d_full_mm:
        raise ValueError("d_empty must be greater than d_full")
    height = d_empty_mm - d_full_mm
    h = min(max(d_empty_mm - distance_mm, 0.0), height)
    if shape is None or shape.kind in ("box", "cylinder"):
        return h / height
    return shape.volume_m3(h) / shape.full_volume_m3()


def capacity_kg(c: Container) -> Optional[float]:
    """The given capacity, else full volume × bulk density (None when it cannot be known)."""
    if c.capacity_kg:
        return c.capacity_kg
    s = shape_of(c)
    if s.kind == "box" and not (s.length_mm and s.width_mm):
        return None
    return round(s.full_volume_m3() * (c.bulk_density_kg_m3 or 1200.0), 1)


def median_filter(values: Sequence[float], n: int) -> list[float]:
    """Running median of the last ``n`` values (fewer at the start)."""
    n = max(1, int(n))
    return [statistics.median(values[max(0, i - n + 1):i + 1]) for i in range(len(values))]


def consumption_rate(points: Sequence[tuple[datetime, float]], refill_jump: float) -> Optional[float]:
    """Consumption in units per day (≥ 0) from (time, level) points: Theil–Sen over pairs of
    points within the same refill-free stretch (a rise of more than ``refill_jump`` between
    consecutive points starts a new stretch; refills are ignored, not counted as negative use).
    None with fewer than two points in one stretch.
    """
    pts = sorted(points)
    stretches: list[list[tuple[datetime, float]]] = [[]]
    for i, p in enumerate(pts):
        if i and p[1] - pts[i - 1][1] > refill_jump:
            stretches.append([])
        stretches[-1].append(p)
    slopes = []
    for s in stretches:
        for i in range(len(s)):
            for j in range(i + 1, len(s)):
                dt = (s[j][0] - s[i][0]).total_seconds() / 86400.0
                if dt > 0:
                    slopes.append((s[j][1] - s[i][1]) / dt)
    if not slopes:
        return None
    return max(0.0, -statistics.median(slopes))


def forecast_at(now: datetime, level: float, target: float, rate_per_day: Optional[float]) -> Optional[datetime]:
    """When ``level`` falls to ``target`` at ``rate_per_day`` (now if already there; None
    without consumption)."""
    if level <= target:
        return now
    if not rate_per_day or rate_per_day <= 0:
        return None
    days = (level - target) / rate_per_day
    if days > 3650:
        return None
    return now + timedelta(days=days)


def threshold_pct(c: Container, settings: dict) -> float:
    if c.low_threshold_pct is not None:
        return c.low_threshold_pct
    return settings["silo_resupply_pct"] if c.kind == "silo" else settings["bin_low_fill_pct"]


# -- the database side ------------------------------------------------------------------------
def _distance_streams(session, thing_ids: list[int]) -> dict[tuple[int, str], int]:
    if not thing_ids:
        return {}
    rows = session.exec(select(Datastream.thing_id, Datastream.key, Datastream.id)
                        .where(Datastream.thing_id.in_(thing_ids), Datastream.key.in_(["distance", "tilt"]))).all()
    return {(t, k): i for t, k, i in rows}


def _valid_distances(session, ds_id: int, since: Optional[datetime], d_empty: float, tilted: set) -> list:
    q = select(Observation.phenomenon_time, Observation.value).where(
        Observation.datastream_id == ds_id, Observation.aggregate_s == 0,
        Observation.quality < QUALITY_REJECTED, Observation.value.is_not(None))
    if since is not None:
        q = q.where(Observation.phenomenon_time >= since)
    out = []
    for t, v in session.exec(q.order_by(Observation.phenomenon_time)).all():
        t = _aware(t)
        if 0 < v <= d_empty * RANGE_FACTOR and t not in tilted:
            out.append((t, float(v)))
    return out


def _aware(t: Optional[datetime]) -> Optional[datetime]:
    return t.replace(tzinfo=timezone.utc) if t is not None and t.tzinfo is None else t


def update_containers(session=None, settings: Optional[dict] = None, now: Optional[datetime] = None,
                      container_ids: Optional[Iterable[int]] = None) -> int:
    """Derive fill readings from new distance observations and refresh every container's
    state, consumption, forecasts and alerts. Returns how many readings were added."""
    session = session or db_session()
    settings = settings or get_settings(SLUG)
    now = now or utcnow()
    n = int(settings["fill_median_n"])
    q = select(Container).where(Container.thing_id.is_not(None))
    if container_ids is not None:
        q = q.where(Container.id.in_(list(container_ids)))
    containers = session.exec(q.order_by(Container.id)).all()
    streams = _distance_streams(session, [c.thing_id for c in containers])
    added = 0
    for c in containers:
        ds = streams.get((c.thing_id, "distance"))
        if ds is None:
            continue
        last = _aware(c.reading_at)
        # the job runs every minute: read only what is newer than the container's last reading
        tilted = set()
        if (c.thing_id, "tilt") in streams:
            q = select(Observation.phenomenon_time).where(
                Observation.datastream_id == streams[(c.thing_id, "tilt")], Observation.value >= 1)
            if last is not None:
                q = q.where(Observation.phenomenon_time >= last)
            tilted = {_aware(t) for t in session.exec(q).all()}
        new = [p for p in _valid_distances(session, ds, last, c.d_empty_mm, tilted) if last is None or p[0] > last]
        if new:
            history = []
            if last is not None:  # the n − 1 readings before the new ones, for the median window
                prev = session.exec(select(FillReading.time, FillReading.distance_mm)
                                    .where(FillReading.container_id == c.id)
                                    .order_by(FillReading.time.desc()).limit(n - 1)).all() if n > 1 else []
                history = sorted((_aware(t), d) for t, d in prev)
            series = history + new
            medians = median_filter([d for _, d in series], n)[len(history):]
            shape, cap = shape_of(c), capacity_kg(c)
            rows = []
            for (t, d), m in zip(new, medians):
                f = fill_from_distance(m, c.d_empty_mm, c.d_full_mm, shape)
                rows.append(dict(container_id=c.id, time=t, distance_mm=d, median_mm=m,
                                 height_mm=min(max(c.d_empty_mm - m, 0.0), c.d_empty_mm - c.d_full_mm),
                                 fill=round(f, 5), level_kg=round(f * cap, 2) if cap else None,
                                 n_median=min(n, len(series))))
            added += insert_ignore(FillReading, rows) or 0
            c.reading_at, c.fill, c.level_kg = rows[-1]["time"], rows[-1]["fill"], rows[-1]["level_kg"]
        _refresh_state(session, c, settings, now)
    session.commit()
    return added


def _refresh_state(session, c: Container, settings: dict, now: datetime) -> None:
    if c.fill is None:
        return
    window = now - timedelta(days=settings["consumption_window_days"])
    pts = [(_aware(t), f) for t, f in session.exec(select(FillReading.time, FillReading.fill).where(
        FillReading.container_id == c.id, FillReading.time >= window)).all()]
    rate = consumption_rate(pts, settings["refill_jump_pct"] / 100.0)  # fill per day
    cap = capacity_kg(c)
    c.consumption_kg_per_day = round(rate * cap, 3) if rate is not None and cap else None
    threshold = threshold_pct(c, settings) / 100.0
    ref = _aware(c.reading_at) or now
    c.forecast_low_at = forecast_at(ref, c.fill, threshold, rate)
    c.forecast_empty_at = forecast_at(ref, c.fill, 0.0, rate)
    rearm = threshold + settings["fill_alert_rearm_pct"] / 100.0
    kind = "silo_resupply" if c.kind == "silo" else "bin_low"
    if c.fill < threshold and not c.alert_active:
        c.alert_active = True
        session.add(ContainerAlert(container_id=c.id, kind=kind, created_at=now, reading_at=c.reading_at,
                                   fill=c.fill, threshold=threshold, forecast_empty_at=c.forecast_empty_at))
        session.flush()
        publish_event(f"{SLUG}.container_low", {
            "container_id": c.id, "key": c.key, "kind": kind, "fill": c.fill, "threshold": threshold,
            "level_kg": c.level_kg, "forecast_empty_at": c.forecast_empty_at.isoformat()
            if c.forecast_empty_at else None})
    elif c.alert_active and c.fill >= rearm:
        c.alert_active = False
        for a in session.exec(select(ContainerAlert).where(ContainerAlert.container_id == c.id,
                                                           ContainerAlert.cleared_at.is_(None))).all():
            a.cleared_at = now


def bins_job(now: Optional[datetime] = None) -> int:
    """Job ``bins``: new distance observations → fill readings, state, alerts."""
    return update_containers(now=now)


# -- refill tours -----------------------------------------------------------------------------
class NoSiloAvailable(RuntimeError):
    """No silo holds enough salt to load a refill vehicle."""


def eligible_silos(session, needed_kg: float) -> list[Container]:
    """Silos with a known position whose current level holds at least ``needed_kg``."""
    silos = session.exec(select(Container).where(Container.kind == "silo").order_by(Container.id)).all()
    return [s for s in silos if s.lat is not None and s.lon is not None and s.level_kg is not None
            and s.level_kg >= needed_kg]


def refill_candidates(session, settings: dict) -> list[tuple[Container, bool, int, int]]:
    """(bin, required, demand kg, prize m) of the bins below the optional threshold: below the
    required threshold they must be visited; between the two they may be, with a prize
    proportional to the salt expected to be used before the next tour (brief §6.3)."""
    required_below = settings["bin_low_fill_pct"] / 100.0
    optional_below = settings["refill_optional_pct"] / 100.0
    out = []
    for b in session.exec(select(Container).where(Container.kind == "bin").order_by(Container.id)).all():
        cap = capacity_kg(b)
        if b.fill is None or cap is None or b.lat is None or b.lon is None:
            continue
        demand = int(round(cap - (b.level_kg if b.level_kg is not None else b.fill * cap)))
        if demand <= 0:
            continue
        threshold = (b.low_threshold_pct / 100.0) if b.low_threshold_pct is not None else required_below
        if b.fill < threshold:
            out.append((b, True, demand, 0))
        elif b.fill < optional_below:
            expected = (b.consumption_kg_per_day or 0.0) * settings["refill_interval_days"]
            prize = int(round(max(expected, 1.0) * settings["refill_prize_m_per_kg"]))
            out.append((b, False, demand, prize))
    return out


def plan_refill_tours(vehicle_capacity_kg: Optional[float] = None, num_vehicles: Optional[int] = None,
                      time_limit: float = 5.0, seed: int = 0, session=None, settings: Optional[dict] = None) -> RefillPlan:
    """Plan refill tours from the best silo that holds enough salt; verify and store the plan.

    Distances are road distances over the imported network (:func:`.planning.road_distances`:
    bins and silos snapped to the nearest point of a road segment); a bin or silo farther than
    :data:`.planning.REFILL_SNAP_M` from every segment counts the straight line ×
    :data:`.planning.DETOUR` and is listed in ``params["off_network"]``."""
    import numpy as np

    from .planning import DETOUR, REFILL_SNAP_M, build_network, road_distances
    from .routing.prize import RefillBin, RefillProblem, solve_refill

    session = session or db_session()
    settings = settings or get_settings(SLUG)
    capacity = int(vehicle_capacity_kg or settings["refill_vehicle_capacity_kg"])
    candidates = refill_candidates(session, settings)
    if not candidates:
        raise ValueError("no grit bin needs refilling")
    total_required = sum(d for _, req, d, _ in candidates if req)
    needed = min(capacity, max(total_required, min(d for _, _, d, _ in candidates)))
    silos = eligible_silos(session, needed)
    if not silos:
        raise NoSiloAvailable(f"no silo holds {needed} kg of salt")
    # one distance computation for every silo and bin (Dijkstra from the ends of their segments)
    places = silos + [b for b, *_ in candidates]
    road = road_distances(build_network(session, settings), [(c.lon, c.lat) for c in places])
    k = len(silos)
    best = None
    for s_idx, silo in enumerate(silos):
        rows = [s_idx] + list(range(k, len(places)))
        problem = RefillProblem(bins=[RefillBin(id=b.id, demand=min(d, capacity), required=req, prize=p,
                                                lon=b.lon, lat=b.lat) for b, req, d, p in candidates],
                                capacity=capacity, depot=(silo.lon, silo.lat), num_vehicles=num_vehicles,
                                distances=np.array([[road.matrix[i][j] for j in rows] for i in rows], dtype=np.int64))
        plan = solve_refill(problem, time_limit=time_limit / len(silos), seed=seed)
        if best is None or plan.objective < best[1].objective:
            best = (silo, plan, problem, s_idx)
    silo, plan, problem, s_idx = best
    ids = [b.id for b in problem.bins]
    off = [places[i].id for i in road.off_network if i == s_idx or i >= k]
    row = RefillPlan(
        silo_id=silo.id, solver=plan.solver, vehicle_capacity_kg=capacity, num_vehicles=num_vehicles,
        params={"time_limit_s": time_limit, "required_below_pct": settings["bin_low_fill_pct"],
                "optional_below_pct": settings["refill_optional_pct"], "silos_considered": [s.id for s in silos],
                "distances": "straight_line" if len(off) == len(ids) + 1 else "mixed" if off else "road",
                "off_network": off, "snap_max_m": REFILL_SNAP_M, "detour_factor": DETOUR},
        routes=[{"containers": [ids[i] for i in r.bins], "load_kg": r.load, "distance_m": r.distance}
                for r in plan.routes],
        skipped=[ids[i] for i in plan.skipped], distance_m=plan.distance,
        uncollected_prize=plan.uncollected_prize, runtime_s=round(plan.runtime_s, 3), seed=seed,
        verified=plan.verified)
    session.add(row)
    session.commit()
    return row
