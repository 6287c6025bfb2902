"""Route planning: CARP parser, verifier, solvers (the PyVRP driver's own behaviour here; the native
one in test_native_search.py), baseline, refill tours, export."""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mash_wintersmart.routing import (
    CarpFormatError,
    CarpPlan,
    CarpRoute,
    PlanVerificationError,
    RefillBin,
    RefillProblem,
    Service,
    carp_plan_geojson,
    carp_plan_gpx,
    make_plan,
    parse_carp,
    read_carp,
    refill_plan_geojson,
    refill_plan_gpx,
    solve_baseline,
    solve_carp,
    solve_refill,
    verify_carp_plan,
    verify_refill_plan,
)
from mash_wintersmart.routing.baseline import path_scanning, split
from mash_wintersmart.routing.encoding import decode, encode, to_solution

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "carp"

# A tiny instance in the shared format: square 0-1-2-3 with a diagonal 0-2 (not required).
#   0 --3-- 1
#   |  \    |
#   4   5   2
#   |     \ |
#   3 --6-- 2
SMALL = """
4
5
0 1 3 2
1 2 2 2
2 3 6 3
3 0 4 1
0 2 5 0
2
5
15
15
"""


@pytest.fixture
def small():
    inst = parse_carp(SMALL, name="square")
    inst.coords = {0: (8.69, 49.41), 1: (8.70, 49.41), 2: (8.70, 49.40), 3: (8.69, 49.40)}
    return inst


@pytest.fixture(scope="module")
def gdb1():
    path = DATA / "gdb1.dat"
    if not path.exists():
        pytest.skip("shared CARP data not available")
    return read_carp(path)


def _plan(inst, routes):
    return make_plan(inst, [[Service(*s) for s in r] for r in routes], solver="test")


# --- parser ------------------------------------------------------------------------------


def test_parser_small(small):
    assert small.n_vertices == 4 and len(small.edges) == 5
    assert [e.index for e in small.required] == [0, 1, 2, 3]
    assert small.edges[4].required is False
    assert (small.capacity, small.n_vehicles, small.lb, small.ub, small.depot) == (5, 2, 15, 15, 0)
    assert small.total_demand == 8
    # shortest path 1 -> 3: 1-0-3 = 7 (vs 1-2-3 = 8)
    assert small.sp[1, 3] == 7 and small.sp[0, 2] == 5


def test_parser_gdb1(gdb1):
    assert gdb1.name == "gdb1"
    assert gdb1.n_vertices == 12 and len(gdb1.required) == 22
    assert (gdb1.capacity, gdb1.n_vehicles, gdb1.ub) == (5, 5, 316)


def test_parser_rejects_bad_files():
    with pytest.raises(CarpFormatError):
        parse_carp("3\n2\n0 1 1 1\n")  # truncated
    with pytest.raises(CarpFormatError):
        parse_carp("2\n1\n0 5 1 1\n1\n5\n0\n0\n")  # unknown vertex
    with pytest.raises(CarpFormatError):
        parse_carp("2\n1\n0 1 1 9\n1\n5\n0\n0\n")  # demand > capacity


# --- verifier ----------------------------------------------------------------------------

# optimal for the square: 0->1->2 (load 4, cost 3+2+5=10) and 0->3->2 (load 4, 4+6+5=15)?
# cheaper: route A 0-1-2 back via 2-0 (5): 3+2+5=10; route B 0-3-2 back via 2-0: 4+6+5=15 -> 25.
VALID = [[(0, 0, 1), (1, 1, 2)], [(3, 0, 3), (2, 3, 2)]]


def test_verifier_accepts_valid_plan(small):
    plan = _plan(small, VALID)
    report = verify_carp_plan(small, plan)
    assert report.cost == plan.cost == 25
    assert report.loads == [4, 4]


def test_verifier_missing_edge(small):
    plan = _plan(small, [[(0, 0, 1), (1, 1, 2)], [(3, 0, 3)]])
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan)
    assert "missing" in exc.value.kinds


def test_verifier_served_twice(small):
    plan = _plan(small, [[(0, 0, 1), (1, 1, 2)], [(3, 0, 3), (2, 3, 2)], [(0, 1, 0)]])
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan)
    assert exc.value.kinds == {"duplicate"}


def test_verifier_capacity_exceeded(small):
    plan = _plan(small, [[(0, 0, 1), (1, 1, 2), (2, 2, 3), (3, 3, 0)]])
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan)
    assert exc.value.kinds == {"capacity"}


def test_verifier_wrong_cost(small):
    plan = _plan(small, VALID)
    plan.cost -= 1
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan)
    assert exc.value.kinds == {"cost"}
    plan = _plan(small, VALID)
    plan.routes[0].cost = 7  # claims a shortcut
    plan.cost = sum(r.cost for r in plan.routes)
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan)
    assert "cost" in exc.value.kinds


def test_verifier_depot_orientation_fleet_and_non_required(small):
    plan = _plan(small, VALID)
    bad = copy.deepcopy(plan)
    bad.routes[0].start = 1
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, bad)
    assert "depot" in exc.value.kinds
    bad = copy.deepcopy(plan)
    bad.routes[0].services[0] = Service(0, 0, 2)  # edge 0 is {0,1}
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, bad)
    assert "orientation" in exc.value.kinds
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, plan, max_vehicles=1)
    assert exc.value.kinds == {"fleet"}
    bad = _plan(small, VALID + [[(4, 0, 2)]])
    with pytest.raises(PlanVerificationError) as exc:
        verify_carp_plan(small, bad)
    assert exc.value.kinds == {"not_required"}


# --- encoding, baseline, solver --------------------------------------------------------------


def test_encoding_cost_equals_carp_cost(gdb1):
    enc = encode(gdb1)
    assert enc.data.num_clients == 2 * 22 and enc.data.num_groups == 22
    assert all(g.mutually_exclusive and g.required for g in enc.data.groups())
    routes = path_scanning(gdb1, 1)
    sol = to_solution(enc, routes)
    assert sol.is_feasible() and sol.distance() == make_plan(gdb1, routes, "x").cost
    assert decode(enc, sol) == routes


def test_baseline_valid(gdb1, small):
    for inst in (gdb1, small):
        plan = solve_baseline(inst)
        assert plan.verified
        verify_carp_plan(inst, plan)
        assert plan.cost >= inst.lb
    assert solve_baseline(small).cost == 25


def test_split_respects_route_limit(gdb1):
    giant = [s.edge for r in path_scanning(gdb1, 2) for s in r]
    routes = split(gdb1, giant, max_routes=gdb1.n_vehicles)
    assert routes and len(routes) <= gdb1.n_vehicles
    verify_carp_plan(gdb1, make_plan(gdb1, routes, "x"), max_vehicles=gdb1.n_vehicles)


def test_solver_gdb1_small_gap(gdb1):
    progress = []
    plan = solve_carp(gdb1, time_limit=2.0, seed=1, progress=lambda t, c: progress.append(c))
    assert plan.verified
    verify_carp_plan(gdb1, plan)
    assert plan.cost <= gdb1.ub * 1.01
    assert plan.runtime_s < 4.0
    assert plan.cost <= solve_baseline(gdb1).cost


def test_solver_fleet_limited(gdb1):
    plan = solve_carp(gdb1, time_limit=1.0, seed=2, num_vehicles=gdb1.n_vehicles)
    assert plan.verified and plan.n_vehicles <= gdb1.n_vehicles


def test_solver_parallel_workers_share_rounds(gdb1):
    progress = []
    plan = solve_carp(gdb1, time_limit=3.0, seed=0, workers=2, num_vehicles=gdb1.n_vehicles,
                      progress=lambda t, c: progress.append(c), solver="pyvrp")
    assert plan.verified and plan.n_vehicles <= gdb1.n_vehicles
    assert plan.meta["workers"] == 2 and plan.meta["iterations"] > 0
    assert plan.cost <= gdb1.ub * 1.02 and plan.runtime_s < 6.0
    assert progress == sorted(progress, reverse=True)  # only new bests are reported


def test_solver_iteration_budget_is_reproducible(gdb1):
    runs = [solve_carp(gdb1, time_limit=60, seed=3, tuning={"iterations": 400, "rounds": 2}, solver="pyvrp")
            for _ in range(2)]
    assert runs[0].cost == runs[1].cost and runs[0].meta["iterations"] == 400


def test_parallel_workers_restart_on_their_own(gdb1):
    # Each worker searches its whole budget: a converged worker restarts at once instead of waiting
    # for the other (patience 100 makes both converge many times within 1,500 iterations).
    plan = solve_carp(gdb1, time_limit=60, seed=0, workers=2,
                      tuning={"iterations": 1500, "patience": 100}, solver="pyvrp")
    assert plan.verified and plan.meta["iterations"] == 2 * 1500
    assert plan.cost <= gdb1.ub * 1.02


def test_solver_small_optimum(small):
    plan = solve_carp(small, time_limit=0.3)
    assert plan.cost == 25 and plan.verified


# --- prize-collecting refill tours -------------------------------------------------------------


def _refill_problem(**kw):
    # bins on a line east of the depot; 10 m per unit
    bins = [
        RefillBin(id=f"b{i}", demand=d, required=req, prize=p, lon=8.69 + 0.001 * x, lat=49.41)
        for i, (x, d, req, p) in enumerate([
            (1, 40, True, 0), (2, 30, True, 0), (3, 50, False, 5000), (30, 20, False, 10),
            (4, 60, True, 0), (5, 35, False, 8000),
        ])
    ]
    return RefillProblem(bins=bins, capacity=kw.pop("capacity", 120), depot=(8.69, 49.41), **kw)


def test_refill_picks_required_and_respects_capacity():
    problem = _refill_problem(num_vehicles=2)
    plan = solve_refill(problem, time_limit=1.0, seed=1)
    assert plan.verified
    visited = {b for r in plan.routes for b in r.bins}
    assert {0, 1, 4} <= visited  # all required bins
    assert 3 in plan.skipped  # far away, tiny prize: not worth the detour
    assert {2, 5} <= visited  # near, big prize
    assert all(r.load <= problem.capacity for r in plan.routes)
    assert len(plan.routes) <= 2
    assert plan.uncollected_prize == 10


def test_refill_verifier_catches_bad_plans():
    problem = _refill_problem()
    plan = solve_refill(problem, time_limit=0.5)
    bad = copy.deepcopy(plan)
    bad.routes[0].bins.remove(next(b for b in bad.routes[0].bins if problem.bins[b].required))
    with pytest.raises(PlanVerificationError) as exc:
        verify_refill_plan(problem, bad)
    assert "missing" in exc.value.kinds
    bad = copy.deepcopy(plan)
    bad.routes[0].load = 10**6
    with pytest.raises(PlanVerificationError):
        verify_refill_plan(problem, bad)


# --- export ------------------------------------------------------------------------------


def test_geojson_and_gpx_export(small):
    plan = solve_carp(small, time_limit=0.3)
    gj = carp_plan_geojson(small, plan)
    json.dumps(gj)
    assert gj["type"] == "FeatureCollection"
    routes = [f for f in gj["features"] if f["properties"]["kind"] == "route"]
    services = [f for f in gj["features"] if f["properties"]["kind"] == "service"]
    assert len(routes) == plan.n_vehicles and len(services) == len(small.required)
    for f in routes:
        coords = f["geometry"]["coordinates"]
        assert f["geometry"]["type"] == "LineString"
        assert coords[0] == coords[-1] == list(small.coords[0])  # starts and ends at the depot
    assert {f["properties"]["direction"] for f in services} <= {1, -1}

    gpx = carp_plan_gpx(small, plan)
    root = ET.fromstring(gpx)
    ns = {"g": "http://www.topografix.com/GPX/1/1"}
    trks = root.findall("g:trk", ns)
    assert root.get("version") == "1.1" and len(trks) == plan.n_vehicles
    pts = trks[0].findall("g:trkseg/g:trkpt", ns)
    assert len(pts) >= 3 and float(pts[0].get("lat")) == pytest.approx(49.41)

    with pytest.raises(ValueError):
        carp_plan_geojson(parse_carp(SMALL), plan)  # no coordinates


def test_refill_export():
    problem = _refill_problem()
    plan = solve_refill(problem, time_limit=0.3)
    gj = refill_plan_geojson(problem, plan)
    kinds = [f["properties"]["kind"] for f in gj["features"]]
    assert kinds.count("route") == len(plan.routes)
    assert kinds.count("bin") == sum(len(r.bins) for r in plan.routes)
    root = ET.fromstring(refill_plan_gpx(problem, plan))
    assert len(root.findall("{http://www.topografix.com/GPX/1/1}trk")) == len(plan.routes)


def test_plan_as_dict_roundtrips_to_json(small):
    plan = solve_baseline(small)
    d = plan.as_dict()
    assert json.loads(json.dumps(d))["cost"] == plan.cost
    assert isinstance(plan, CarpPlan) and isinstance(plan.routes[0], CarpRoute)


# --- large networks: distances to the key vertices only ----------------------------------------


def test_keyed_distances_match_the_full_matrix(monkeypatch):
    if not DATA.is_dir():
        pytest.skip("shared CARP data not available")
    import numpy as np

    from mash_wintersmart.routing import instance as instance_mod
    from mash_wintersmart.routing.instance import KeyedDistances

    dense = read_carp(DATA / "val1A.dat")
    dense.sp  # computed (cached) before the threshold is lowered
    monkeypatch.setattr(instance_mod, "DENSE_SP_MAX_VERTICES", 0)
    keyed = read_carp(DATA / "val1A.dat")
    assert isinstance(keyed.sp, KeyedDistances) and isinstance(dense.sp, np.ndarray)
    keys = keyed.key_vertices
    assert (keyed.sp[np.ix_(np.arange(keyed.n_vertices), keys)] == dense.sp[:, keys]).all()
    a = np.array([0, 3, 5])
    assert (keyed.sp[a[:, None], keys[:4]] == dense.sp[a[:, None], keys[:4]]).all()
    non_key = sorted(set(range(keyed.n_vertices)) - set(keys.tolist()))
    if non_key:
        with pytest.raises(IndexError):
            keyed.sp[0, non_key[0]]
    plan = solve_carp(keyed, time_limit=1.0)
    assert plan.verified and plan.cost <= keyed.ub * 1.05
    for r in plan.routes:  # deadheading paths for the map come from the keyed distances too
        for s in r.services:
            assert keyed.path(keyed.depot, s.tail) == dense.path(dense.depot, s.tail)


def test_city_sized_network_is_planned_without_an_all_pairs_matrix():
    """A 150 × 150 street grid (22,500 crossings, 44,700 street segments) with one main road
    to grit: the full distance matrix would need 4 GB and hours; the keyed one takes seconds."""
    from mash_wintersmart.routing.instance import CarpInstance, Edge

    side = 150
    vid = lambda x, y: y * side + x  # noqa: E731
    edges = []
    for y in range(side):
        for x in range(side):
            if x + 1 < side:
                main = y == 75 and 20 <= x < 60  # the main road along row 75
                edges.append((vid(x, y), vid(x + 1, y), 100, 30 if main else 0))
            if y + 1 < side:
                edges.append((vid(x, y), vid(x, y + 1), 120, 0))
    inst = CarpInstance(name="grid", n_vertices=side * side, capacity=400, depot=vid(0, 0),
                        edges=[Edge(i, u, v, c, d) for i, (u, v, c, d) in enumerate(edges)])
    plan = solve_carp(inst, time_limit=2.0)
    assert plan.verified and len(inst.required) == 40
    # 40 × 30 kg at 400 kg per trip: three trips at least, each driving out 20·100 + 75·120
    assert plan.n_vehicles >= 3
    assert plan.cost >= 40 * 100 + 3 * 2 * (20 * 100 + 75 * 120)
