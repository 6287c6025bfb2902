"""Arc-routing moves with flip: every move value equals the recomputed cost change, capacities
hold, and improvement never loses or duplicates a service."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from mash_wintersmart.routing import make_plan, read_carp, verify_carp_plan
from mash_wintersmart.routing.baseline import path_scanning
from mash_wintersmart.routing.flipmoves import _flip, _Route, best_cross, best_reversal, improve
from mash_wintersmart.routing.instance import route_cost

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "carp"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason="shared CARP data not present")


@pytest.fixture(scope="module")
def val1a():
    return read_carp(DATA / "val1A.dat")


@pytest.fixture(scope="module")
def val10d():
    return read_carp(DATA / "val10D.dat")  # tight capacity: many routes


def _random_routes(inst, seed):
    return path_scanning(inst, 1, rng=random.Random(seed))


def test_reversal_value_is_the_true_cost_change(val1a):
    rng = random.Random(3)
    for seed in range(5):
        for r in _random_routes(val1a, seed):
            rng.shuffle(r)
            delta, i, j = best_reversal(val1a, _Route(val1a, r))
            moved = r[:i] + _flip(r[i : j + 1]) + r[j + 1 :]
            assert route_cost(val1a, moved) - route_cost(val1a, r) == delta
            # and no reversal is better than the one reported
            for a in range(len(r)):
                for b in range(a, len(r)):
                    other = r[:a] + _flip(r[a : b + 1]) + r[b + 1 :]
                    assert route_cost(val1a, other) - route_cost(val1a, r) >= delta


def test_cross_value_is_the_true_cost_change_and_keeps_capacity(val10d):
    routes = _random_routes(val10d, 7)
    demand = {e.index: e.demand for e in val10d.required}
    checked = 0
    for a in range(len(routes)):
        for b in range(a + 1, len(routes)):
            x, y = routes[a], routes[b]
            delta, i, j = best_cross(val10d, _Route(val10d, x), _Route(val10d, y))
            nx, ny = x[:i] + _flip(y[:j]), _flip(x[i:]) + y[j:]
            before = route_cost(val10d, x) + route_cost(val10d, y)
            after = sum(route_cost(val10d, r) for r in (nx, ny) if r)
            assert after - before == delta
            for r in (nx, ny):
                assert sum(demand[s.edge] for s in r) <= val10d.capacity
            checked += 1
    assert checked > 3


def test_improve_keeps_every_service_and_never_worsens(val1a):
    for seed in range(3):
        routes = _random_routes(val1a, seed)
        for r in routes:
            random.Random(seed).shuffle(r)
        before = make_plan(val1a, routes, "x").cost
        after_routes = improve(val1a, routes)
        plan = make_plan(val1a, after_routes, "x")
        verify_carp_plan(val1a, plan)  # each required edge once, capacity, cost recomputed
        assert plan.cost < before  # shuffled routes always leave room for a reversal
        # a local optimum: no improving move is left
        assert all(best_reversal(val1a, _Route(val1a, r))[0] >= 0 for r in after_routes)
