"""Instance and plan model for the capacitated arc routing problem (CARP).

An instance is an undirected road graph with a depot vertex; each edge has a traversal cost and a
demand (``demand > 0`` means the edge must be serviced, e.g. gritted). A plan is a list of routes;
each route is the ordered list of services ``(edge, tail, head)`` — the edge serviced in the
direction tail→head — and the vehicle drives the shortest path between consecutive services and
from/to the depot (deadheading).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Edge:
    """An undirected edge ``{u, v}``; ``demand > 0`` makes it a required edge."""

    index: int
    u: int
    v: int
    cost: int
    demand: int = 0
    name: str = ""

    @property
    def required(self) -> bool:
        return self.demand > 0


@dataclass
class CarpInstance:
    name: str
    n_vertices: int
    edges: list[Edge]
    capacity: int
    depot: int = 0
    n_vehicles: int | None = None  # fleet given with the instance (not binding unless asked)
    lb: int | None = None
    ub: int | None = None  # best-known upper bound
    coords: dict[int, tuple[float, float]] | None = None  # vertex -> (lon, lat), for export

    def __post_init__(self) -> None:
        if not 0 <= self.depot < self.n_vertices:
            raise ValueError(f"depot {self.depot} outside 0..{self.n_vertices - 1}")
        for i, e in enumerate(self.edges):
            if e.index != i:
                raise ValueError(f"edge {i} has index {e.index}")
            if not (0 <= e.u < self.n_vertices and 0 <= e.v < self.n_vertices):
                raise ValueError(f"edge {i} ({e.u}, {e.v}) references an unknown vertex")
            if e.cost < 0 or e.demand < 0:
                raise ValueError(f"edge {i} has a negative cost or demand")
            if e.demand > self.capacity:
                raise ValueError(f"edge {i} demand {e.demand} exceeds capacity {self.capacity}")

    @cached_property
    def required(self) -> list[Edge]:
        return [e for e in self.edges if e.required]

    @cached_property
    def total_demand(self) -> int:
        return sum(e.demand for e in self.required)

    @cached_property
    def key_vertices(self) -> np.ndarray:
        """The vertices routes start, end or turn at: the required edges' ends and the depot —
        the only *targets* of deadheading."""
        keys = {self.depot} | {e.u for e in self.required} | {e.v for e in self.required}
        return np.array(sorted(keys), dtype=np.intp)

    @cached_property
    def sp(self) -> "np.ndarray | KeyedDistances":
        """Shortest deadheading distances (int64), indexed ``sp[from, to]`` by vertex.

        Small graphs: the full matrix (Floyd–Warshall). Large ones (an imported city network):
        Dijkstra from the key vertices only (:class:`KeyedDistances`, |V| × |keys| instead of
        |V|², and no cubic time) — ``to`` must then be a key vertex, which every deadheading
        target is."""
        n = self.n_vertices
        if n > DENSE_SP_MAX_VERTICES:
            return KeyedDistances.compute(self)
        inf = np.iinfo(np.int64).max // 4
        d = np.full((n, n), inf, dtype=np.int64)
        np.fill_diagonal(d, 0)
        for e in self.edges:
            if e.cost < d[e.u, e.v]:
                d[e.u, e.v] = d[e.v, e.u] = e.cost
        for k in range(n):
            np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :], out=d)
        if (d >= inf).any():
            raise ValueError(f"instance {self.name}: graph is not connected")
        return d

    @cached_property
    def _adjacency(self) -> list[list[tuple[int, int, int]]]:
        adj: list[list[tuple[int, int, int]]] = [[] for _ in range(self.n_vertices)]
        for e in self.edges:
            adj[e.u].append((e.v, e.cost, e.index))
            adj[e.v].append((e.u, e.cost, e.index))
        return adj

    def path(self, a: int, b: int) -> list[tuple[int, int, int]]:
        """A shortest deadheading path from ``a`` to ``b`` as ``(edge, from, to)`` triples."""
        out: list[tuple[int, int, int]] = []
        d = self.sp
        cur = a
        while cur != b:
            for nxt, cost, idx in self._adjacency[cur]:
                if cost + d[nxt, b] == d[cur, b]:
                    if cost == 0 and nxt == cur:
                        continue
                    out.append((idx, cur, nxt))
                    cur = nxt
                    break
            else:  # pragma: no cover - impossible for a consistent matrix
                raise RuntimeError(f"no shortest path step from {cur} to {b}")
        return out


#: above this many vertices, :attr:`CarpInstance.sp` holds distances to the key vertices only
DENSE_SP_MAX_VERTICES = 1500


class KeyedDistances:
    """Shortest distances from every vertex to the key vertices of an instance, indexed like the
    full matrix (``d[a, b]``, ``d[rows[:, None], cols]``, ``d[np.ix_(a, b)]``) as long as every
    column index is a key vertex; a non-key column raises ``IndexError``."""

    def __init__(self, matrix: np.ndarray, keys: np.ndarray, n_vertices: int):
        self.matrix = matrix  # (n_vertices, len(keys)), int64
        self.column = np.full(n_vertices, -1, dtype=np.intp)
        self.column[keys] = np.arange(len(keys))
        self.shape = (n_vertices, n_vertices)

    @classmethod
    def compute(cls, inst: "CarpInstance") -> "KeyedDistances":
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        n = inst.n_vertices
        best: dict[tuple[int, int], int] = {}
        for e in inst.edges:  # parallel edges: the cheapest; loops never help deadheading
            if e.u != e.v:
                key = (min(e.u, e.v), max(e.u, e.v))
                best[key] = min(best.get(key, e.cost), e.cost)
        rows = np.array([k[0] for k in best], dtype=np.intp)
        cols = np.array([k[1] for k in best], dtype=np.intp)
        # csgraph treats an explicit 0 as "no edge": zero-cost edges get a tiny positive weight
        weights = np.array([max(c, 1e-9) for c in best.values()], dtype=np.float64)
        graph = coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()
        keys = inst.key_vertices
        dist = dijkstra(graph, directed=False, indices=keys)  # (len(keys), n)
        if not np.isfinite(dist).all():
            raise ValueError(f"instance {inst.name}: graph is not connected")
        return cls(np.rint(dist.T).astype(np.int64), keys, n)

    def _columns(self, b):
        c = self.column[b]
        if np.any(c < 0):
            raise IndexError("distances are kept only to the instance's key vertices")
        return c

    def __getitem__(self, index):
        if not isinstance(index, tuple):  # one row: the distances from it to the key vertices
            return self.matrix[index]
        a, b = index
        return self.matrix[a, self._columns(b)]


@dataclass(frozen=True)
class Service:
    """Required edge ``edge`` serviced from ``tail`` to ``head``."""

    edge: int
    tail: int
    head: int


@dataclass
class CarpRoute:
    services: list[Service]
    load: int = 0
    cost: int = 0
    start: int = 0  # depot the route leaves from
    end: int = 0  # depot the route returns to


@dataclass
class CarpPlan:
    instance: str
    routes: list[CarpRoute]
    cost: int
    solver: str
    runtime_s: float = 0.0
    seed: int | None = None
    verified: bool = False
    meta: dict = field(default_factory=dict)

    @property
    def n_vehicles(self) -> int:
        return len(self.routes)

    def as_dict(self) -> dict:
        return {
            "instance": self.instance,
            "solver": self.solver,
            "cost": self.cost,
            "runtime_s": round(self.runtime_s, 3),
            "seed": self.seed,
            "verified": self.verified,
            "routes": [
                {
                    "load": r.load,
                    "cost": r.cost,
                    "services": [[s.edge, s.tail, s.head] for s in r.services],
                }
                for r in self.routes
            ],
            **({"meta": self.meta} if self.meta else {}),
        }


def route_cost(inst: CarpInstance, services: list[Service]) -> int:
    """Cost of a route with deadheading along shortest paths (uses the instance's SP matrix)."""
    d = inst.sp
    pos = inst.depot
    total = 0
    for s in services:
        total += int(d[pos, s.tail]) + inst.edges[s.edge].cost
        pos = s.head
    return total + int(d[pos, inst.depot])


def make_route(inst: CarpInstance, services: list[Service]) -> CarpRoute:
    return CarpRoute(
        services=list(services),
        load=sum(inst.edges[s.edge].demand for s in services),
        cost=route_cost(inst, services),
        start=inst.depot,
        end=inst.depot,
    )


def make_plan(inst: CarpInstance, routes: list[list[Service]], solver: str, **kw) -> CarpPlan:
    rs = [make_route(inst, r) for r in routes if r]
    return CarpPlan(instance=inst.name, routes=rs, cost=sum(r.cost for r in rs), solver=solver, **kw)
