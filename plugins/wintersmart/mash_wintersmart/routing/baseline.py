"""Constructive CARP baseline: path-scanning (Golden, DeArmon & Baker 1983) + Ulusoy split.

Path-scanning builds one route at a time: from the vehicle's position it extends the route with
the nearest unserved required edge that still fits (either orientation of a two-way edge, only its
own direction for a one-way edge); ties are broken by one of five classic rules:

1. maximise the distance from the edge's head back to the depot;
2. minimise that distance;
3. maximise demand / cost;
4. minimise demand / cost;
5. rule 1 while the vehicle is less than half full, rule 2 afterwards.

Each of the five solutions is concatenated into a giant tour and re-split optimally with
Ulusoy's split (shortest path over the giant tour, with the best allowed orientation of every
edge per route, computed by dynamic programming), which can only improve it. The best plan is returned.
Deterministic and explainable: the fallback when the metaheuristic is unavailable.
"""

from __future__ import annotations

import random
import time

import numpy as np

from .instance import CarpInstance, CarpPlan, Service, make_plan

RULES = (1, 2, 3, 4, 5)


def _orientations(inst: CarpInstance, edge: int) -> list[tuple[int, int]]:
    return inst.edges[edge].orientations  # (u, v) first; one-way edges and loops: only (u, v)


def path_scanning(
    inst: CarpInstance, rule: int, rng: random.Random | None = None
) -> list[list[Service]]:
    """One path-scanning solution with tie-break ``rule`` (1–5); ``rng`` randomises the rule
    choice per step (a common diversification used for initial solutions)."""
    d = inst.sp
    depot = inst.depot
    Q = inst.capacity
    unserved = {e.index for e in inst.required}
    routes: list[list[Service]] = []
    while unserved:
        pos, load, route = depot, 0, []
        while True:
            best = None
            ties: list[tuple[int, int, int]] = []
            for idx in unserved:
                e = inst.edges[idx]
                if load + e.demand > Q:
                    continue
                for tail, head in _orientations(inst, idx):
                    dd = int(d[pos, tail])
                    if best is None or dd < best:
                        best, ties = dd, [(idx, tail, head)]
                    elif dd == best:
                        ties.append((idx, tail, head))
            if not ties:
                break
            r = rng.choice(RULES) if rng is not None else rule
            if r == 5:
                r = 1 if load < Q / 2 else 2

            def key(t: tuple[int, int, int]) -> float:
                e = inst.edges[t[0]]
                if r == 1:
                    return -int(d[t[2], depot])
                if r == 2:
                    return int(d[t[2], depot])
                ratio = e.demand / e.cost if e.cost else float("inf")
                return -ratio if r == 3 else ratio

            ties.sort(key=lambda t: (key(t), t))
            if rng is not None:
                # random choice among the equally good candidates under the rule
                k0 = key(ties[0])
                ties = [t for t in ties if key(t) == k0]
                idx, tail, head = rng.choice(ties)
            else:
                idx, tail, head = ties[0]
            route.append(Service(idx, tail, head))
            load += inst.edges[idx].demand
            pos = head
            unserved.discard(idx)
        if not route:  # pragma: no cover - excluded by demand <= capacity
            raise ValueError("a required edge does not fit into an empty vehicle")
        routes.append(route)
    return routes


def _chain_services(chain: tuple) -> list[Service]:
    """The services of a back-pointer chain ``(previous chain, (edge, tail, head))``, in order."""
    services: list[Service] = []
    while chain:
        chain, (g, t, h) = chain
        services.append(Service(g, t, h))
    services.reverse()
    return services


def split(inst: CarpInstance, giant: list[int], max_routes: int | None = None) -> list[list[Service]]:
    """Ulusoy's split of a giant tour of required edges into capacity-feasible routes, choosing
    every edge's orientation optimally among the allowed ones (O(n²) dynamic program). With ``max_routes`` the split is
    restricted to at most that many routes (O(n²·K)); returns [] when impossible."""
    depot = inst.depot
    Q = inst.capacity
    n = len(giant)
    orients = [_orientations(inst, g) for g in giant]
    costs = [inst.edges[g].cost for g in giant]
    demands = [inst.edges[g].demand for g in giant]
    inf = float("inf")
    # All distances the DP reads, as Python ints, fetched with a few vectorised lookups: per
    # position the depot → tail and head → depot legs of each orientation, and the deadheading
    # from each orientation of the previous edge to each orientation of this one.
    d = inst.sp
    flat = [(j, o, t, h) for j, ors in enumerate(orients) for o, (t, h) in enumerate(ors)]
    tails = np.array([t for _, _, t, _ in flat], dtype=np.int64)
    heads = np.array([h for _, _, _, h in flat], dtype=np.int64)
    out_legs = np.asarray(d[np.full(len(flat), depot), tails]).tolist()
    in_legs = np.asarray(d[heads, np.full(len(flat), depot)]).tolist()
    start = [0] * (n + 1)
    for j, ors in enumerate(orients):
        start[j + 1] = start[j] + len(ors)
    from_depot = [[int(x) for x in out_legs[start[j]:start[j + 1]]] for j in range(n)]
    to_depot = [[int(x) for x in in_legs[start[j]:start[j + 1]]] for j in range(n)]
    pairs = [(start[j - 1] + p, start[j] + o) for j in range(1, n)
             for p in range(len(orients[j - 1])) for o in range(len(orients[j]))]
    legs = np.asarray(d[heads[[a for a, _ in pairs]], tails[[b for _, b in pairs]]]).tolist() if pairs else []
    between: list[list[list[int]]] = [[]]
    k = 0
    for j in range(1, n):
        rows = []
        for _ in orients[j - 1]:
            rows.append([int(x) for x in legs[k:k + len(orients[j])]])
            k += len(orients[j])
        between.append(rows)
    # seg[i] = list of (j, cost, chain of the services) for routes giant[i:j]
    segs: list[list[tuple[int, float, tuple]]] = [[] for _ in range(n)]
    for i in range(n):
        load = 0
        # DP over orientations: cost[o] / chain[o] of the best route giant[i..j] ending with
        # orientation o of giant[j]; chains are back-pointer tuples (previous chain, service)
        cost: list[int] = []
        chain: list[tuple] = []
        for j in range(i, n):
            load += demands[j]
            if load > Q:
                break
            new_cost, new_chain = [], []
            for o, (tail, head) in enumerate(orients[j]):
                if j == i:
                    c, prev = from_depot[j][o], ()
                else:
                    m = between[j]
                    c, prev = cost[0] + m[0][o], chain[0]
                    for p in range(1, len(cost)):  # the first of equal costs, as min() would
                        if cost[p] + m[p][o] < c:
                            c, prev = cost[p] + m[p][o], chain[p]
                new_cost.append(c + costs[j])
                new_chain.append((prev, (giant[j], tail, head)))
            cost, chain = new_cost, new_chain
            back = to_depot[j]
            c_end, chain_end = cost[0] + back[0], chain[0]
            for o in range(1, len(cost)):
                if cost[o] + back[o] < c_end:
                    c_end, chain_end = cost[o] + back[o], chain[o]
            # the chain, not its services: reading every segment's services out would cost
            # O(n·L²) — only the segments of the chosen split are read (:func:`_chain_services`)
            segs[i].append((j + 1, c_end, chain_end))
    if max_routes is None:
        v = [inf] * (n + 1)
        pred: list[tuple[int, tuple] | None] = [None] * (n + 1)
        v[0] = 0
        for i in range(n):
            if v[i] == inf:
                continue
            for j, c, chain in segs[i]:
                if v[i] + c < v[j]:
                    v[j] = v[i] + c
                    pred[j] = (i, chain)
        routes = []
        k = n
        while k > 0:
            i, chain = pred[k]  # type: ignore[misc]
            routes.append(_chain_services(chain))
            k = i
        return routes[::-1]
    K = max_routes
    v = [[inf] * (n + 1) for _ in range(K + 1)]
    predk: list[list[tuple[int, tuple] | None]] = [[None] * (n + 1) for _ in range(K + 1)]
    v[0][0] = 0
    for k in range(K):
        for i in range(n):
            if v[k][i] == inf:
                continue
            for j, c, chain in segs[i]:
                if v[k][i] + c < v[k + 1][j]:
                    v[k + 1][j] = v[k][i] + c
                    predk[k + 1][j] = (i, chain)
    kbest = min(range(K + 1), key=lambda k: v[k][n])
    if v[kbest][n] == inf:
        return []
    routes = []
    pos, k = n, kbest
    while pos > 0:
        i, chain = predk[k][pos]  # type: ignore[misc]
        routes.append(_chain_services(chain))
        pos, k = i, k - 1
    return routes[::-1]


def improve_by_split(inst: CarpInstance, routes: list[list[Service]]) -> list[list[Service]]:
    giant = [s.edge for r in routes for s in r]
    return split(inst, giant) or routes


def baseline_routes(inst: CarpInstance) -> tuple[list[list[Service]], str]:
    best: tuple[int, list[list[Service]], str] | None = None
    for rule in RULES:
        routes = improve_by_split(inst, path_scanning(inst, rule))
        plan = make_plan(inst, routes, solver="")
        if best is None or plan.cost < best[0]:
            best = (plan.cost, routes, f"rule{rule}")
    assert best is not None
    return best[1], best[2]


def solve_baseline(inst: CarpInstance) -> CarpPlan:
    """Best of the five path-scanning rules, each improved by Ulusoy split; verified."""
    from .verify import verify_carp_plan

    t0 = time.perf_counter()
    routes, rule = baseline_routes(inst)
    plan = make_plan(
        inst, routes, solver="path-scanning+split", runtime_s=time.perf_counter() - t0,
        meta={"rule": rule},
    )
    verify_carp_plan(inst, plan)
    plan.verified = True
    return plan
