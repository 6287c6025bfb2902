"""``bench/salting.py``: the converter of the ROAR-NET salt-spreading instances (real data of
Kerteminde and Middelfart, ``bench/data/salt-spreading/``) to our CARP model, a short solve on the
real Kerteminde network, and the evaluator of reference plans (node sequences) on a hand-made
instance."""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from mash_wintersmart.routing import CarpInstance, solve_carp, verify_carp_plan

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "bench" / "data" / "salt-spreading"


@pytest.fixture(scope="module")
def salting():
    spec = importlib.util.spec_from_file_location("salting_bench", ROOT / "bench" / "salting.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


# counts from each instance's description.md in the source repository
EXPECTED = {
    "kerteminde": {"vertices": 193, "required_edges": 233, "required_arcs": 33, "deadhead_arcs": 10,
                   "demand": 1_018_806, "required_length": 265_602, "deadhead_length": 21_450},
    "middelfart": {"vertices": 784, "required_edges": 1004, "required_arcs": 62, "deadhead_arcs": 56,
                   "demand": 1_929_260, "required_length": 544_198, "deadhead_length": 40_280},
}


@pytest.mark.parametrize("name", ["kerteminde", "middelfart"])
def test_converter_on_shipped_data(salting, name):
    raw = json.loads((DATA / f"{name}.json").read_text())
    exp = EXPECTED[name]
    salt = salting.read_salt(DATA / f"{name}.json")
    assert salt.counts() == {k: exp[k] for k in ("vertices", "required_edges", "required_arcs",
                                                 "deadhead_arcs")}
    depot = salt.depots[0][0]
    inst, notes = salting.to_carp(salt, depot)
    idx = salt.index
    assert inst.n_vertices == exp["vertices"] and inst.depot == idx[depot]
    assert inst.capacity == 410_000
    two_way = [e for e in inst.edges if e.required and not e.oneway]
    one_way_req = [e for e in inst.edges if e.required and e.oneway]
    deadhead = [e for e in inst.edges if not e.required]
    assert (len(two_way), len(one_way_req), len(deadhead)) == (
        exp["required_edges"], exp["required_arcs"], exp["deadhead_arcs"])
    assert all(e.oneway for e in deadhead)
    assert sum(e.cost for e in two_way + one_way_req) == exp["required_length"]
    assert sum(e.cost for e in deadhead) == exp["deadhead_length"]
    # every arc of the file stays an arc tail → head, with its length and demand
    arcs = {(e.u, e.v): e for e in one_way_req}
    for a in raw["A_R"]:
        e = arcs[(idx[a["arc"][0]], idx[a["arc"][1]])]
        assert e.allows(e.u, e.v) and not e.allows(e.v, e.u)
        assert (e.cost, e.demand) == (a["len"], a["dem"])
    assert {(e.u, e.v) for e in deadhead} == {(idx[a["arc"][0]], idx[a["arc"][1]]) for a in raw["A"]}
    zero = sum(1 for x in raw["E_R"] if x["dem"] == 0)
    assert notes["zero_demand_required"] == zero and notes["demand_rounded_up"] == 0
    assert inst.total_demand == exp["demand"] + zero  # zero-demand required edges get demand 1
    assert notes["required_loops"] == sum(1 for x in raw["E_R"] if x["edge"][0] == x["edge"][1])
    if name == "middelfart":
        assert zero == 2 and notes["required_loops"] == 2


def _kerteminde_part(salting, n_edges: int = 30):
    """The real Kerteminde network with all required arcs and the first ``n_edges`` required edges
    (the other required edges stay as two-way roads to drive on)."""
    salt = salting.read_salt(DATA / "kerteminde.json")
    inst, _ = salting.to_carp(salt, "1")
    kept = 0
    edges = []
    for e in inst.edges:
        if e.required and not e.oneway:
            kept += 1
            if kept > n_edges:
                e = replace(e, demand=0)
        edges.append(e)
    part = CarpInstance(name="kerteminde-part", n_vertices=inst.n_vertices, edges=edges,
                        capacity=60_000, depot=inst.depot)
    return salt, part


def test_short_solve_on_kerteminde_verifies(salting):
    salt, part = _kerteminde_part(salting)
    plan = solve_carp(part, 1.0, seed=0, workers=1)
    assert plan.verified and plan.runtime_s < 5
    report = verify_carp_plan(part, plan)
    assert report.cost == plan.cost and len(plan.routes) >= 2  # 60,000 per trip forces reloads
    for r in plan.routes:  # one-way arcs serviced only tail → head
        for s in r.services:
            e = part.edges[s.edge]
            assert not e.oneway or (s.tail, s.head) == (e.u, e.v)
    # our node sequences measured on the statement's link data give the same length
    walks = salting.trip_walks(salt, part, plan)
    measured = [salting.evaluate_walk(salt, w) for w in walks]
    assert [m["length_m"] for m in measured] == [float(r.cost) for r in plan.routes]
    assert all(not m["not_a_link"] and not m["against_arc"] for m in measured)
    assert all(w[0] == w[-1] == "1" for w in walks)
    # as vehicle routes from the homes 2 and 130: every trip assigned, first trips from home
    veh = salting.vehicle_routes(salt, part, plan)
    assert sum(v["trips"] for v in veh["vehicles"]) == len(plan.routes)
    assert veh["assignment"] == "exhaustive"


TINY = {
    "name": "tiny",
    "max_time": 10.0,
    "nodes": [{"label": str(i), "position": [None, None]} for i in range(1, 6)],
    "vehicles": [{"id": "a", "home": "1", "capacity": 100.0}, {"id": "b", "home": "5", "capacity": 100.0}],
    "depots": [{"label": "2", "refill": 100.0}, {"label": "4", "refill": 100.0}],
    "A": [{"arc": ["5", "4"], "len": 450.0, "time": 0.45}, {"arc": ["5", "1"], "len": 1000.0, "time": 1.0}],
    "A_R": [{"arc": ["4", "5"], "dem": 40.0, "len": 400.0, "time": 0.4}],
    "E_R": [
        {"edge": ["1", "2"], "dem": 10.0, "len": 100.0, "time": 0.1},
        {"edge": ["2", "3"], "dem": 20.0, "len": 200.0, "time": 0.2},
        {"edge": ["3", "4"], "dem": 30.0, "len": 300.0, "time": 0.3},
        {"edge": ["2", "4"], "dem": 5.0, "len": 250.0, "time": 0.25},
    ],
    "U": [{"label": "3"}],
}


def test_reference_evaluator_on_tiny_instance(salting, tmp_path):
    (tmp_path / "tiny.json").write_text(json.dumps(TINY))
    salt = salting.read_salt(tmp_path / "tiny.json")
    text = "1, 2, 3,\n2, 2, 3, 4, 5, 99\n5, 4, 3, 1, 5\n"
    routes = salting.parse_reference(text)
    assert routes == [["1", "2", "3", "2", "2", "3", "4", "5", "99"], ["5", "4", "3", "1", "5"]]
    ref = salting.evaluate_reference(salt, routes)
    a, b = ref["vehicles"]
    # 1-2, 2-3, 3-2 (U-turn at 3: allowed), stop at the depot 2, 2-3, 3-4, 4→5, then "99": the
    # nearest depot from 5 is 4 by the arc 5→4 (450), not 2 (5→1→2 = 1100)
    assert a["vehicle"] == "a" and a["terminal"] == "99" and a["ends_at_depot"] == "4"
    assert a["final_leg_m"] == 450 and a["length_m"] == 100 + 200 + 200 + 200 + 300 + 400 + 450
    assert a["segments"] == 4 and a["segment_loads"] == [10, 20, 30, 40]
    assert a["u_turns_forbidden"] == 0 and a["over_capacity"] == []
    # 5→4 (A), 4-3, 3→1 is no link (shortest path 3-2-1 = 300), 1→5 drives the arc 5→1 backwards
    # (shortest path 1-2-4→5 = 750)
    assert b["vehicle"] == "b" and b["terminal"] is None and b["ends_at_depot"] is None
    assert b["not_a_link"] == [("3", "1")] and b["against_arc"] == [("1", "5")]
    assert b["length_m"] == 450 + 300 + 300 + 750
    assert ref["length_m"] == a["length_m"] + b["length_m"] and ref["final_legs_m"] == 450
    assert ref["missing"] == ["E_R 2-4"] and (ref["not_a_link"], ref["against_arc"]) == (1, 1)
    # a U-turn at a node outside U is counted; with capacity 45 the second segment (50) is over
    ev = salting.evaluate_walk(salt, ["2", "1", "2", "3", "4", "2"], capacity=45)
    assert ev["u_turns_forbidden"] == 1 and ev["ends_at_depot"] == "2"
    assert ev["segment_loads"] == [10, 50, 5] and ev["over_capacity"] == [1]


def test_shipped_reference_plan_is_consistent(salting):
    """The Kerteminde reference drives only links of our data and every required link."""
    salt = salting.read_salt(DATA / "kerteminde.json")
    ref = salting.evaluate_reference(
        salt, salting.parse_reference((DATA / "solution_mandrup.txt").read_text()))
    assert [v["vehicle"] for v in ref["vehicles"]] == ["1", "2"]
    assert ref["not_a_link"] == 0 and ref["against_arc"] == 0 and ref["missing"] == []
    assert all(v["terminal"] == "294" for v in ref["vehicles"])
    assert ref["length_m"] > sum(ln.length for ln in salt.links if ln.kind != "A")
