"""The native CARP search (routing/_carp_search.c via routing/native.py) and the solver drivers."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from mash_wintersmart.routing import (
    CarpInstance,
    Edge,
    NoFeasiblePlan,
    UnknownSolver,
    make_plan,
    read_carp,
    solve_baseline,
    solve_carp,
    solver_names,
    verify_carp_plan,
)
from mash_wintersmart.routing.baseline import split
from mash_wintersmart.routing.native import build_problem, run, solve_carp_native

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "carp"
needs_data = pytest.mark.skipif(not (DATA / "gdb1.dat").exists(), reason="shared CARP data not present")


def tiny_mixed(seed: int, n_required: int = 6) -> CarpInstance:
    """A small strongly connected mixed graph (a one-way ring plus random one- and two-way edges)
    with ``n_required`` required edges and a capacity that needs two or three trips."""
    rng = random.Random(seed)
    n = 7
    spec = [(i, (i + 1) % n, True) for i in range(n)]
    spec += [(rng.randrange(n), rng.randrange(n), rng.random() < 0.4) for _ in range(8)]
    spec = [(u, v, ow) for u, v, ow in spec if u != v]
    required = set(rng.sample(range(len(spec)), n_required))
    edges = [Edge(i, u, v, rng.randint(1, 20), demand=rng.randint(2, 5) if i in required else 0, oneway=ow)
             for i, (u, v, ow) in enumerate(spec)]
    return CarpInstance(name=f"tiny{seed}", n_vertices=n, capacity=10, depot=0, edges=edges)


def brute_force_optimum(inst: CarpInstance) -> int:
    """Every order of the required edges, split optimally (best directions, capacity): for a free
    fleet the best of these is the optimum."""
    req = [e.index for e in inst.required]
    return min(make_plan(inst, split(inst, list(p)), "x").cost for p in itertools.permutations(req))


def exhaustive_split(inst: CarpInstance, giant: list[int], max_routes: int | None = None) -> int | None:
    """The cheapest cut of ``giant`` into capacity-feasible trips, every edge in every allowed
    direction tried: what :func:`split` must find (its cost; None when no cut fits)."""
    from mash_wintersmart.routing import Service

    n, best = len(giant), None
    for cuts in itertools.product((False, True), repeat=n - 1):
        trips, cur = [], [giant[0]]
        for g, cut in zip(giant[1:], cuts):
            if cut:
                trips.append(cur)
                cur = []
            cur.append(g)
        trips.append(cur)
        if (max_routes is not None and len(trips) > max_routes
                or any(sum(inst.edges[g].demand for g in t) > inst.capacity for t in trips)):
            continue
        for dirs in itertools.product(*(inst.orientations(g) for g in giant)):
            it = iter(dirs)
            routes = [[Service(g, *next(it)) for g in t] for t in trips]
            cost = make_plan(inst, routes, "x").cost
            best = cost if best is None else min(best, cost)
    return best


@pytest.mark.parametrize("seed", range(5))
def test_split_is_the_cheapest_cut_and_directions(seed):
    inst = tiny_mixed(200 + seed, n_required=7)
    rng = random.Random(seed)
    for _ in range(3):
        giant = [e.index for e in inst.required]
        rng.shuffle(giant)
        for max_routes in (None, 2, 3):
            routes = split(inst, giant, max_routes)
            expected = exhaustive_split(inst, giant, max_routes)
            if expected is None:
                assert routes == []
                continue
            plan = make_plan(inst, routes, "x")
            verify_carp_plan(inst, plan, max_vehicles=max_routes)
            assert [s.edge for r in routes for s in r] == giant and plan.cost == expected


@pytest.mark.parametrize("seed", range(6))
def test_reaches_the_brute_force_optimum_on_tiny_mixed_instances(seed):
    inst = tiny_mixed(seed)
    plan = solve_carp(inst, time_limit=5, seed=seed, tuning={"iterations": 2000})
    assert plan.verified and plan.solver == "native-ils"
    assert plan.cost == brute_force_optimum(inst)
    for r in plan.routes:  # one-way streets only in their direction
        for s in r.services:
            assert inst.edges[s.edge].allows(s.tail, s.head)


def test_reported_costs_equal_the_model_on_random_mixed_instances():
    # solve_carp_native raises when the C bookkeeping and the Python cost model disagree; many
    # seeds and perturbations exercise every move type, with one-way streets and parallel edges
    for seed in range(8):
        inst = tiny_mixed(100 + seed, n_required=9)
        plan = solve_carp_native(inst, 5, seed=seed, tuning={"iterations": 3000, "patience": 500})
        verify_carp_plan(inst, plan)
        assert plan.cost <= solve_baseline(inst).cost
        assert plan.meta["restarts"] > 0  # patience 500 within 3000 iterations


@needs_data
def test_gdb1_optimum_quickly():
    inst = read_carp(DATA / "gdb1.dat")
    found = []
    plan = solve_carp(inst, time_limit=2.0, seed=1, progress=lambda t, c: found.append(c))
    assert plan.cost == inst.ub == 316 and plan.runtime_s < 3.0
    assert found == sorted(found, reverse=True) and found[-1] == 316


@needs_data
def test_iteration_budget_is_reproducible():
    inst = read_carp(DATA / "val4D.dat")
    runs = [solve_carp(inst, time_limit=60, seed=3, tuning={"iterations": 1500}) for _ in range(2)]
    assert runs[0].cost == runs[1].cost
    assert [r.services for r in runs[0].routes] == [r.services for r in runs[1].routes]
    assert runs[0].meta["iterations"] == 1500


@needs_data
def test_two_workers_run_in_threads_and_report_only_new_bests():
    inst = read_carp(DATA / "gdb8.dat")
    found = []
    plan = solve_carp(inst, time_limit=60, seed=0, workers=2, tuning={"iterations": 800},
                      progress=lambda t, c: found.append(c))
    assert plan.meta["workers"] == 2 and plan.meta["iterations"] == 2 * 800
    assert found == sorted(set(found), reverse=True) and found[-1] == plan.cost


@needs_data
def test_fleet_limited_plan_and_impossible_fleet():
    inst = read_carp(DATA / "egl-e1-A.dat")
    plan = solve_carp(inst, time_limit=3, seed=0, num_vehicles=inst.n_vehicles)
    assert plan.verified and plan.n_vehicles <= inst.n_vehicles
    for fleet in (inst.total_demand // inst.capacity - 1, 1):  # less capacity than demand
        with pytest.raises(NoFeasiblePlan):
            solve_carp(inst, time_limit=1, num_vehicles=fleet)


def test_run_rejects_unknown_parameters_and_an_incomplete_warm_start():
    inst = tiny_mixed(1)
    prob = build_problem(inst)
    with pytest.raises(ValueError, match="unknown search parameter"):
        run(prob, 5, 0.1, params={"histroy": 10})
    with pytest.raises(ValueError, match="every required edge"):
        run(prob, 5, 0.1, init=[solve_baseline(inst).routes[0].services])


def test_solver_drivers():
    assert {"native", "pyvrp"} <= set(solver_names())
    inst = tiny_mixed(2)
    assert solve_carp(inst, 1, solver="pyvrp", tuning={"iterations": 200}).solver == "pyvrp-gvrp"
    with pytest.raises(UnknownSolver, match="installed: "):
        solve_carp(inst, 1, solver="hgs-missing")
