"""CARP solver ``pyvrp``: PyVRP's iterated local search on the generalised-VRP encoding, with arc-routing
moves PyVRP cannot make applied to its result.

Pipeline (every step keeps a verified incumbent):

1. constructive baseline (path-scanning + split), improved by the flip moves → warm start;
2. PyVRP ILS on the client-group encoding with PyVRP's own search settings (its granular
   neighbourhood of 50, 1–25 perturbations, late acceptance over 300 iterations), optionally with
   a fixed fleet (``num_vehicles``), as one long run (``rounds`` = 1) that ends at the time limit
   or, once its best has not improved for ``patience`` iterations (:class:`RoundStop`: it has
   *converged*), restarts from a random solution;
3. after each run: decode to routes of oriented services, apply :mod:`.flipmoves` (reversal of a
   stretch and cross-over of two routes, both with every service flipped), re-optimise every
   route's orientations and the split of the giant tour by dynamic programming (never worse),
   keep the best as the incumbent;
4. independent verification (:mod:`.verify`) by :func:`.solver.solve_carp` before the plan is
   returned.

Why these settings (measured at equal iteration budgets, seed 0):
splitting the time into several ILS rounds restarts the late-acceptance history and the penalty
manager each time, and a CARP-specific neighbourhood of 40 with at most 10 perturbations let the
search settle early — on egl-s4-C, egl-s2-B and egl-e4-C the earlier defaults (8 rounds) reached
1.59 % mean gap at 150,000 iterations where PyVRP's plain ``solve`` reached 0.39 %. Restarts
after convergence still pay on the small instances (gdb, val), hence a patience that grows with
the number of required edges (``max(5000, 150 · |E_R|)``).

What did not help (egl-s2-A/B, s3-B, s4-A/C and egl-e4-C, 30 s, seed 0, mean gap 1.40 % with
these defaults; single-seed noise about ±0.2–0.3 %): late-acceptance history 30 / 100 / 1000 / 3000
(1.54 / 1.17 / 1.47 / 2.23 %), up to 50 perturbations (1.73 %), PyVRP's own restart from the best
(1.58 %), the edge neighbourhood (1.32 %), PyVRP's Relocate3/Swap31–33 (1.44 %), a patience of
8000 (1.15–1.33 %), restarts from a route-based crossover of the best plans (1.37–1.38 %), the
capacity penalty's feasibility target 0.4 / 0.85 (1.39 / 1.31 %), re-solving groups of five nearby
routes after 15 s (1.61 → 1.47 %, no better than 30 s of the ILS). The flip moves and re-split found
nothing to improve on the ILS's bests there. The same six reach 0.71 % at 120 s: on egl-s the
search is limited by its speed (about 1,600 iterations per second on a 2.5 GHz core), not its
settings.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait

import numpy as np
import pyvrp
from pyvrp.search import NeighbourhoodParams, compute_neighbours

from .baseline import baseline_routes, split
from .encoding import decode, encode, to_solution
from .flipmoves import improve
from .instance import UNREACHABLE, CarpInstance, CarpPlan, Service, make_plan
from .solver import NoFeasiblePlan


def polish(
    inst: CarpInstance, routes: list[list[Service]], max_routes: int | None = None
) -> list[list[Service]]:
    """Optimal orientations per route, then an optimal re-split of the giant tour (keeps the
    better; respects ``max_routes``)."""
    oriented = [split(inst, [s.edge for s in r], max_routes=1)[0] for r in routes if r]
    best = oriented
    best_cost = make_plan(inst, oriented, "").cost
    resplit = split(inst, [s.edge for r in oriented for s in r], max_routes=max_routes)
    if resplit:
        c = make_plan(inst, resplit, "").cost
        if c < best_cost:
            best, best_cost = resplit, c
    return best


def carp_neighbours(
    inst: CarpInstance, enc, k: int, mode: str = "edge"
) -> dict[pyvrp.Activity, list[pyvrp.Activity]]:
    """Granular neighbourhood on deadheading distance: j is close to i when either can follow the
    other with little deadheading, min(SP(head_i, tail_j), SP(head_j, tail_i)); the other
    orientation of the same edge is excluded (they are mutually exclusive anyway)."""
    sp = inst.sp
    svc = enc.services
    n = len(svc)
    tails = np.array([s.tail for s in svc])
    heads = np.array([s.head for s in svc])
    dd = sp[np.ix_(heads, tails)]
    prox = np.minimum(dd, dd.T).astype(float)
    edge = np.array([s.edge for s in svc])
    if mode == "edge":
        # edge-level proximity: closest endpoints, so both orientations of a near edge qualify
        both = np.minimum(sp[np.ix_(heads, heads)], sp[np.ix_(tails, tails)])
        prox = np.minimum(prox, both).astype(float)
    prox[edge[:, None] == edge[None, :]] = np.inf
    # tie-break by the service cost so that short adjacent edges come first
    k = min(k, n - 1)
    out = {}
    for i in range(n):
        order = np.argsort(prox[i], kind="stable")[:k]
        out[pyvrp.Activity(pyvrp.ActivityType.CLIENT, i)] = [
            pyvrp.Activity(pyvrp.ActivityType.CLIENT, int(j)) for j in order if np.isfinite(prox[i, j])
        ]
    return out


def _ils(inst, enc, stop, seed, init, neighbours, callbacks, *,
         min_perturbations=1, max_perturbations=25, history_length=300,
         num_iters_no_improvement=150_000, operators=None):
    from pyvrp.search import OPERATORS, LocalSearch, PerturbationManager, PerturbationParams

    data = enc.data
    rng = pyvrp.RandomNumberGenerator(seed=seed)
    perturbation = PerturbationManager(PerturbationParams(min_perturbations, max_perturbations))
    ls = LocalSearch(data, rng, neighbours, perturbation)
    for op in operators or OPERATORS:
        if op.supports(data):
            ls.add_operator(op(data))
    pparams = pyvrp.PenaltyParams()
    pm = pyvrp.PenaltyManager(pparams.midpoint_penalties(data), pparams)
    if init is None:
        init = ls(pyvrp.Solution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    params = pyvrp.IteratedLocalSearchParams(
        num_iters_no_improvement=num_iters_no_improvement,
        history_length=history_length,
        callbacks=callbacks,
    )
    algo = pyvrp.IteratedLocalSearch(data, pm, ls, init, params)
    return algo.run(stop, collect_stats=False)


class RoundStop:
    """Stopping criterion of one ILS round: at ``end`` (``time.perf_counter``), after
    ``max_iterations`` (if given), or once the best cost has not improved for ``patience``
    iterations — then the round has *converged* and the next one restarts elsewhere."""

    def __init__(self, end: float | None, patience: int, max_iterations: int | None = None):
        self.end = end
        self.patience = patience
        self.max_iterations = max_iterations
        self.best = float("inf")
        self.since = self.iterations = 0
        self.converged = False

    def __call__(self, best_cost: float) -> bool:
        self.iterations += 1
        if best_cost < self.best:
            self.best, self.since = best_cost, 0
        else:
            self.since += 1
        if self.since >= self.patience:
            self.converged = True
            return True
        if self.max_iterations is not None and self.iterations > self.max_iterations:
            return True
        return self.end is not None and time.perf_counter() >= self.end


class _Search:
    """One process's search state: the encoding, the neighbourhood and the ILS settings. A round
    runs the ILS from an incumbent and returns the decoded, flip-improved, re-split routes."""

    def __init__(self, inst, fleet, fixed_cost, num_vehicles, num_neighbours, tuning):
        tuning = dict(tuning)
        self.inst = inst
        self.num_vehicles = num_vehicles
        self.enc = encode(inst, num_vehicles=fleet, fixed_cost=fixed_cost)
        neighbourhood = tuning.pop("neighbourhood", "pyvrp")
        if neighbourhood in ("carp", "edge"):
            self.neighbours = carp_neighbours(inst, self.enc, num_neighbours, mode=neighbourhood)
        else:
            self.neighbours = compute_neighbours(
                self.enc.data, NeighbourhoodParams(num_neighbours=num_neighbours)
            )
        self.tuning = tuning

    def round(self, incumbent, seed, stop: RoundStop, callbacks=None):
        """(routes or None, iterations, converged) of one ILS round from ``incumbent`` (None: a
        random start)."""
        start = to_solution(self.enc, incumbent) if incumbent is not None else None
        res = _ils(self.inst, self.enc, stop, seed, start, self.neighbours, callbacks, **self.tuning)
        if not res.best.is_feasible():
            return None, res.num_iterations, stop.converged
        found = decode(self.enc, res.best)
        found = polish(self.inst, improve(self.inst, found), max_routes=self.num_vehicles)
        return found, res.num_iterations, stop.converged


_worker_search: _Search | None = None


def _worker_init(args) -> None:
    global _worker_search
    _worker_search = _Search(*args)


def _worker_round(incumbent, seed, deadline, iterations, patience):
    assert _worker_search is not None
    # the pool may start late: the round ends at the shared deadline (CLOCK_MONOTONIC is
    # system-wide)
    stop = RoundStop(None if iterations else deadline, patience, iterations or None)
    return _worker_search.round(incumbent, seed, stop)


def solve_carp_pyvrp(
    inst: CarpInstance,
    time_limit: float = 10.0,
    *,
    seed: int = 0,
    num_vehicles: int | None = None,
    num_neighbours: int = 50,
    workers: int = 1,
    progress: Callable[[float, int], None] | None = None,
    tuning: dict | None = None,
) -> CarpPlan:
    """Solve ``inst`` within about ``time_limit`` seconds (wall clock, everything included).

    ``num_vehicles`` limits the fleet; raises :class:`NoFeasiblePlan` if no plan within the
    limit was found. ``progress(elapsed_s, best_cost)`` is called on every new best.
    ``workers`` > 1 runs that many searches in parallel processes, each with its own seeds; a
    worker whose round ends starts its next one at once (a converged worker restarts, the others
    go on); the best plan of all is kept.
    ``tuning`` passes search parameters through (``rounds`` — the longest round is
    ``time_limit / rounds``, default 1; ``patience`` — iterations without a new best that end a
    round (default ``max(5000, 150 · required edges)``); ``restart`` — restart after a converged
    round (default on); ``warm_start`` — begin from the improved baseline (default on) or from a
    random solution; ``iterations`` — a total ILS iteration budget instead of the clock, for
    reproducible experiments; ``neighbourhood`` = ``pyvrp`` (default) | ``edge`` | ``carp``, ``min_perturbations``,
    ``max_perturbations``, ``history_length``, ``num_iters_no_improvement``,
    ``fixed_cost_factor`` — a per-vehicle fixed cost in units of the mean depot distance that
    biases the search towards fewer routes; the returned cost is always the true CARP cost).
    """
    t0 = time.perf_counter()
    deadline = t0 + time_limit
    init_routes, _ = baseline_routes(inst)
    # Unlimited fleet: give the search the baseline's route count plus slack, not one vehicle
    # per required edge (empty routes only cost search time).
    fleet = num_vehicles
    if fleet is None:
        fleet = max(len(init_routes) + 2, int(1.25 * len(init_routes)) + 1)
    tuning = dict(tuning or {})
    fc = tuning.pop("fixed_cost_factor", 0.0)
    if fc:  # in units of the mean depot distance (vertices the depot cannot reach left out)
        row = np.asarray(inst.sp[inst.depot])
        fixed_cost = int(fc * float(np.mean(row[row < UNREACHABLE])))
    else:
        fixed_cost = 0
    rounds = max(1, int(tuning.pop("rounds", 1)))
    budget = tuning.pop("iterations", None)
    restart = bool(tuning.pop("restart", True))
    warm = bool(tuning.pop("warm_start", True))
    patience = int(tuning.pop("patience", 0)) or max(5000, 150 * len(inst.required))
    if num_vehicles is not None and len(init_routes) > num_vehicles:
        fitted = split(inst, [s.edge for r in init_routes for s in r], max_routes=num_vehicles)
        init_routes = fitted or init_routes

    def cost(routes: list[list[Service]]) -> int:
        return make_plan(inst, routes, "").cost

    # The ILS runs in rounds; between rounds its best solution gets the arc-routing moves PyVRP
    # cannot make (stretch reversal, cross with flip) and an optimal re-split, and the next round
    # starts from the improved incumbent.
    incumbent: list[list[Service]] | None = None
    polish_s = 0.0
    if num_vehicles is None or len(init_routes) <= num_vehicles:
        t_polish = time.perf_counter()
        incumbent = polish(inst, improve(inst, init_routes), max_routes=num_vehicles)
        polish_s = time.perf_counter() - t_polish
        if cost(incumbent) > cost(init_routes):
            incumbent = init_routes
    search_args = (inst, fleet, fixed_cost, num_vehicles, num_neighbours, tuning)
    iterations = 0
    workers = max(1, int(workers))
    pool = None
    if workers > 1:
        # fork is fast, but only safe without other threads (a web or worker process has them:
        # it gets spawned workers, which import PyVRP first and so start a few seconds later)
        method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
        pool = ProcessPoolExecutor(
            max_workers=workers, mp_context=mp.get_context(method),
            initializer=_worker_init, initargs=(search_args,),
        )
        search = None
    else:
        search = _Search(*search_args)

    incumbent_cost = cost(incumbent) if incumbent is not None else None
    reported = [incumbent_cost]

    def report(value: int) -> None:  # only new overall bests (a restarted round starts worse)
        if progress is not None and (reported[0] is None or value < reported[0]):
            reported[0] = value
            progress(time.perf_counter() - t0, value)

    class _Progress(pyvrp.IteratedLocalSearchCallbacks):
        def on_best(self, best: pyvrp.Solution) -> None:
            if best.is_feasible():
                report(best.distance())

    # kept for the last run's flip moves and re-split and the verification: on a network of a
    # thousand required segments these take a second or two (measured: twice the first polish)
    reserve = max(0.15, 2.5 * polish_s) if budget is None else 0.0
    # Every worker runs its own chain of rounds; a worker whose round ends is given its next round
    # at once (a converged one does not wait for the others — on two cores that idled a core for
    # up to half the time limit).
    seeds = itertools.count(seed)
    # ILS iterations per worker: its budget's use, and (> 0) whether its first round has run —
    # every worker gets one round however little time is left
    used = [0] * workers
    pending: dict[Future, int] = {}

    def submit(w: int, start: list[list[Service]] | None) -> None:
        remaining = deadline - reserve - time.perf_counter()
        if budget is not None and used[w] >= budget or budget is None and remaining <= 0.05 and used[w]:
            return
        round_end = time.perf_counter() + max(0.05, min(remaining, time_limit / rounds))
        per_round = min(max(1, int(budget) // rounds), int(budget) - used[w]) if budget else 0
        if pool is None:
            stop = RoundStop(None if budget else round_end, patience, per_round or None)
            fut: Future = Future()
            fut.set_result(search.round(start, next(seeds), stop, _Progress()))
        else:
            fut = pool.submit(_worker_round, start, next(seeds), round_end, per_round, patience)
        pending[fut] = w

    try:
        for w in range(workers):
            submit(w, incumbent if warm else None)
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=pending.get):
                w = pending.pop(fut)
                found, its, converged = fut.result()
                # a converged round ends early: the rest of its budget goes to the next round
                used[w] += max(1, its)
                iterations += its
                found_cost = cost(found) if found is not None else None
                if found_cost is not None and (incumbent is None or found_cost < incumbent_cost):
                    incumbent, incumbent_cost = found, found_cost
                    report(incumbent_cost)
                # A converged round (no new best for `patience` iterations) has exhausted its
                # basin: the worker's next round restarts from a random solution, the incumbent
                # is kept. Otherwise it goes on from this round's result.
                submit(w, None if converged and restart else (found or incumbent))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    candidates: list[list[list[Service]]] = []
    if incumbent is not None:
        candidates.append(incumbent)
    if num_vehicles is None or len(init_routes) <= num_vehicles:
        candidates.append(init_routes)
    if not candidates:
        raise NoFeasiblePlan(f"{inst.name}: no plan with at most {num_vehicles} vehicles found")
    plans = [make_plan(inst, c, solver="pyvrp-gvrp") for c in candidates]
    plan = min(plans, key=lambda p: p.cost)
    plan.runtime_s = time.perf_counter() - t0
    plan.seed = seed
    plan.meta = {"iterations": iterations, "num_vehicles_limit": num_vehicles, "workers": workers,
                 "rounds": rounds}
    return plan  # solve_carp verifies it
