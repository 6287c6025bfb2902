"""The native CARP search (``_carp_search.c``): iterated local search whose moves choose every
service's direction inside the move evaluation (the idea of Vidal's HGS-CARP, 2017).

The C library is built with the plugin (a setuptools extension whose module is empty) and loaded
with ctypes; a call holds no Python state and releases the GIL, so ``workers`` > 1 runs that many
independent searches (own seeds) in threads of this process and keeps the best.

Why native: PyVRP's ILS on the two-clients-per-edge encoding values a move with the directions the
services had before it (its RelocateAlternative turns only the moved client), so a move that pays
only with other directions, or with a reversed stretch, is never seen. Measured on the same 2-core
AMD EPYC machine, 30 s per instance: on egl-s2-A/B, s3-B, s4-A/C the PyVRP pipeline with both cores
reached 0.39 / 1.79 / 0.78 / 0.81 / 0.88 % above the best-known costs (mean 0.93 %), this search
with one core 0.22 / 0.53 / 0.49 / 0.33 / 0.33 % (mean 0.38 %); the whole egl-s set with both
cores: 0.565 % against 0.259 % (0.158 % since the selective local search). A hybrid genetic
search around the same local search (population of giant tours, order crossover, split, biased
fitness) made about 200 iterations per second on egl-s4-C and reached 0.69 % there in 60 s, against
0.24 % for this ILS in 30 s; it was dropped.
"""

from __future__ import annotations

import ctypes
import importlib.util
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .baseline import baseline_routes, split
from .instance import UNREACHABLE, CarpInstance, CarpPlan, Service, make_plan

_cost = ctypes.c_longlong
PROGRESS = ctypes.CFUNCTYPE(None, ctypes.c_double, _cost)

# Search parameters (the C code's order). Measured on the six hardest Eglese instances at 30 s on
# one core: 20 granular neighbours beat 12 and 16 (0.41 / 0.73 / 0.59 % mean gap). With 12
# neighbours and a budget of 60,000 iterations, a late-acceptance history of 1000 or a feasible
# share of 0.3–0.5 gave 0.70 / 0.63 % against 0.76 % — within seed-to-seed noise, not re-measured
# with 20.
DEFAULTS = {"history": 300, "max_removed": 25, "feasible_low": 0.55, "feasible_high": 0.75,
            "penalty_up": 1.25, "penalty_down": 0.85, "selective": 1}
NEIGHBOURS = 20


class NativeSolverMissing(RuntimeError):
    """The compiled search is not there (the plugin was installed without building it)."""


def _library_path() -> Path:
    spec = importlib.util.find_spec(f"{__package__}._carp_search")
    if spec is None or not spec.origin:
        raise NativeSolverMissing(
            f"the compiled CARP search ({__package__}._carp_search) is missing: reinstall the plugin "
            "with a C compiler (pip install -e plugins/wintersmart), or choose the solver 'pyvrp'"
        )
    return Path(spec.origin)


_lib = None
_lib_lock = threading.Lock()


def library() -> ctypes.CDLL:
    global _lib
    with _lib_lock:
        if _lib is None:
            lib = ctypes.CDLL(str(_library_path()))
            f = lib.carp_search
            p_int = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
            p_cost = np.ctypeslib.ndpointer(np.int64, flags="C_CONTIGUOUS")
            f.argtypes = [
                ctypes.c_int, ctypes.c_int, p_cost, ctypes.c_int,
                p_int, p_int, p_cost, p_cost, _cost,
                ctypes.c_int, p_int, ctypes.c_int,
                ctypes.c_double, ctypes.c_long, ctypes.c_long, ctypes.c_uint64,
                np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS"),
                ctypes.c_void_p,
                p_int, p_int, p_int, np.ctypeslib.ndpointer(np.int_, flags="C_CONTIGUOUS"), PROGRESS,
            ]
            f.restype = _cost
            _lib = lib
    return _lib


@dataclass
class NativeProblem:
    """The arrays the C search reads: service s's direction o runs from key vertex
    ``tail[2s+o]`` to ``head[2s+o]`` (a one-way edge or a loop repeats its only direction)."""

    services: list[tuple[int, list[tuple[int, int]]]]  # (edge, allowed (tail, head) pairs)
    keys: np.ndarray
    dist: np.ndarray  # key × key, int64
    depot: int  # key index
    tail: np.ndarray
    head: np.ndarray
    cost: np.ndarray
    demand: np.ndarray
    capacity: int
    neighbours: np.ndarray  # n × G, int32

    @property
    def n(self) -> int:
        return len(self.services)


def build_problem(inst: CarpInstance, num_neighbours: int = NEIGHBOURS) -> NativeProblem:
    req = inst.required
    services = [(e.index, inst.orientations(e.index)) for e in req]
    keys = np.array(sorted({inst.depot} | {v for _, ors in services for o in ors for v in o}),
                    dtype=np.intp)
    index = {int(v): i for i, v in enumerate(keys)}
    dist = np.asarray(inst.sp[np.ix_(keys, keys)], dtype=np.int64)
    # key vertices are mutually reachable (check_reachable); the cap keeps sums from overflowing
    dist = np.ascontiguousarray(np.minimum(dist, UNREACHABLE // (1 << 20)))
    n = len(req)
    tail = np.empty(2 * n, dtype=np.int32)
    head = np.empty(2 * n, dtype=np.int32)
    for s, (_, ors) in enumerate(services):
        for o in range(2):
            t, h = ors[min(o, len(ors) - 1)]
            tail[2 * s + o], head[2 * s + o] = index[t], index[h]
    G = max(1, min(num_neighbours, n - 1))
    if n > 1:
        # proximity: the least deadheading between the two services, in either order and direction
        t2, h2 = tail.reshape(n, 2), head.reshape(n, 2)
        prox = np.full((n, n), np.iinfo(np.int64).max, dtype=np.int64)
        for a in range(2):
            for b in range(2):
                d = dist[np.ix_(h2[:, a], t2[:, b])]
                np.minimum(prox, np.minimum(d, d.T), out=prox)
        np.fill_diagonal(prox, np.iinfo(np.int64).max)
        nbrs = np.argsort(prox, axis=1, kind="stable")[:, :G].astype(np.int32)
    else:
        nbrs = np.zeros((n, 1), dtype=np.int32)
    return NativeProblem(services, keys, dist, index[inst.depot], tail, head,
                         np.array([e.cost for e in req], dtype=np.int64),
                         np.array([e.demand for e in req], dtype=np.int64),
                         inst.capacity, np.ascontiguousarray(nbrs))


@dataclass
class NativeResult:
    routes: list[list[Service]] | None
    cost: int | None
    iterations: int
    restarts: int


def run(
    prob: NativeProblem,
    max_routes: int,
    time_limit: float,
    *,
    seed: int = 0,
    iterations: int = 0,
    patience: int = 100_000,
    init: list[list[Service]] | None = None,
    params: dict | None = None,
    progress: Callable[[float, int], None] | None = None,
) -> NativeResult:
    """One search with room for ``max_routes`` routes (the fleet bound when the fleet is limited).
    ``iterations`` > 0 replaces the clock by an iteration budget (reproducible results);
    ``patience``: iterations without a better solution before a restart."""
    unknown = set(params or {}) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown search parameter(s): {', '.join(sorted(unknown))}")
    prm = np.array([float({**DEFAULTS, **(params or {})}[k]) for k in DEFAULTS])
    n = prob.n
    pos = {edge: s for s, (edge, _) in enumerate(prob.services)}
    init_arr = None
    if init is not None:
        init_arr = np.array([pos[s.edge] for r in init for s in r], dtype=np.int32)
        if len(init_arr) != n:
            raise ValueError("the warm start must serve every required edge once")
    out_tour = np.zeros(n, dtype=np.int32)
    out_rlen = np.zeros(max_routes, dtype=np.int32)
    out_dir = np.zeros(n, dtype=np.int32)
    stats = np.zeros(2, dtype=np.int_)
    cb = PROGRESS((lambda t, c: progress(t, int(c))) if progress else (lambda t, c: None))
    cost = library().carp_search(
        n, len(prob.keys), prob.dist, prob.depot, prob.tail, prob.head, prob.cost, prob.demand,
        prob.capacity, max_routes, prob.neighbours, prob.neighbours.shape[1],
        float(time_limit), int(iterations), int(patience), seed & (2**64 - 1), prm,
        init_arr.ctypes.data if init_arr is not None else None,
        out_tour, out_rlen, out_dir, stats, cb)
    if cost < 0:
        return NativeResult(None, None, int(stats[0]), int(stats[1]))
    routes, m = [], 0
    for length in out_rlen.tolist():
        route = []
        for k in range(m, m + length):
            edge, ors = prob.services[int(out_tour[k])]
            t, h = ors[min(int(out_dir[k]), len(ors) - 1)]
            route.append(Service(edge, t, h))
        m += length
        if route:
            routes.append(route)
    return NativeResult(routes, int(cost), int(stats[0]), int(stats[1]))


def solve_carp_native(
    inst: CarpInstance,
    time_limit: float = 10.0,
    *,
    seed: int = 0,
    num_vehicles: int | None = None,
    workers: int = 1,
    progress: Callable[[float, int], None] | None = None,
    tuning: dict | None = None,
) -> CarpPlan | None:
    """The native search within about ``time_limit`` seconds (everything included), warm-started
    from the constructive baseline; None when no plan within ``num_vehicles`` was found. The
    returned plan is not yet verified (the caller verifies). ``tuning``: ``iterations`` (a budget
    per worker instead of the clock), ``patience``, ``neighbours`` and the keys of
    :data:`DEFAULTS`."""
    t0 = time.perf_counter()
    if not inst.required:
        return make_plan(inst, [], solver="native-ils")
    tuning = dict(tuning or {})
    iterations = int(tuning.pop("iterations", 0))
    patience = int(tuning.pop("patience", 0)) or max(20_000, 200 * len(inst.required))
    prob = build_problem(inst, int(tuning.pop("neighbours", NEIGHBOURS)))
    init, _ = baseline_routes(inst)
    if num_vehicles is not None and len(init) > num_vehicles:
        init = split(inst, [s.edge for r in init for s in r], max_routes=num_vehicles) or init
    if num_vehicles is not None:
        room = num_vehicles
    else:  # free fleet: room for the baseline's routes and more; empty routes cost nothing
        room = max(len(init) + 2, math.ceil(1.3 * inst.total_demand / inst.capacity) + 3)
    workers = max(1, int(workers))
    lock = threading.Lock()
    best = [None]

    def report(t: float, cost: int) -> None:  # only new overall bests, from any worker
        with lock:
            if best[0] is None or cost < best[0]:
                best[0] = cost
                if progress is not None:
                    progress(time.perf_counter() - t0, cost)

    remaining = max(0.05, time_limit - (time.perf_counter() - t0) - 0.05)
    results: list[NativeResult | BaseException | None] = [None] * workers

    def work(w: int) -> None:
        try:
            results[w] = run(prob, room, remaining, seed=seed + 7919 * w, iterations=iterations,
                             patience=patience, init=init, params=tuning, progress=report)
        except BaseException as exc:  # re-raised below, in the caller's thread
            results[w] = exc

    threads = [threading.Thread(target=work, args=(w,), daemon=True) for w in range(1, workers)]
    for t in threads:
        t.start()
    work(0)
    for t in threads:
        t.join()
    for r in results:
        if isinstance(r, BaseException):
            raise r
    done = [r for r in results if r is not None]
    candidates = []
    for r in done:
        if r.routes is not None:
            plan = make_plan(inst, r.routes, solver="native-ils")
            if plan.cost != r.cost:  # the C search's own bookkeeping disagrees with the model
                raise RuntimeError(f"{inst.name}: native search reported {r.cost}, plan costs {plan.cost}")
            candidates.append(plan)
    if num_vehicles is None or len(init) <= num_vehicles:  # never worse than the warm start
        candidates.append(make_plan(inst, init, solver="native-ils"))
    if not candidates:
        return None
    plan = min(candidates, key=lambda p: p.cost)
    plan.meta = {"iterations": sum(r.iterations for r in done), "restarts": sum(r.restarts for r in done),
                 "num_vehicles_limit": num_vehicles, "workers": workers}
    return plan
