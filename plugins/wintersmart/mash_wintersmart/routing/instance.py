"""Instance and plan model for the capacitated arc routing problem (CARP).

An instance is a road graph with a depot vertex; each edge has a traversal cost and a demand
(``demand > 0`` means the edge must be serviced, e.g. gritted). The graph is *mixed*: an edge is
two-way (driven and serviced in either direction) or, with ``oneway``, an arc ``u → v`` (a one-way
street: driven and serviced only from ``u`` to ``v``). Without one-way edges the instance is the
classic undirected CARP and everything here behaves exactly as for the benchmark instances.

A plan is a list of routes; each route is the ordered list of services ``(edge, tail, head)`` — the
edge serviced in the direction tail→head — and the vehicle drives the shortest (directed) path
between consecutive services and from/to the depot (deadheading).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Edge:
    """An edge ``{u, v}``, or with ``oneway`` the arc ``u → v``; ``demand > 0`` makes it a required
    edge."""

    index: int
    u: int
    v: int
    cost: int
    demand: int = 0
    name: str = ""
    oneway: bool = False  # traversable and serviceable only from u to v

    @property
    def required(self) -> bool:
        return self.demand > 0

    @property
    def orientations(self) -> list[tuple[int, int]]:
        """The allowed service directions ``(tail, head)``: both for a two-way edge, ``(u, v)``
        only for a one-way edge or a loop."""
        if self.u == self.v or self.oneway:
            return [(self.u, self.v)]
        return [(self.u, self.v), (self.v, self.u)]

    def allows(self, tail: int, head: int) -> bool:
        """Whether the edge may be driven (or serviced) from ``tail`` to ``head``."""
        return (tail, head) in self.orientations


class UnreachableSegments(ValueError):
    """Required edges of a directed (mixed) instance that a vehicle cannot serve: the depot cannot
    reach them, or there is no way back to the depot after them (one-way streets).
    ``unreachable`` / ``no_return`` list the edges."""

    def __init__(self, instance: str, unreachable: list[Edge], no_return: list[Edge]):
        self.unreachable = unreachable
        self.no_return = no_return
        parts = []
        if unreachable:
            parts.append("not reachable from the depot: " + ", ".join(map(_describe, unreachable)))
        if no_return:
            parts.append("no way back to the depot from: " + ", ".join(map(_describe, no_return)))
        super().__init__(f"instance {instance}: required segment(s) " + "; ".join(parts))

    @property
    def edges(self) -> list[Edge]:
        return self.unreachable + self.no_return


def _describe(e: Edge) -> str:
    arrow = "→" if e.oneway else "–"
    return f"edge {e.index}{f' ({e.name})' if e.name else ''} {e.u}{arrow}{e.v}"


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
    def directed(self) -> bool:
        """Whether the graph has one-way edges (then ``sp`` is asymmetric)."""
        return any(e.oneway for e in self.edges)

    def orientations(self, edge: int) -> list[tuple[int, int]]:
        """The allowed service directions ``(tail, head)`` of edge ``edge``."""
        return self.edges[edge].orientations

    def arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The directed graph: ``(tails, heads, costs)`` of every drivable direction of every
        non-loop edge (a two-way edge gives two arcs)."""
        t, h, c = [], [], []
        for e in self.edges:
            if e.u == e.v:
                continue
            t.append(e.u), h.append(e.v), c.append(e.cost)
            if not e.oneway:
                t.append(e.v), h.append(e.u), c.append(e.cost)
        return np.array(t, dtype=np.intp), np.array(h, dtype=np.intp), np.array(c, dtype=np.int64)

    def check_reachable(self) -> None:
        """Directed instances: raise :class:`UnreachableSegments` when a required edge cannot be
        reached from the depot in an allowed direction, or the depot cannot be reached from it
        again. (All key vertices then lie in the depot's strongly connected component, so every
        deadheading distance a plan needs is finite.) Undirected instances: no-op (``sp``
        checks connectivity)."""
        if not self.directed:
            return
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import breadth_first_order

        n = self.n_vertices
        t, h, _ = self.arcs()
        graph = coo_matrix((np.ones(len(t)), (t, h)), shape=(n, n)).tocsr()
        fwd = np.zeros(n, dtype=bool)
        fwd[breadth_first_order(graph, self.depot, directed=True, return_predecessors=False)] = True
        bwd = np.zeros(n, dtype=bool)
        bwd[breadth_first_order(graph.T.tocsr(), self.depot, directed=True,
                                return_predecessors=False)] = True
        unreachable, no_return = [], []
        for e in self.required:
            # a two-way edge: its ends are joined both ways, so both ends behave alike
            if not any(fwd[a] for a, _ in e.orientations):
                unreachable.append(e)
            elif not any(fwd[a] and bwd[b] for a, b in e.orientations):
                no_return.append(e)
        if unreachable or no_return:
            raise UnreachableSegments(self.name, unreachable, no_return)

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
        target is.

        On a directed (mixed) instance the distances follow the one-way streets — ``sp[a, b]`` is
        the way from ``a`` to ``b`` and may differ from ``sp[b, a]`` — and :meth:`check_reachable`
        runs first; a vertex outside the depot's strongly connected component (a one-way dead end
        no required edge needs) keeps the distance :data:`UNREACHABLE` to or from it.
        """
        n = self.n_vertices
        self.check_reachable()
        if n > DENSE_SP_MAX_VERTICES:
            return KeyedDistances.compute(self)
        inf = UNREACHABLE
        d = np.full((n, n), inf, dtype=np.int64)
        np.fill_diagonal(d, 0)
        for e in self.edges:
            if e.cost < d[e.u, e.v]:
                d[e.u, e.v] = e.cost
            if not e.oneway and e.cost < d[e.v, e.u]:
                d[e.v, e.u] = e.cost
        for k in range(n):
            np.minimum(d, d[:, k : k + 1] + d[k : k + 1, :], out=d)
        if not self.directed and (d >= inf).any():
            raise ValueError(f"instance {self.name}: graph is not connected")
        return d

    @cached_property
    def _adjacency(self) -> list[list[tuple[int, int, int]]]:
        adj: list[list[tuple[int, int, int]]] = [[] for _ in range(self.n_vertices)]
        for e in self.edges:
            adj[e.u].append((e.v, e.cost, e.index))
            if not e.oneway:
                adj[e.v].append((e.u, e.cost, e.index))
        return adj

    def path(self, a: int, b: int) -> list[tuple[int, int, int]]:
        """A shortest deadheading path from ``a`` to ``b`` as ``(edge, from, to)`` triples (one-way
        edges only in their direction)."""
        out: list[tuple[int, int, int]] = []
        d = self.sp
        if d[a, b] >= UNREACHABLE:
            raise ValueError(f"instance {self.name}: no path from vertex {a} to vertex {b}")
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

#: the distance between vertices without a (directed) path — large, but four of them still add up
#: without int64 overflow
UNREACHABLE = np.iinfo(np.int64).max // 4


class KeyedDistances:
    """Shortest distances from every vertex to the key vertices of an instance, indexed like the
    full matrix (``d[a, b]``, ``d[rows[:, None], cols]``, ``d[np.ix_(a, b)]``) as long as every
    column index is a key vertex; a non-key column raises ``IndexError``.

    Undirected instances: Dijkstra from the key vertices (distances are symmetric). Directed
    (mixed) ones: Dijkstra from the key vertices on the *reversed* graph, which gives the distance
    from every vertex *to* each key vertex; ``from_keys`` (computed on demand) holds the distances
    *from* each key vertex to every vertex on the graph itself."""

    def __init__(self, matrix: np.ndarray, keys: np.ndarray, n_vertices: int, graph=None):
        self.matrix = matrix  # (n_vertices, len(keys)), int64
        self.keys = keys
        self.column = np.full(n_vertices, -1, dtype=np.intp)
        self.column[keys] = np.arange(len(keys))
        self.shape = (n_vertices, n_vertices)
        self._graph = graph  # the directed csgraph (directed instances only)

    @staticmethod
    def _directed_graph(inst: "CarpInstance"):
        from scipy.sparse import coo_matrix

        n = inst.n_vertices
        t, h, c = inst.arcs()
        best: dict[tuple[int, int], int] = {}
        for a, b, w in zip(t.tolist(), h.tolist(), c.tolist()):  # parallel arcs: the cheapest
            best[(a, b)] = min(best.get((a, b), w), w)
        rows = np.array([k[0] for k in best], dtype=np.intp)
        cols = np.array([k[1] for k in best], dtype=np.intp)
        weights = np.array([max(w, 1e-9) for w in best.values()], dtype=np.float64)
        return coo_matrix((weights, (rows, cols)), shape=(n, n)).tocsr()

    @staticmethod
    def _to_int(dist: np.ndarray) -> np.ndarray:
        out = np.full(dist.shape, UNREACHABLE, dtype=np.int64)
        ok = np.isfinite(dist)
        out[ok] = np.rint(dist[ok]).astype(np.int64)
        return out

    @classmethod
    def compute(cls, inst: "CarpInstance") -> "KeyedDistances":
        from scipy.sparse import coo_matrix
        from scipy.sparse.csgraph import dijkstra

        n = inst.n_vertices
        keys = inst.key_vertices
        if inst.directed:
            # csgraph treats an explicit 0 as "no edge": zero-cost arcs get a tiny positive weight
            graph = cls._directed_graph(inst)
            to_keys = dijkstra(graph.T.tocsr(), directed=True, indices=keys)  # [k, v] = d(v → key k)
            return cls(cls._to_int(to_keys.T), keys, n, graph=graph)
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
        dist = dijkstra(graph, directed=False, indices=keys)  # (len(keys), n)
        if not np.isfinite(dist).all():
            raise ValueError(f"instance {inst.name}: graph is not connected")
        return cls(np.rint(dist.T).astype(np.int64), keys, n)

    @cached_property
    def from_keys(self) -> np.ndarray:
        """``(len(keys), n_vertices)``: the distance from each key vertex to every vertex (on an
        undirected instance the transpose of :attr:`matrix`)."""
        if self._graph is None:
            return self.matrix.T
        from scipy.sparse.csgraph import dijkstra

        return self._to_int(dijkstra(self._graph, directed=True, indices=self.keys))

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
