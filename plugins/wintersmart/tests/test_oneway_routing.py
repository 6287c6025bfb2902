"""One-way streets in gritting routes (issue #5): the mixed CARP graph — directed shortest paths
(dense and keyed), one-way services in one direction only (encoding, baseline, split, flip
moves), verification, export, the reachability check, and plans from a stored road network with
an OSM ``oneway`` segment (also ``oneway=-1``) including refill road distances."""

from __future__ import annotations

import random

import numpy as np
import pytest

from mash_wintersmart.routing import (
    CarpInstance,
    Edge,
    PlanVerificationError,
    Service,
    carp_plan_geojson,
    make_plan,
    solve_baseline,
    solve_carp,
    verify_carp_plan,
)
from mash_wintersmart.routing.baseline import path_scanning, split
from mash_wintersmart.routing.encoding import encode
from mash_wintersmart.routing.export import route_walk
from mash_wintersmart.routing.flipmoves import _flip, _Route, best_cross, best_reversal, improve
from mash_wintersmart.routing.instance import UNREACHABLE, KeyedDistances, UnreachableSegments, route_cost

from wintersmart_support import in_municipality, rows

pytestmark = pytest.mark.mash_plugins("wintersmart")

# The depot 0 and a one-way street 1 → 0 (required), a two-way side street 1–3 (required) and a
# two-way detour 0–2–1:
#
#        2
#    8 /   \ 8
#     0 <-10- 1 --3-- 3
#
# Undirected, the optimum drives 0 → 1 on the one-way street (serving or deadheading) and back:
# 10 + 3 + 3 + 10 = 26. Legally the vehicle must take the detour 0 → 2 → 1 (16) and serve the
# one-way street 1 → 0 last: 16 + 3 + 3 + 10 = 32.


def street(oneway: bool = True) -> CarpInstance:
    return CarpInstance(name="street", n_vertices=4, capacity=10, depot=0, edges=[
        Edge(0, 1, 0, 10, demand=2, name="Einbahnstraße", oneway=oneway),
        Edge(1, 0, 2, 8),
        Edge(2, 2, 1, 8),
        Edge(3, 1, 3, 3, demand=1, name="Seitenstraße"),
    ], coords={0: (8.690, 49.410), 1: (8.700, 49.410), 2: (8.695, 49.415), 3: (8.705, 49.410)})


def test_directed_shortest_paths_and_legal_detour():
    inst, twin = street(), street(oneway=False)
    assert inst.directed and not twin.directed
    assert inst.sp[1, 0] == 10 and inst.sp[0, 1] == 16  # asymmetric
    assert twin.sp[0, 1] == twin.sp[1, 0] == 10
    assert inst.path(0, 1) == [(1, 0, 2), (2, 2, 1)]
    assert inst.edges[0].orientations == [(1, 0)] and twin.edges[0].orientations == [(1, 0), (0, 1)]

    assert solve_carp(twin, time_limit=1.0, seed=1).cost == 26
    for plan in (solve_carp(inst, time_limit=1.0, seed=1), solve_baseline(inst)):
        assert plan.verified and plan.cost == 32
        services = [s for r in plan.routes for s in r.services]
        assert Service(0, 1, 0) in services
        for route in plan.routes:  # the whole walk (as exported) never drives the one-way street backwards
            walk = route_walk(inst, route)
            assert all((a, b) == (1, 0) for e, a, b, _ in walk if e == 0)
            assert (1, 0, 2, False) in walk and (2, 2, 1, False) in walk
        gj = carp_plan_geojson(inst, plan)
        one = [f["properties"] for f in gj["features"] if f["properties"].get("edge") == 0]
        assert one == [{"kind": "service", "vehicle": 0, "seq": 1, "edge": 0, "from": 1, "to": 0,
                        "direction": 1, "oneway": True}]


def test_encoding_has_one_client_for_a_one_way_street():
    enc = encode(street())
    assert [(s.edge, s.tail, s.head) for s in enc.services] == [(0, 1, 0), (3, 1, 3), (3, 3, 1)]
    assert enc.data.num_groups == 1 and enc.data.num_clients == 3
    assert enc.data.clients()[0].required and enc.data.clients()[0].group is None
    twin = encode(street(oneway=False))
    assert twin.data.num_groups == 2 and twin.data.num_clients == 4


def test_split_and_path_scanning_use_allowed_orientations_only():
    inst = street()
    for rule in range(1, 6):
        routes = path_scanning(inst, rule)
        assert Service(0, 1, 0) in [s for r in routes for s in r]
    (route,) = split(inst, [0, 3], max_routes=1)
    assert route[0] == Service(0, 1, 0)
    assert route_cost(inst, route) == 16 + 10 + 16 + 3 + 13  # 0 ⇢ 1, 1 → 0, 0 ⇢ 1, 1 → 3, 3 ⇢ 1 ⇢ 0
    assert make_plan(inst, split(inst, [3, 0]), "x").cost == 32


def test_verifier_rejects_wrong_way_service_and_deadheading():
    inst, twin = street(), street(oneway=False)
    # serving the one-way street against its direction
    wrong = make_plan(twin, [[Service(0, 0, 1), Service(3, 1, 3)]], "x")
    verify_carp_plan(twin, wrong)
    with pytest.raises(PlanVerificationError) as err:
        verify_carp_plan(inst, wrong)
    assert "direction" in err.value.kinds and "one-way 1→0" in str(err.value)
    # serving it correctly but deadheading 0 → 1 over it: the claimed cost cannot be driven
    sneaky = make_plan(twin, [[Service(3, 1, 3), Service(0, 1, 0)]], "x")
    assert sneaky.cost == 26
    verify_carp_plan(twin, sneaky)
    with pytest.raises(PlanVerificationError) as err:
        verify_carp_plan(inst, sneaky)
    assert err.value.kinds == {"cost"} and "recomputed 32" in str(err.value) and "one-way" in str(err.value)
    verify_carp_plan(inst, make_plan(inst, [[Service(3, 1, 3), Service(0, 1, 0)]], "x"))


def test_unreachable_required_arcs_are_named():
    # 0 – 1 two-way; 2 → 1 one-way (2 cannot be reached); 1 → 3 one-way (no way back from 3)
    inst = CarpInstance(name="trap", n_vertices=5, capacity=10, depot=0, edges=[
        Edge(0, 0, 1, 5, demand=1, name="Hauptstraße"),
        Edge(1, 2, 1, 4, demand=1, name="Zufahrt", oneway=True),
        Edge(2, 1, 3, 4, demand=1, name="Sackgasse", oneway=True),
        Edge(3, 1, 4, 4, oneway=True),  # not required: a dead end nobody needs is fine
    ])
    for attempt in (lambda: inst.sp, lambda: solve_carp(inst, time_limit=0.5), lambda: solve_baseline(inst)):
        with pytest.raises(UnreachableSegments) as err:
            attempt()
        assert [e.index for e in err.value.unreachable] == [1]
        assert [e.index for e in err.value.no_return] == [2]
        msg = str(err.value)
        assert "not reachable from the depot: edge 1 (Zufahrt) 2→1" in msg
        assert "no way back to the depot from: edge 2 (Sackgasse) 1→3" in msg
        assert "Hauptstraße" not in msg
    ok = CarpInstance(name="ok", n_vertices=5, capacity=10, depot=0,
                      edges=[e for e in inst.edges if e.index in (0,)] + [Edge(1, 1, 4, 4, oneway=True)])
    assert ok.sp[0, 4] == 9 and ok.sp[4, 0] == UNREACHABLE  # a dead end off the routes
    assert solve_carp(ok, time_limit=0.5).cost == 10


def random_mixed(seed: int, n: int = 30, oneway_share: float = 0.5) -> CarpInstance:
    """A strongly connected mixed graph: a one-way ring plus random one- and two-way edges (some
    parallel), about half of them required; vertex n − 1 is a one-way dead end."""
    rng = random.Random(seed)
    spec = [(i, (i + 1) % (n - 1), True) for i in range(n - 1)]
    spec += [(rng.randrange(n - 1), rng.randrange(n - 1), rng.random() < oneway_share) for _ in range(2 * n)]
    spec.append((rng.randrange(n - 1), n - 1, True))
    edges = []
    for u, v, ow in spec:
        if u == v:
            continue
        required = rng.random() < 0.5 and v != n - 1
        edges.append(Edge(len(edges), u, v, rng.randint(1, 30), demand=rng.randint(1, 4) if required else 0,
                          oneway=ow))
    return CarpInstance(name=f"mixed{seed}", n_vertices=n, capacity=12, depot=0, edges=edges)


def test_keyed_distances_equal_the_dense_directed_matrix(monkeypatch):
    from mash_wintersmart.routing import instance as instance_mod

    for seed in range(3):
        dense = random_mixed(seed)
        d = dense.sp
        assert isinstance(d, np.ndarray) and (d != d.T).any()
        # independent check of the dense matrix: SciPy's directed Dijkstra
        from scipy.sparse.csgraph import dijkstra
        t, h, c = dense.arcs()
        g = np.full((dense.n_vertices, dense.n_vertices), np.inf)
        for a, b, w in zip(t, h, c):
            g[a, b] = min(g[a, b], w)
        ref = dijkstra(np.where(np.isinf(g), 0, g), directed=True)
        reached = np.isfinite(ref)
        assert (ref[reached].astype(np.int64) == d[reached]).all() and (d[~reached] == UNREACHABLE).all()

        monkeypatch.setattr(instance_mod, "DENSE_SP_MAX_VERTICES", 0)
        keyed = random_mixed(seed)
        k = keyed.sp
        monkeypatch.undo()
        assert isinstance(k, KeyedDistances)
        keys = keyed.key_vertices
        every = np.arange(keyed.n_vertices)
        assert (k[np.ix_(every, keys)] == d[:, keys]).all()  # to the key vertices, from anywhere
        assert (k.from_keys == d[keys, :]).all()  # from the key vertices, to anywhere
        assert (k[keys[:, None], keys] == d[np.ix_(keys, keys)]).all()
        assert (k[every, keys[0]] == d[:, keys[0]]).all()
        assert int(k[keyed.n_vertices - 1, keyed.depot]) == UNREACHABLE  # the dead end
        for a in keys[:5]:
            for b in keys[-5:]:
                assert keyed.path(int(a), int(b)) == dense.path(int(a), int(b))
        p_dense = solve_carp(dense, time_limit=5, seed=1, tuning={"iterations": 300})
        p_keyed = solve_carp(keyed, time_limit=5, seed=1, tuning={"iterations": 300})
        assert p_dense.verified and p_keyed.verified and p_dense.cost == p_keyed.cost


def _legal(inst: CarpInstance, route: list[Service]) -> bool:
    return all(inst.edges[s.edge].allows(s.tail, s.head) for s in route)


def _random_routes(inst: CarpInstance, seed: int) -> list[list[Service]]:
    rng = random.Random(seed)
    routes = path_scanning(inst, 1, rng=rng)
    out = []
    for r in routes:
        rng.shuffle(r)
        # flip the two-way services at random: every orientation that is allowed
        out.append([Service(s.edge, s.head, s.tail) if rng.random() < 0.5 and inst.edges[s.edge].allows(s.head, s.tail)
                    else s for s in r])
    return out


def test_flip_move_values_are_exact_and_never_flip_a_one_way_service():
    checked_rev = checked_cross = 0
    for seed in range(4):
        inst = random_mixed(seed + 10)
        routes = _random_routes(inst, seed)
        for r in routes:
            assert _legal(inst, r)
            delta, i, j = best_reversal(inst, _Route(inst, r))
            legal = []
            for a in range(len(r)):
                for b in range(a, len(r)):
                    other = r[:a] + _flip(r[a : b + 1]) + r[b + 1 :]
                    if _legal(inst, other):
                        legal.append(route_cost(inst, other) - route_cost(inst, r))
            assert min(legal + [0]) == min(delta, 0)  # the best legal reversal, exactly
            if delta < 0:
                moved = r[:i] + _flip(r[i : j + 1]) + r[j + 1 :]
                assert _legal(inst, moved) and route_cost(inst, moved) - route_cost(inst, r) == delta
                checked_rev += 1
        for a in range(len(routes)):
            for b in range(a + 1, len(routes)):
                x, y = routes[a], routes[b]
                delta, i, j = best_cross(inst, _Route(inst, x), _Route(inst, y))
                before = route_cost(inst, x) + route_cost(inst, y)
                legal = []
                for p in range(len(x) + 1):
                    for q in range(len(y) + 1):
                        nx, ny = x[:p] + _flip(y[:q]), _flip(x[p:]) + y[q:]
                        load = [sum(inst.edges[s.edge].demand for s in z) for z in (nx, ny)]
                        if _legal(inst, nx) and _legal(inst, ny) and max(load) <= inst.capacity:
                            legal.append(sum(route_cost(inst, z) for z in (nx, ny) if z) - before)
                assert min(legal + [0]) == min(delta, 0)
                if delta < 0:
                    nx, ny = x[:i] + _flip(y[:j]), _flip(x[i:]) + y[j:]
                    assert _legal(inst, nx) and _legal(inst, ny)
                    assert sum(route_cost(inst, z) for z in (nx, ny) if z) - before == delta
                    checked_cross += 1
        improved = improve(inst, routes)
        plan = make_plan(inst, improved, "x")
        verify_carp_plan(inst, plan)  # every one-way service in its direction, costs directed
        assert plan.cost <= make_plan(inst, routes, "x").cost
    assert checked_rev > 3 and checked_cross > 3


def test_solver_on_mixed_instances_serves_one_way_streets_in_their_direction():
    for seed in range(3):
        inst = random_mixed(seed + 20)
        plan = solve_carp(inst, time_limit=5, seed=seed, tuning={"iterations": 500})
        assert plan.verified
        for r in plan.routes:
            assert _legal(inst, r.services)
            for e, a, b, _ in route_walk(inst, r):
                assert inst.edges[e].allows(a, b)
        assert plan.cost <= solve_baseline(inst).cost


# --- from a stored road network (OSM import) --------------------------------------------------

# A block near the Neckar: the silo at A; "Marktstraße" is one-way A → B, drawn B → A with
# oneway=-1 (the import reverses it); the way back B → C → D → A is residential (not gritted).
#
#   D ------- C
#   |         |
#   A ======> B ---> E ("Sackgasse", one-way, only in the unreachable test)
LAT_M, LON_M = 1 / 111_200, 1 / 72_400  # degrees per metre near 49.41° N
A = [8.6900, 49.4000]
B = [A[0] + 300 * LON_M, A[1]]
C = [B[0], A[1] + 300 * LAT_M]
D = [A[0], C[1]]
E = [B[0] + 200 * LON_M, A[1]]


def _way(key, coords, highway="residential", **props):
    return {"type": "Feature", "properties": {"key": key, "name": props.pop("name", key), "highway": highway, **props},
            "geometry": {"type": "LineString", "coordinates": coords}}


BLOCK = [
    _way("t:markt", [B, A], "primary", name="Marktstraße", oneway="-1"),
    _way("t:ost", [B, C], name="Ostweg"),
    _way("t:nord", [C, D], name="Nordweg"),
    _way("t:west", [D, A], name="Westweg"),
]


def _network(app, features, silo=(A[0] - 20 * LON_M, A[1])):
    from mash_core.api import db_session
    from mash_wintersmart.models_bins import Container
    from mash_wintersmart.network import import_network

    with in_municipality(app):
        assert import_network({"type": "FeatureCollection", "features": features}).created == len(features)
        s = db_session()
        s.add(Container(key="silo", name="Silo", kind="silo", lon=silo[0], lat=silo[1], level_kg=50_000.0,
                        shape="cone_silo", d_empty_mm=10000.0, d_full_mm=800.0, diameter_mm=3000.0))
        s.commit()


def test_plan_from_stored_network_obeys_a_one_way_segment(mash_app):
    from mash_core.api import db_session, get_settings
    from mash_wintersmart.models import RoadSegment
    from mash_wintersmart.planning import (build_network, instance_for, plan_geojson, plan_gritting, road_distances,
                                           stored_instance, stored_plan)

    _network(mash_app, BLOCK)
    (markt,) = rows(mash_app, "SELECT id FROM wintersmart_road_segment WHERE key = 't:markt'")[0]
    assert rows(mash_app, "SELECT oneway FROM wintersmart_road_segment ORDER BY key") == [
        (True,), (False,), (False,), (False,)]
    with in_municipality(mash_app):
        net = build_network(db_session(), get_settings("wintersmart"))
        assert net.oneway == {markt} and net.required_segments == [markt]
        inst = instance_for(net, (A[0] - 20 * LON_M, A[1]), 4000)
        (edge,) = [e for e in inst.edges if e.name == str(markt)]
        assert edge.oneway and inst.coords[edge.u] == pytest.approx(tuple(A)) and inst.directed

        plan = plan_gritting(time_limit=1.0, vehicles=1)
        assert plan.verified and plan.network["oneway"] == [edge.index]
        (route,) = plan.routes
        assert route["services"] == [[edge.index, edge.u, edge.v]] and route["segments"] == [markt]
        # 2 × silo connector (20 m × 1.3) + Marktstraße + the way back around the block
        assert plan.cost_m == pytest.approx(2 * 26 + 4 * 300, abs=8)
        stored = stored_instance(plan)
        assert stored.edges[edge.index].oneway
        walk = route_walk(stored, stored_plan(plan, stored).routes[0])
        assert [e for e, *_ in walk if e == edge.index] == [edge.index]
        assert all(stored.edges[e].allows(a, b) for e, a, b, _ in walk)
        services = [f["properties"] for f in plan_geojson(plan)["features"] if f["properties"]["kind"] == "service"]
        assert [(p["segment_id"], p["direction"], p["oneway"]) for p in services] == [(markt, 1, True)]

        # refill distances: along the one-way street forwards, around the block backwards
        p1, p2 = [A[0] + 100 * LON_M, A[1]], [A[0] + 200 * LON_M, A[1]]
        road = road_distances(net, [p1, p2])
        assert road.matrix[0][1] == pytest.approx(100, abs=2)
        assert road.matrix[1][0] == pytest.approx(100 + 3 * 300 + 100, abs=8)

        # the same network without the one-way tag: the vehicle drives back on Marktstraße
        s = db_session()
        s.get(RoadSegment, markt).oneway = False
        s.commit()
        twin = plan_gritting(time_limit=1.0, vehicles=1)
        assert "oneway" in twin.network and twin.network["oneway"] == []
        assert twin.cost_m == pytest.approx(2 * 26 + 2 * 300, abs=8) and twin.cost_m < plan.cost_m
        assert road_distances(build_network(s, get_settings("wintersmart")), [p1, p2]).matrix[1][0] == \
            pytest.approx(100, abs=2)


def test_unreachable_one_way_segment_is_a_planning_error(mash_app):
    from mash_wintersmart.planning import PlanningError, UnreachableSegmentsError, plan_gritting

    _network(mash_app, BLOCK + [_way("t:sack", [B, E], "primary", name="Sackgasse", oneway="yes")])
    (sack,) = rows(mash_app, "SELECT id FROM wintersmart_road_segment WHERE key = 't:sack'")[0]
    with in_municipality(mash_app):
        with pytest.raises(UnreachableSegmentsError) as err:
            plan_gritting(time_limit=0.5, vehicles=1)
    assert isinstance(err.value, PlanningError) and err.value.segments == [sack]
    assert str(err.value) == f"one-way streets: no way back to the silo from segment(s) {sack} (Sackgasse)"
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_gritting_plan") == [(0,)]


def test_plans_stored_before_one_way_support_still_load():
    from types import SimpleNamespace

    from mash_wintersmart.planning import stored_instance

    row = SimpleNamespace(id=1, network={"coords": [[8.69, 49.41], [8.70, 49.41]], "edges": [[0, 1, 10, 1, 5]],
                                         "depot": 0, "capacity": 10})
    inst = stored_instance(row)
    assert not inst.directed and inst.sp[1, 0] == 10
