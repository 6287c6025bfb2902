"""Gritting routes for a municipality's road network (capacitated arc routing, CARP).

How the instance is built from the database (the assumptions are deliberate and documented here
and in the README):

* **Graph.** Vertices are the segments' end nodes (``from_node``/``to_node``, or the end points of
  the geometry); edges are the road segments, undirected (one-way streets and a fixed gritting
  direction are not modelled yet), with the cost ``length_m`` rounded to whole metres (from the
  geometry when ``length_m`` is missing). Segments without nodes and geometry are left out.
* **Connectors.** An imported extract is often not connected (ways end near, not at, each other;
  side streets are missing). End nodes closer than :data:`SNAP_M` are merged; the remaining
  components are joined by deadheading-only edges of crow-fly length × :data:`DETOUR` between
  their closest nodes (a minimum spanning tree over the components).
* **Depot.** The salt silo the vehicles load at is its own vertex, joined to the nearest network
  node by such a connector. Only silos with a position and a current level of at least the whole
  plan's salt (the sum of the demands) are used — a vehicle reloads there between its trips; with
  several, each is tried and the cheapest plan kept. None: :class:`NoSiloAvailable`.
* **Required segments.** ``priority_class ≤ gritting_max_priority_class`` or the segment's current
  ice-risk level (its newest assessment of the last :data:`CURRENT_WINDOW`) at least
  ``gritting_min_level``.
* **Demand.** ``salt_kg = spread_rate_g_m2 · length_m · width_m / 1000`` (domain brief §9),
  rounded up to whole kg; ``width_m`` of the segment, or the setting ``gritting_default_width_m``.
* **Vehicles and trips.** The solver minimises the driven distance with the vehicle capacity per
  trip and no limit on the number of trips (a trip ends at the silo, where the vehicle reloads);
  the trips are then given to the ``gritting_vehicles`` vehicles, longest first to the vehicle
  with the least distance so far.

Every plan is verified independently (:func:`~.routing.verify.verify_carp_plan`) before it is
stored in ``wintersmart_gritting_plan``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional

from mash_core.api import _, db_session, get_settings, select

from .models import Assessment, RoadSegment
from .models_bins import Container
from .models_plans import GrittingPlan
from .routing import (CarpInstance, CarpPlan, CarpRoute, Edge, NoFeasiblePlan, Service, carp_plan_geojson,
                      solve_carp, verify_carp_plan)

SLUG = "wintersmart"
#: end nodes closer than this are one junction (metres)
SNAP_M = 25.0
#: deadheading over a connector costs the crow-fly distance times this
DETOUR = 1.3
#: an assessment older than this is no longer the segment's current level
CURRENT_WINDOW = timedelta(hours=3)


class PlanningError(ValueError):
    """No plan can be made (no required segment, a segment needing more salt than a vehicle holds …)."""


class NoSiloAvailable(PlanningError):
    """No silo with a known position holds enough salt for the plan."""


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    (lon1, lat1), (lon2, lat2) = a, b
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


@dataclass
class Network:
    """The planning graph of a municipality, before a depot is chosen.

    ``coords[v]`` is vertex ``v``'s (lon, lat); ``edges`` are ``(u, v, cost_m, demand_kg, segment_id)``
    with ``segment_id`` None for a connector.
    """

    coords: list[tuple[float, float]]
    edges: list[tuple[int, int, int, int, Optional[int]]]
    names: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)  # segments without nodes or geometry
    required_reasons: dict[int, str] = field(default_factory=dict)  # segment id → priority | level

    @property
    def total_demand(self) -> int:
        return sum(e[3] for e in self.edges)

    @property
    def required_segments(self) -> list[int]:
        return [e[4] for e in self.edges if e[3] > 0]


def _coords_of(seg: RoadSegment) -> Optional[list]:
    import json

    if not seg.geometry:
        return None
    try:
        coords = json.loads(seg.geometry)["coordinates"]
    except (ValueError, KeyError, TypeError):
        return None
    return coords if isinstance(coords, list) and len(coords) >= 2 else None


def current_levels(session, now: Optional[datetime] = None) -> dict[int, int]:
    """Road segment id → level of its newest assessment within :data:`CURRENT_WINDOW`."""
    now = now or datetime.now(timezone.utc)
    rows = session.exec(select(Assessment).where(Assessment.road_segment_id != None,  # noqa: E711
                                                 Assessment.thing_id == None,  # noqa: E711
                                                 Assessment.valid_time >= now - CURRENT_WINDOW)
                        .order_by(Assessment.valid_time, Assessment.id)).all()
    levels: dict[int, int] = {}
    for a in rows:
        levels[a.road_segment_id] = a.level  # the newest wins
    return levels


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[rb] = ra
        return True


def build_network(session, settings: dict, now: Optional[datetime] = None) -> Network:
    """The planning graph with demands of the required segments (see the module docstring)."""
    from .network import node_id

    levels = current_levels(session, now)
    max_class = settings["gritting_max_priority_class"]
    min_level = settings["gritting_min_level"]
    rate = settings["gritting_spread_rate_g_m2"]
    default_width = settings["gritting_default_width_m"]

    raw_nodes: dict[int, tuple[float, float]] = {}
    raw_edges = []
    net = Network(coords=[], edges=[])
    for seg in session.exec(select(RoadSegment).order_by(RoadSegment.id)).all():
        coords = _coords_of(seg)
        a, b = seg.from_node, seg.to_node
        if coords is None:
            net.skipped.append(seg.id)  # no position: cannot be drawn, exported or connected
            continue
        if a is None or b is None:
            a, b = node_id(*coords[0][:2]), node_id(*coords[-1][:2])
        raw_nodes.setdefault(a, tuple(coords[0][:2]))
        raw_nodes.setdefault(b, tuple(coords[-1][:2]))
        length = seg.length_m if seg.length_m is not None else sum(
            haversine_m(tuple(p[:2]), tuple(q[:2])) for p, q in zip(coords, coords[1:]))
        required = None
        if seg.priority_class <= max_class:
            required = "priority"
        elif levels.get(seg.id, 0) >= min_level:
            required = "level"
        demand = 0
        if required:
            width = seg.width_m if seg.width_m else default_width
            demand = max(1, math.ceil(rate * length * width / 1000.0))
            net.required_reasons[seg.id] = required
        raw_edges.append((a, b, max(1, round(length)), demand, seg.id))
        net.names[seg.id] = seg.name

    # merge end nodes closer than SNAP_M (one junction), then number the vertices
    keys = list(raw_nodes)
    uf = _UnionFind(len(keys))
    for i in range(len(keys)):
        for j in range(i + 1, len(keys)):
            if haversine_m(raw_nodes[keys[i]], raw_nodes[keys[j]]) <= SNAP_M:
                uf.union(i, j)
    vertex_of_root: dict[int, int] = {}
    vertex: dict[int, int] = {}
    for i, k in enumerate(keys):
        r = uf.find(i)
        if r not in vertex_of_root:
            vertex_of_root[r] = len(net.coords)
            net.coords.append(raw_nodes[keys[r]])
        vertex[k] = vertex_of_root[r]
    net.edges = [(vertex[a], vertex[b], cost, demand, sid) for a, b, cost, demand, sid in raw_edges]

    # join the components by connectors between their closest vertices (Kruskal over all pairs)
    n = len(net.coords)
    comp = _UnionFind(n)
    for u, v, *_ in net.edges:
        comp.union(u, v)
    if len({comp.find(v) for v in range(n)}) > 1:
        pairs = sorted((haversine_m(net.coords[i], net.coords[j]), i, j)
                       for i in range(n) for j in range(i + 1, n) if comp.find(i) != comp.find(j))
        for d, i, j in pairs:
            if comp.union(i, j):
                net.edges.append((i, j, max(1, round(d * DETOUR)), 0, None))
    return net


def instance_for(net: Network, depot: tuple[float, float], capacity: int, name: str = "gritting",
                 n_vehicles: Optional[int] = None) -> CarpInstance:
    """The CARP instance with the silo at ``depot`` (lon, lat) as an extra vertex."""
    if not net.coords:
        raise PlanningError("the road network has no segments with a position")
    d = len(net.coords)
    nearest = min(range(d), key=lambda v: haversine_m(depot, net.coords[v]))
    edges = net.edges + [(d, nearest, max(1, round(haversine_m(depot, net.coords[nearest]) * DETOUR)), 0, None)]
    too_big = [sid for _, _, _, dem, sid in edges if dem > capacity]
    if too_big:
        raise PlanningError(f"segment(s) {too_big} need more salt than a vehicle holds ({capacity} kg)")
    coords = {i: c for i, c in enumerate(net.coords)} | {d: depot}
    return CarpInstance(name=name, n_vertices=d + 1, capacity=capacity, depot=d, n_vehicles=n_vehicles,
                        edges=[Edge(index=i, u=u, v=v, cost=c, demand=dem, name=str(sid or ""))
                               for i, (u, v, c, dem, sid) in enumerate(edges)],
                        coords=coords)


def eligible_silos(session, needed_kg: float) -> list[Container]:
    """Silos with a position whose current level holds at least ``needed_kg``."""
    silos = session.exec(select(Container).where(Container.kind == "silo").order_by(Container.id)).all()
    return [s for s in silos if s.lat is not None and s.lon is not None and s.level_kg is not None
            and s.level_kg >= needed_kg]


def assign_vehicles(routes: list[CarpRoute], n_vehicles: int) -> list[tuple[int, int]]:
    """(vehicle, trip) per route, both from 1: longest trip first to the least-loaded vehicle."""
    busy = [0] * max(1, n_vehicles)
    trips = [0] * len(busy)
    out: list[tuple[int, int]] = [(0, 0)] * len(routes)
    for idx in sorted(range(len(routes)), key=lambda i: -routes[i].cost):
        v = min(range(len(busy)), key=lambda k: (busy[k], k))
        busy[v] += routes[idx].cost
        trips[v] += 1
        out[idx] = (v + 1, trips[v])
    return out


def plan_gritting(time_limit: Optional[float] = None, vehicles: Optional[int] = None, *, seed: int = 0,
                  progress: Optional[Callable[[float, int], None]] = None, session=None,
                  settings: Optional[dict] = None, now: Optional[datetime] = None) -> GrittingPlan:
    """Build the instance, solve it within ``time_limit`` seconds, verify and store the plan."""
    session = session or db_session()
    settings = settings or get_settings(SLUG)
    time_limit = float(time_limit or settings["gritting_time_limit_s"])
    n_vehicles = int(vehicles or settings["gritting_vehicles"])
    capacity = int(settings["gritting_vehicle_capacity_kg"])
    net = build_network(session, settings, now)
    if not net.required_segments:
        raise PlanningError("no road segment needs gritting")
    needed = net.total_demand
    silos = eligible_silos(session, needed)
    if not silos:
        raise NoSiloAvailable(f"no silo holds the {needed} kg of salt the plan needs")
    best: Optional[tuple[Container, CarpInstance, CarpPlan]] = None
    for silo in silos:
        inst = instance_for(net, (silo.lon, silo.lat), capacity, name=f"silo-{silo.id}", n_vehicles=n_vehicles)
        try:
            plan = solve_carp(inst, time_limit=time_limit / len(silos), seed=seed, progress=progress)
        except NoFeasiblePlan:
            continue
        if best is None or plan.cost < best[2].cost:
            best = (silo, inst, plan)
    if best is None:
        raise PlanningError("no feasible plan found")
    silo, inst, plan = best
    verify_carp_plan(inst, plan)  # independent of the solver's own check; raises on any violation
    assignment = assign_vehicles(plan.routes, n_vehicles)
    routes = []
    for route, (vehicle, trip) in zip(plan.routes, assignment):
        routes.append({"vehicle": vehicle, "trip": trip, "load_kg": route.load, "cost_m": route.cost,
                       "services": [[s.edge, s.tail, s.head] for s in route.services],
                       "segments": [int(inst.edges[s.edge].name) for s in route.services]})
    routes.sort(key=lambda r: (r["vehicle"], r["trip"]))
    row = GrittingPlan(
        silo_id=silo.id, solver=plan.solver, cost_m=plan.cost, salt_kg=float(needed), routes=routes,
        runtime_s=round(plan.runtime_s, 3), verified=True,
        network={"coords": [list(inst.coords[v]) for v in range(inst.n_vertices)],
                 "edges": [[e.u, e.v, e.cost, e.demand, int(e.name) if e.name else None] for e in inst.edges],
                 "depot": inst.depot, "capacity": inst.capacity},
        params={"time_limit_s": time_limit, "vehicles": n_vehicles, "vehicle_capacity_kg": capacity,
                "max_priority_class": settings["gritting_max_priority_class"],
                "min_level": settings["gritting_min_level"],
                "spread_rate_g_m2": settings["gritting_spread_rate_g_m2"],
                "default_width_m": settings["gritting_default_width_m"],
                "required": {str(k): v for k, v in net.required_reasons.items()},
                "skipped_segments": net.skipped, "silos_considered": [s.id for s in silos], "seed": seed,
                "trips": len(routes)})
    session.add(row)
    session.commit()
    return row


# -- stored plans back into routing objects (export, map) ----------------------------------------
def stored_instance(row: GrittingPlan) -> CarpInstance:
    net = row.network
    return CarpInstance(name=f"plan-{row.id}", n_vertices=len(net["coords"]), capacity=net["capacity"],
                        depot=net["depot"],
                        edges=[Edge(index=i, u=u, v=v, cost=c, demand=d, name=str(sid or ""))
                               for i, (u, v, c, d, sid) in enumerate(net["edges"])],
                        coords={i: tuple(c) for i, c in enumerate(net["coords"])})


def stored_plan(row: GrittingPlan, inst: CarpInstance) -> CarpPlan:
    routes = [CarpRoute(services=[Service(*s) for s in r["services"]], load=r["load_kg"], cost=r["cost_m"],
                        start=inst.depot, end=inst.depot) for r in row.routes]
    return CarpPlan(instance=inst.name, routes=routes, cost=row.cost_m, solver=row.solver, verified=row.verified)


def plan_geojson(row: GrittingPlan) -> dict:
    """GeoJSON of a stored plan; features carry ``vehicle``/``trip`` from 1 and the segment id."""
    inst = stored_instance(row)
    data = carp_plan_geojson(inst, stored_plan(row, inst))
    for f in data["features"]:
        p = f["properties"]
        route = row.routes[p["vehicle"]]
        p["route"] = p["vehicle"]
        p["vehicle"], p["trip"] = route["vehicle"], route["trip"]
        if p["kind"] == "service":
            p["segment_id"] = int(inst.edges[p["edge"]].name)
    data["properties"].update({"plan_id": row.id, "created_at": row.created_at.isoformat(),
                               "silo_id": row.silo_id, "salt_kg": row.salt_kg})
    return data


def plan_gpx(row: GrittingPlan) -> str:
    """GPX 1.1 of a stored plan, one track per trip (the full walk, from the silo back to it)."""
    from .routing.export import _gpx, route_walk

    inst = stored_instance(row)
    plan = stored_plan(row, inst)
    c = inst.coords
    tracks = []
    for r, route in zip(row.routes, plan.routes):
        pts = [c[route.start]] + [c[b] for _, _, b, _ in route_walk(inst, route)]
        tracks.append((_("Fahrzeug %(vehicle)d, Tour %(trip)d", vehicle=r["vehicle"], trip=r["trip"]), pts))
    return _gpx(tracks, _("Streuplan %(id)d", id=row.id))
