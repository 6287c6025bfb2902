"""Gritting routes for a municipality's road network (capacitated arc routing, CARP).

How the instance is built from the database (the assumptions are deliberate and documented here
and in the README):

* **Graph.** Vertices are the segments' end nodes (``from_node``/``to_node``, or the end points of
  the geometry); edges are the road segments, with the cost ``length_m`` rounded to whole metres
  (from the geometry when ``length_m`` is missing). Segments without nodes and geometry are left
  out. The graph is *mixed*: a segment with ``oneway`` (the import stores the travel direction,
  ``from_node`` → ``to_node``, also for OSM ``oneway=-1``) is an arc — vehicles drive and grit it
  only in that direction, deadheading follows the one-way streets; the others are two-way.
* **Reachability.** With one-way streets, every required segment must be reachable from the silo
  and the silo from it again; otherwise planning stops with :class:`UnreachableSegmentsError`
  naming the segments (typically a one-way street cut off at the extract's border: fix its
  ``oneway`` tag or lower its priority).
* **Connectors.** An imported extract is often not connected (ways end near, not at, each other;
  side streets are missing). End nodes closer than :data:`SNAP_M` are merged; the remaining
  components are joined by deadheading-only edges of crow-fly length × :data:`DETOUR` between
  their closest nodes (a minimum spanning tree over the components, found Borůvka-style with a
  grid index, so that a city extract of tens of thousands of nodes is not compared pair by pair).
* **Size.** A city extract has tens of thousands of vertices: above
  :data:`.routing.instance.DENSE_SP_MAX_VERTICES` the instance keeps shortest distances only to
  its key vertices (the required segments' ends and the silo, by Dijkstra), not an all-pairs
  matrix — the solver needs no others.
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

**Road distances for refill tours** (:func:`road_distances`, used by
:func:`.bins.plan_refill_tours`): each bin and silo is snapped to the nearest point of a road
segment of this graph (:class:`EdgeSnapper`) — not just to the nearest vertex: the demo's and
many hand-made segments are a kilometre long, and a bin beside such a road would seem hundreds of
metres from the network. The distance between two of them is the straight access leg + the way
along the segment to one of its end nodes + the shortest path between end nodes (Dijkstra from
each, :func:`.routing.prize.shortest_paths`, from the stops' segment ends only) + the
way along the other segment + its access leg. One-way streets are obeyed (as for the gritting
routes): the Dijkstra runs on the directed graph, a stop on a one-way segment is left towards its
end and reached from its start, and the matrix is asymmetric then. A bin or silo farther than
:data:`REFILL_SNAP_M` from every segment is off the network: its distances are the straight line ×
:data:`DETOUR`, and the plan reports it.

**Automatic plans** (job ``autoplan``, every minute): a new plan when the newest is older than the
setting ``gritting_auto_plan_min`` — or, with ``demo_simulator`` on and that setting 0, than
:data:`DEMO_PLAN_MIN`. Errors (nothing to grit, no silo with salt) are logged, not raised.
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
from .routing.instance import UnreachableSegments

SLUG = "wintersmart"
#: end nodes closer than this are one junction (metres)
SNAP_M = 25.0
#: deadheading over a connector costs the crow-fly distance times this
DETOUR = 1.3
#: an assessment older than this is no longer the segment's current level
CURRENT_WINDOW = timedelta(hours=3)
#: refill tours: a bin or silo farther than this from every road segment is off the network
REFILL_SNAP_M = 200.0
#: demo (setting ``demo_simulator``): plan gritting routes this often (minutes) unless set otherwise
DEMO_PLAN_MIN = 5
#: demo: search time of an automatic plan (seconds), so that stopping the demo never waits long
DEMO_PLAN_TIME_S = 3.0


class PlanningError(ValueError):
    """No plan can be made (no required segment, a segment needing more salt than a vehicle holds …)."""


class NoSiloAvailable(PlanningError):
    """No silo with a known position holds enough salt for the plan."""


class UnreachableSegmentsError(PlanningError):
    """Required segments a vehicle from the silo cannot serve because of one-way streets (the silo
    cannot reach them, or there is no way back); ``segments`` lists their ids."""

    def __init__(self, message: str, segments: list[int]):
        super().__init__(message)
        self.segments = segments


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
    with ``segment_id`` None for a connector; ``oneway`` holds the ids of the one-way segments
    (driven only from ``u`` to ``v``).
    """

    coords: list[tuple[float, float]]
    edges: list[tuple[int, int, int, int, Optional[int]]]
    names: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)  # segments without nodes or geometry
    required_reasons: dict[int, str] = field(default_factory=dict)  # segment id → priority | level
    geometry: dict[int, list] = field(default_factory=dict)  # segment id → its polyline, from u to v
    oneway: set[int] = field(default_factory=set)  # ids of the one-way segments (u → v only)

    @property
    def total_demand(self) -> int:
        return sum(e[3] for e in self.edges)

    @property
    def required_segments(self) -> list[int]:
        return [e[4] for e in self.edges if e[3] > 0]

    def is_oneway(self, segment_id: Optional[int]) -> bool:
        return segment_id is not None and segment_id in self.oneway


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
        net.geometry[seg.id] = [tuple(p[:2]) for p in coords]
        if seg.oneway:
            net.oneway.add(seg.id)

    # merge end nodes closer than SNAP_M (one junction), then number the vertices
    keys = list(raw_nodes)
    points = [raw_nodes[k] for k in keys]
    uf = _UnionFind(len(keys))
    grid = Grid(points, SNAP_M)
    for i in range(len(keys)):
        for j in sorted(grid.within(points[i], SNAP_M)):
            if j > i:
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
    net.edges += [(i, j, max(1, round(d * DETOUR)), 0, None) for d, i, j in _connectors(net)]
    return net


class Grid:
    """Points (lon, lat) in square cells of about ``cell_m`` metres (equirectangular around their
    mean latitude — metre-accurate within a city): the points near a place without comparing all."""

    def __init__(self, points: list[tuple[float, float]], cell_m: float):
        self.points = points
        self.cell_m = float(cell_m)
        lat0 = sum(p[1] for p in points) / len(points) if points else 0.0
        self.kx = 111_320.0 * math.cos(math.radians(lat0)) / self.cell_m  # cells per degree of longitude
        self.ky = 110_574.0 / self.cell_m
        self.cells: dict[tuple[int, int], list[int]] = {}
        for i, p in enumerate(points):
            self.cells.setdefault(self.cell(p), []).append(i)
        xs = [c[0] for c in self.cells] or [0]
        ys = [c[1] for c in self.cells] or [0]
        self.corners = [(min(xs), min(ys)), (min(xs), max(ys)), (max(xs), min(ys)), (max(xs), max(ys))]

    def cell(self, p: tuple[float, float]) -> tuple[int, int]:
        return math.floor(p[0] * self.kx), math.floor(p[1] * self.ky)

    def _ring(self, c: tuple[int, int], r: int):
        cx, cy = c
        if r == 0:
            yield from self.cells.get(c, ())
            return
        for x in range(cx - r, cx + r + 1):
            yield from self.cells.get((x, cy - r), ())
            yield from self.cells.get((x, cy + r), ())
        for y in range(cy - r + 1, cy + r):
            yield from self.cells.get((cx - r, y), ())
            yield from self.cells.get((cx + r, y), ())

    def within(self, p: tuple[float, float], radius_m: float) -> list[int]:
        """Indices of the points at most ``radius_m`` (haversine) from ``p``."""
        c = self.cell(p)
        rings = math.ceil(radius_m * 1.01 / self.cell_m) + 1
        return [i for r in range(rings + 1) for i in self._ring(c, r)
                if haversine_m(p, self.points[i]) <= radius_m]

    def nearest(self, p: tuple[float, float], accept: Callable[[int], bool] = lambda i: True,
                max_m: float = math.inf) -> Optional[tuple[float, int]]:
        """(distance m, index) of the nearest accepted point within ``max_m``, or None."""
        if not self.cells:
            return None
        c = self.cell(p)
        last = max(max(abs(x - c[0]), abs(y - c[1])) for x, y in self.corners) + 1
        best: Optional[tuple[float, int]] = None
        for r in range(last + 1):
            # a point outside rings 0…r−1 is at least r − 1 cells away (1 % for the projection)
            if (r - 1) * self.cell_m * 0.99 > min(max_m, best[0] if best else math.inf):
                break
            for i in self._ring(c, r):
                if accept(i):
                    d = haversine_m(p, self.points[i])
                    if d <= max_m and (best is None or (d, i) < best):
                        best = (d, i)
        return best


def _connectors(net: "Network") -> list[tuple[float, int, int]]:
    """(crow-fly metres, u, v) joining the graph's components: a minimum spanning tree over them.

    Borůvka: each round, every component but the largest gets its cheapest link to another one
    (the nearest vertex outside it, found on a grid); the links are added in order of length
    where they still join two components. Equal to Kruskal over all vertex pairs (for distinct
    distances), without the quadratic number of pairs."""
    n = len(net.coords)
    comp = _UnionFind(n)
    for u, v, *_rest in net.edges:
        comp.union(u, v)
    roots = {comp.find(v) for v in range(n)}
    if len(roots) <= 1:
        return []
    grid = Grid(net.coords, max(SNAP_M, 100.0))
    out: list[tuple[float, int, int]] = []
    while len(roots) > 1:
        members: dict[int, list[int]] = {}
        for v in range(n):
            members.setdefault(comp.find(v), []).append(v)
        largest = max(members, key=lambda r: (len(members[r]), -r))
        cheapest = []
        for root, vs in members.items():
            if root == largest:
                continue
            best = None
            for v in vs:
                found = grid.nearest(net.coords[v], accept=lambda u, root=root: comp.find(u) != root,
                                     max_m=best[0] if best else math.inf)
                if found is not None and (best is None or (found[0], min(v, found[1]), max(v, found[1])) < best):
                    best = (found[0], min(v, found[1]), max(v, found[1]))
            cheapest.append(best)
        for d, i, j in sorted(cheapest):
            if comp.union(i, j):
                out.append((d, i, j))
        roots = {comp.find(v) for v in range(n)}
    return out


class EdgeSnapper:
    """The nearest point on the network's road segments (not connectors) to a place.

    The polylines are projected to metres (equirectangular around their mean latitude — accurate
    within a city) and each piece is filed under the grid cells its bounding box covers."""

    def __init__(self, net: Network, cell_m: float = 100.0):
        self.cell_m = cell_m
        pts = [p for line in net.geometry.values() for p in line]
        self.lon0 = sum(p[0] for p in pts) / len(pts) if pts else 0.0
        self.lat0 = sum(p[1] for p in pts) / len(pts) if pts else 0.0
        m = 6371008.8 * math.pi / 180
        self.kx, self.ky = m * math.cos(math.radians(self.lat0)), m
        self.pieces: list[tuple[int, float, float, float, float, float, float, float]] = []
        self.cells: dict[tuple[int, int], list[int]] = {}
        for e, (u, v, cost, _demand, sid) in enumerate(net.edges):
            line = net.geometry.get(sid) if sid is not None else None
            if not line:
                continue
            xy = [self.xy(p) for p in line]
            lens = [math.dist(a, b) for a, b in zip(xy, xy[1:])]
            total, run = sum(lens) or 1.0, 0.0
            for (a, b), length in zip(zip(xy, xy[1:]), lens):
                k = len(self.pieces)
                self.pieces.append((e, a[0], a[1], b[0], b[1], run / total, length / total, float(cost)))
                run += length
                for cx in range(math.floor(min(a[0], b[0]) / cell_m), math.floor(max(a[0], b[0]) / cell_m) + 1):
                    for cy in range(math.floor(min(a[1], b[1]) / cell_m), math.floor(max(a[1], b[1]) / cell_m) + 1):
                        self.cells.setdefault((cx, cy), []).append(k)

    def xy(self, p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] - self.lon0) * self.kx, (p[1] - self.lat0) * self.ky

    def snap(self, p: tuple[float, float], max_m: float) -> Optional[tuple[float, int, float]]:
        """(distance m, edge index, fraction 0…1 from u to v) of the nearest point within ``max_m``."""
        x, y = self.xy(p)
        cx, cy = math.floor(x / self.cell_m), math.floor(y / self.cell_m)
        rings = math.ceil(max_m / self.cell_m) + 1
        seen: set[int] = set()
        best: Optional[tuple[float, int, float]] = None
        for r in range(rings + 1):
            if best is not None and (r - 1) * self.cell_m > best[0]:
                break
            ring = [(cx + dx, cy + dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1)
                    if max(abs(dx), abs(dy)) == r]
            for cell in ring:
                for k in self.cells.get(cell, ()):
                    if k in seen:
                        continue
                    seen.add(k)
                    e, ax, ay, bx, by, f0, df, _cost = self.pieces[k]
                    dx, dy = bx - ax, by - ay
                    t = 0.0 if dx == dy == 0 else ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)
                    t = min(1.0, max(0.0, t))
                    d = math.hypot(x - (ax + t * dx), y - (ay + t * dy))
                    if d <= max_m and (best is None or (d, e) < best[:2]):
                        best = (d, e, f0 + t * df)
        return best


@dataclass
class RoadDistances:
    """Distances (whole metres) between points over the road network, see the module docstring."""

    matrix: list[list[int]]
    snapped: list[Optional[tuple[float, int, float]]]  # (access m, edge index, fraction) or None (off)
    off_network: list[int]  # indices of the points farther than the snapping distance


def road_distances(net: Network, points: list[tuple[float, float]], snap_max_m: float = REFILL_SNAP_M,
                   detour: float = DETOUR) -> RoadDistances:
    """Distances between ``points`` (lon, lat) over the network: each point within ``snap_max_m``
    of a road segment is snapped to the nearest point of it; the distance between two snapped points
    is access leg + the way along the segment to one of its end nodes + the shortest path to an end
    node of the other's segment + the way along that one + access leg (on the same segment: the way
    along it between the two, if shorter). A pair with a point off the network: straight line ×
    ``detour``.

    One-way segments (``net.oneway``) are driven only from ``u`` to ``v``: the shortest paths are
    directed, a point on such a segment is left towards ``v`` and reached from ``u``, and
    ``matrix[i][j]`` (from ``i`` to ``j``) may differ from ``matrix[j][i]``."""
    from .routing.prize import shortest_paths

    snapper = EdgeSnapper(net)
    snapped = [snapper.snap(p, snap_max_m) if snapper.pieces else None for p in points]
    ends = sorted({x for s in snapped if s is not None for x in net.edges[s[1]][:2]})
    adjacency: list[list[tuple[int, int]]] = [[] for _ in net.coords]
    for u, v, cost, _demand, sid in net.edges:
        adjacency[u].append((v, cost))
        if not net.is_oneway(sid):
            adjacency[v].append((u, cost))
    dist = {x: shortest_paths(adjacency, x, ends) for x in ends}
    directed = bool(net.oneway)

    def along(s, leave: bool) -> list[tuple[int, float]]:
        """(end node, metres along the segment to or from it): the ends a point can be left
        towards (``leave``) or reached from."""
        u, v, cost, _demand, sid = net.edges[s[1]]
        if net.is_oneway(sid):
            return [(v, (1.0 - s[2]) * cost)] if leave else [(u, s[2] * cost)]
        return [(u, s[2] * cost), (v, (1.0 - s[2]) * cost)]

    def between(i: int, j: int) -> float:  # from point i to point j
        si, sj = snapped[i], snapped[j]
        if si is None or sj is None:
            return haversine_m(points[i], points[j]) * detour
        via = [a + dist[x][y] + b for x, a in along(si, True) for y, b in along(sj, False) if y in dist[x]]
        if si[1] == sj[1] and (not net.is_oneway(net.edges[si[1]][4]) or si[2] <= sj[2]):
            via.append(abs(si[2] - sj[2]) * net.edges[si[1]][2])
        return si[0] + min(via) + sj[0] if via else haversine_m(points[i], points[j]) * detour

    n = len(points)
    matrix = [[0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            matrix[i][j] = int(round(between(i, j)))
            matrix[j][i] = int(round(between(j, i))) if directed else matrix[i][j]
    return RoadDistances(matrix=matrix, snapped=snapped, off_network=[i for i in range(n) if snapped[i] is None])


def instance_for(net: Network, depot: tuple[float, float], capacity: int, name: str = "gritting",
                 n_vehicles: Optional[int] = None) -> CarpInstance:
    """The CARP instance with the silo at ``depot`` (lon, lat) as an extra vertex; one-way segments
    become arcs. Raises :class:`UnreachableSegmentsError` when one-way streets keep a required
    segment from being served from there."""
    if not net.coords:
        raise PlanningError("the road network has no segments with a position")
    d = len(net.coords)
    nearest = min(range(d), key=lambda v: haversine_m(depot, net.coords[v]))
    edges = net.edges + [(d, nearest, max(1, round(haversine_m(depot, net.coords[nearest]) * DETOUR)), 0, None)]
    too_big = [sid for _, _, _, dem, sid in edges if dem > capacity]
    if too_big:
        raise PlanningError(f"segment(s) {too_big} need more salt than a vehicle holds ({capacity} kg)")
    coords = {i: c for i, c in enumerate(net.coords)} | {d: depot}
    inst = CarpInstance(name=name, n_vertices=d + 1, capacity=capacity, depot=d, n_vehicles=n_vehicles,
                        edges=[Edge(index=i, u=u, v=v, cost=c, demand=dem, name=str(sid or ""),
                                    oneway=net.is_oneway(sid))
                               for i, (u, v, c, dem, sid) in enumerate(edges)],
                        coords=coords)
    try:
        inst.check_reachable()
    except UnreachableSegments as exc:
        def names(edges) -> str:
            return ", ".join(f"{e.name} ({net.names.get(int(e.name), '?')})" for e in edges)

        parts = []
        if exc.unreachable:
            parts.append(f"the silo cannot reach segment(s) {names(exc.unreachable)}")
        if exc.no_return:
            parts.append(f"no way back to the silo from segment(s) {names(exc.no_return)}")
        raise UnreachableSegmentsError("one-way streets: " + "; ".join(parts),
                                       [int(e.name) for e in exc.edges]) from None
    return inst


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
    unreachable: Optional[UnreachableSegmentsError] = None
    for silo in silos:
        try:
            inst = instance_for(net, (silo.lon, silo.lat), capacity, name=f"silo-{silo.id}", n_vehicles=n_vehicles)
        except UnreachableSegmentsError as exc:  # another silo may lie elsewhere in the one-way streets
            unreachable = unreachable or exc
            continue
        try:
            plan = solve_carp(inst, time_limit=time_limit / len(silos), seed=seed, progress=progress,
                              solver=settings["gritting_solver"])
        except NoFeasiblePlan:
            continue
        if best is None or plan.cost < best[2].cost:
            best = (silo, inst, plan)
    if best is None:
        if unreachable is not None:
            raise unreachable
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
                 "oneway": [e.index for e in inst.edges if e.oneway],
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


def autoplan_job(now: Optional[datetime] = None) -> str:
    """Job ``autoplan`` (every minute): a new plan when the newest is older than the setting
    ``gritting_auto_plan_min`` (with ``demo_simulator`` on and that setting 0: :data:`DEMO_PLAN_MIN`).
    Returns what it did; a plan that cannot be made is logged, not raised."""
    import logging

    session = db_session()
    settings = get_settings(SLUG)
    every = int(settings["gritting_auto_plan_min"])
    demo = bool(settings.get("demo_simulator"))
    if every <= 0 and demo:
        every = DEMO_PLAN_MIN
    if every <= 0:
        return "off"
    now = now or datetime.now(timezone.utc)
    newest = session.exec(select(GrittingPlan.created_at).order_by(GrittingPlan.created_at.desc())).first()
    if newest is not None:
        newest = newest if newest.tzinfo else newest.replace(tzinfo=timezone.utc)
        if now - newest < timedelta(minutes=every) - timedelta(seconds=5):
            return "not due"
    limit = float(settings["gritting_time_limit_s"])
    if demo and not settings["gritting_auto_plan_min"]:
        limit = min(limit, DEMO_PLAN_TIME_S)
    try:
        plan = plan_gritting(limit, session=session, settings=settings, now=now)
    except PlanningError as exc:
        session.rollback()
        logging.getLogger("mash.wintersmart.planning").info("automatic gritting plan not made: %s", exc)
        return f"no plan: {exc}"
    return f"plan {plan.id}"


# -- stored plans back into routing objects (export, map) ----------------------------------------
def stored_instance(row: GrittingPlan) -> CarpInstance:
    """The instance a stored plan was made for (``network["oneway"]``: indices of the one-way edges;
    missing in plans stored before one-way streets were modelled)."""
    net = row.network
    oneway = set(net.get("oneway") or ())
    return CarpInstance(name=f"plan-{row.id}", n_vertices=len(net["coords"]), capacity=net["capacity"],
                        depot=net["depot"],
                        edges=[Edge(index=i, u=u, v=v, cost=c, demand=d, name=str(sid or ""), oneway=i in oneway)
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
