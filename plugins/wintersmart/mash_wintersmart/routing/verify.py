"""Independent verification of CARP plans.

Nothing here uses the solver's encoding or the instance's cached Floyd–Warshall matrix: shortest
paths are recomputed with Dijkstra on the raw edge list — one-way edges only in their direction —
and every claim of the plan (coverage, orientation, direction of one-way services, loads, per-route
and total cost, depot, fleet) is checked against the instance. A plan that deadheads against a
one-way street claims a cost the directed Dijkstra cannot confirm (``cost``).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from .instance import CarpInstance, CarpPlan


class PlanVerificationError(ValueError):
    """Raised for an invalid plan; ``problems`` lists every violation found as ``(kind, text)``."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{k}: {t}" for k, t in problems))

    @property
    def kinds(self) -> set[str]:
        return {k for k, _ in self.problems}


@dataclass
class VerificationReport:
    cost: int
    n_routes: int
    loads: list[int]


def _dijkstra(n: int, adj: list[list[tuple[int, int]]], src: int) -> list[float]:
    dist = [float("inf")] * n
    dist[src] = 0
    heap = [(0, src)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u]:
            continue
        for v, w in adj[u]:
            nd = d + w
            if nd < dist[v]:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return dist


class _Distances:
    """Lazy single-source Dijkstra, per source vertex."""

    def __init__(self, inst: CarpInstance):
        self.n = inst.n_vertices
        self.adj: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        for e in inst.edges:
            self.adj[e.u].append((e.v, e.cost))
            if not e.oneway:
                self.adj[e.v].append((e.u, e.cost))
        self.rows: dict[int, list[float]] = {}

    def __call__(self, a: int, b: int) -> float:
        row = self.rows.get(a)
        if row is None:
            row = self.rows[a] = _dijkstra(self.n, self.adj, a)
        return row[b]


def verify_carp_plan(
    inst: CarpInstance, plan: CarpPlan, *, max_vehicles: int | None = None
) -> VerificationReport:
    """Check ``plan`` against ``inst``; raise :class:`PlanVerificationError` listing all problems.

    Checks: each required edge serviced exactly once (``missing``, ``duplicate``); only required
    edges serviced (``not_required``, ``unknown_edge``); service orientation matches the edge's
    endpoints (``orientation``); a one-way edge serviced only in its direction (``direction``);
    load per route within capacity and as claimed (``capacity``, ``load``); routes start and end at the depot (``depot``); the route costs and the plan cost
    equal the cost recomputed with Dijkstra deadheading (``cost``); fleet size (``fleet``).
    """
    problems: list[tuple[str, str]] = []
    dist = _Distances(inst)
    served: dict[int, int] = {}
    total = 0
    loads = []
    for r_idx, route in enumerate(plan.routes):
        if route.start != inst.depot or route.end != inst.depot:
            problems.append(
                ("depot", f"route {r_idx} runs {route.start}→…→{route.end}, depot is {inst.depot}")
            )
        load = 0
        cost = 0.0
        pos = route.start
        for s in route.services:
            if not 0 <= s.edge < len(inst.edges):
                problems.append(("unknown_edge", f"route {r_idx} services edge {s.edge}"))
                continue
            e = inst.edges[s.edge]
            if not e.required:
                problems.append(("not_required", f"route {r_idx} services edge {s.edge}"))
            if {s.tail, s.head} != {e.u, e.v} or (e.u != e.v and s.tail == s.head):
                problems.append(
                    ("orientation", f"edge {s.edge} is {{{e.u},{e.v}}}, serviced {s.tail}→{s.head}")
                )
                continue
            if e.oneway and (s.tail, s.head) != (e.u, e.v):
                problems.append(
                    ("direction", f"edge {s.edge} is one-way {e.u}→{e.v}, serviced {s.tail}→{s.head}")
                )
            served[s.edge] = served.get(s.edge, 0) + 1
            load += e.demand
            cost += dist(pos, s.tail) + e.cost
            pos = s.head
        cost += dist(pos, route.end)
        if cost == float("inf"):
            problems.append(("cost", f"route {r_idx} needs an unreachable vertex"))
            continue
        if load > inst.capacity:
            problems.append(("capacity", f"route {r_idx} load {load} > capacity {inst.capacity}"))
        if route.load != load:
            problems.append(("load", f"route {r_idx} claims load {route.load}, actual {load}"))
        if route.cost != cost:
            hint = " (deadheading against a one-way street?)" if inst.directed and route.cost < cost else ""
            problems.append(("cost", f"route {r_idx} claims cost {route.cost}, recomputed {cost:g}{hint}"))
        total += int(cost)
        loads.append(load)
    for e in inst.required:
        n = served.get(e.index, 0)
        if n == 0:
            problems.append(("missing", f"required edge {e.index} ({e.u},{e.v}) not serviced"))
        elif n > 1:
            problems.append(("duplicate", f"required edge {e.index} serviced {n} times"))
    if plan.cost != total:
        problems.append(("cost", f"plan claims cost {plan.cost}, recomputed {total}"))
    if max_vehicles is not None and len(plan.routes) > max_vehicles:
        problems.append(("fleet", f"{len(plan.routes)} routes > {max_vehicles} vehicles"))
    if problems:
        raise PlanVerificationError(problems)
    return VerificationReport(cost=total, n_routes=len(plan.routes), loads=loads)
