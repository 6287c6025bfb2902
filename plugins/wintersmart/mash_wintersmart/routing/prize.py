"""Grit-bin refill tours: capacitated, prize-collecting VRP on PyVRP.

Bins below the refill threshold are *required*; the others are optional and carry a prize (the
value of topping them up on the same trip). PyVRP minimises travel cost plus the prizes of the
optional bins left out, with the vehicle payload as capacity and an optional fleet limit. The
plan is verified independently (required bins visited, no bin twice, capacity, fleet, distance
and prizes recomputed from the matrix) before it is returned.

Distances: a matrix given with the problem — road distances from
:func:`mash_wintersmart.planning.road_distances`, which runs :func:`shortest_paths` (Dijkstra)
from every bin's and silo's network vertex on the directed road graph (one-way streets only in
their direction, so the matrix may be asymmetric: ``m[i, j]`` is the way from ``i`` to ``j``) —
else haversine between the coordinates.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, field

import numpy as np
import pyvrp
from pyvrp.stop import MaxRuntime

from .verify import PlanVerificationError


@dataclass(frozen=True)
class RefillBin:
    id: int | str
    demand: int  # refill amount (kg) = capacity_kg - current_kg
    required: bool
    prize: int = 0  # for optional bins, in cost units (metres)
    lon: float | None = None
    lat: float | None = None


@dataclass
class RefillProblem:
    bins: list[RefillBin]
    capacity: int  # vehicle payload (kg)
    depot: tuple[float, float] | None = None  # (lon, lat)
    num_vehicles: int | None = None
    distances: np.ndarray | None = None  # (1 + n) × (1 + n), index 0 = depot; else haversine m

    def matrix(self) -> np.ndarray:
        if self.distances is not None:
            m = np.asarray(self.distances, dtype=np.int64)
            n = len(self.bins) + 1
            if m.shape != (n, n):
                raise ValueError(f"distance matrix must be {n}×{n}, is {m.shape}")
            return m
        if self.depot is None or any(b.lon is None or b.lat is None for b in self.bins):
            raise ValueError("either a distance matrix or coordinates for depot and all bins")
        pts = [self.depot] + [(b.lon, b.lat) for b in self.bins]
        return np.array([[round(haversine_m(a, b)) for b in pts] for a in pts], dtype=np.int64)


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def shortest_paths(adjacency: list[list[tuple[int, int]]], source: int, targets=None) -> dict[int, int]:
    """Dijkstra: shortest distance from ``source`` to each vertex (``adjacency[u]`` = [(v, cost), …]
    — the arcs leaving ``u``: a one-way street is listed at its start only; costs ≥ 0). Stops once every vertex of ``targets`` is settled; returns the settled vertices."""
    left = set(targets) if targets is not None else None
    dist: dict[int, int] = {}
    heap = [(0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if u in dist:
            continue
        dist[u] = d
        if left is not None:
            left.discard(u)
            if not left:
                break
        for v, cost in adjacency[u]:
            if v not in dist:
                heapq.heappush(heap, (d + cost, v))
    return dist


@dataclass
class RefillRoute:
    bins: list[int]  # indices into problem.bins, in visiting order
    load: int
    distance: int


@dataclass
class RefillPlan:
    routes: list[RefillRoute]
    distance: int
    uncollected_prize: int
    skipped: list[int]  # optional bins not visited
    runtime_s: float = 0.0
    seed: int = 0
    verified: bool = False
    solver: str = "pyvrp-pcvrp"
    meta: dict = field(default_factory=dict)

    @property
    def objective(self) -> int:
        return self.distance + self.uncollected_prize


def verify_refill_plan(problem: RefillProblem, plan: RefillPlan) -> None:
    problems: list[tuple[str, str]] = []
    m = problem.matrix()
    n = len(problem.bins)
    seen: dict[int, int] = {}
    total = 0
    for r_idx, r in enumerate(plan.routes):
        load, dist, pos = 0, 0, 0
        for b in r.bins:
            if not 0 <= b < n:
                problems.append(("unknown_bin", f"route {r_idx} visits bin index {b}"))
                continue
            seen[b] = seen.get(b, 0) + 1
            load += problem.bins[b].demand
            dist += int(m[pos, b + 1])
            pos = b + 1
        dist += int(m[pos, 0])
        if load > problem.capacity:
            problems.append(("capacity", f"route {r_idx} load {load} > capacity {problem.capacity}"))
        if load != r.load:
            problems.append(("load", f"route {r_idx} claims load {r.load}, actual {load}"))
        if dist != r.distance:
            problems.append(("cost", f"route {r_idx} claims {r.distance}, recomputed {dist}"))
        total += dist
    for i, b in enumerate(problem.bins):
        k = seen.get(i, 0)
        if k > 1:
            problems.append(("duplicate", f"bin {b.id} visited {k} times"))
        if b.required and k == 0:
            problems.append(("missing", f"required bin {b.id} not visited"))
    if total != plan.distance:
        problems.append(("cost", f"plan claims distance {plan.distance}, recomputed {total}"))
    skipped = sorted(i for i in range(n) if i not in seen)
    if skipped != sorted(plan.skipped):
        problems.append(("skipped", "list of skipped bins does not match the routes"))
    prize = sum(problem.bins[i].prize for i in skipped if not problem.bins[i].required)
    if prize != plan.uncollected_prize:
        problems.append(("prize", f"claims uncollected prize {plan.uncollected_prize}, is {prize}"))
    if problem.num_vehicles is not None and len(plan.routes) > problem.num_vehicles:
        problems.append(("fleet", f"{len(plan.routes)} routes > {problem.num_vehicles} vehicles"))
    if problems:
        raise PlanVerificationError(problems)


def solve_refill(problem: RefillProblem, time_limit: float = 5.0, *, seed: int = 0) -> RefillPlan:
    t0 = time.perf_counter()
    m = problem.matrix()
    n = len(problem.bins)
    for b in problem.bins:
        if b.demand > problem.capacity:
            raise ValueError(f"bin {b.id} needs {b.demand} > vehicle capacity {problem.capacity}")
    clients = [
        pyvrp.Client(
            location=i + 1,
            delivery=[b.demand],
            required=b.required,
            prize=0 if b.required else b.prize,
            name=str(b.id),
        )
        for i, b in enumerate(problem.bins)
    ]
    fleet = problem.num_vehicles if problem.num_vehicles is not None else max(1, n)
    data = pyvrp.ProblemData(
        locations=[pyvrp.Location(0, 0, name="depot")] + [pyvrp.Location(0, 0) for _ in clients],
        clients=clients,
        depots=[pyvrp.Depot(location=0, name="depot")],
        vehicle_types=[pyvrp.VehicleType(num_available=fleet, capacity=[problem.capacity])],
        distance_matrices=[np.ascontiguousarray(m)],
        duration_matrices=[np.zeros_like(m)],
    )
    remaining = max(0.05, time_limit - (time.perf_counter() - t0))
    res = pyvrp.solve(data, MaxRuntime(remaining), seed=seed, collect_stats=False)
    if not res.best.is_feasible():
        raise RuntimeError("no feasible refill plan found (capacity/fleet too small?)")
    routes = []
    for r in res.best.routes():
        idx = [a.idx for a in r.schedule() if a.is_client()]
        if not idx:
            continue
        dist, pos = 0, 0
        for b in idx:
            dist += int(m[pos, b + 1])
            pos = b + 1
        dist += int(m[pos, 0])
        routes.append(RefillRoute(bins=idx, load=sum(problem.bins[b].demand for b in idx), distance=dist))
    visited = {b for r in routes for b in r.bins}
    skipped = [i for i in range(n) if i not in visited]
    plan = RefillPlan(
        routes=routes,
        distance=sum(r.distance for r in routes),
        uncollected_prize=sum(problem.bins[i].prize for i in skipped),
        skipped=skipped,
        runtime_s=time.perf_counter() - t0,
        seed=seed,
    )
    verify_refill_plan(problem, plan)
    plan.verified = True
    return plan
