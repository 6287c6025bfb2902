"""Salt spreading on real municipal networks: WinterSMART's CARP planner on the Danish instances of
Kerteminde and Middelfart (ROAR-NET problem statement *Salt Spreading*, data in
``bench/data/salt-spreading/``, see its README), against the planner's constructive baseline and,
for Kerteminde, against the plan the municipality's contractor made (``solution_mandrup.txt``).

    python bench/salting.py [--instances kerteminde,middelfart] [--time-limit 60] [--seed 0]
                            [--depot each|nearest|LABEL] [--workers W] [--data DIR] [--quiet]

Modelling: what our CARP keeps and what it drops
------------------------------------------------
The statement's instance is a mixed graph: required edges ``E_R`` (salted in either direction,
driven both ways), required arcs ``A_R`` and non-required arcs ``A`` (``A`` holds both directions
of every two-way road that need not be salted), refill depots, vehicles with a capacity and a home
(dwelling place), a route time limit ``max_time`` and the nodes ``U`` where U-turns are allowed.
The conversion (:func:`to_carp`) gives a :class:`~mash_wintersmart.routing.CarpInstance`:

* every node is a vertex (node order of the file); ``E_R`` → two-way required edges, ``A_R`` →
  one-way required arcs (driven *and* salted only tail → head, as the statement's link set and
  validator have it; the Kerteminde spreadsheet notes say every listed road may be driven both
  ways, so this can only lengthen our routes), ``A`` → one-way deadheading arcs; cost = ``len``
  (metres), demand = ``dem`` (salt units, integral in both files); the capacity is the vehicles'
  capacity (the smallest, if they differed).
* Middelfart quirks kept as they are: two required loops (``262–262``, ``292–292``: the vehicle
  drives the loop's length at that node) and two required edges with ``dem`` 0 (``655–656``,
  ``656–657``, the access to depot 657) — our model marks "required" by ``demand > 0``, so they
  get demand 1 (one unit of 410,000) to stay required.
* **One depot.** Our CARP has a single depot where every trip starts, reloads and ends; the
  statement lets a vehicle refill at any depot. ``--depot each`` (default) solves once per refill
  depot and reports every run plus the best; ``nearest`` takes the depot with the smallest summed
  distance from the vehicles' homes; a label fixes it. The depot used is in the JSON.
* **Unlimited trips per vehicle, reload at the depot**: our routes are the statement's *trips*;
  refills restore the full capacity (both instances: refill = capacity), the fleet is not bound.
* **No U-turn restrictions** (``U`` is ignored) and **no route time limit** (``max_time`` = 210
  min is ignored); both are *reported* for our plan and the reference (U-turns ``a→b→a`` at a node
  ``b`` outside ``U``; minutes per vehicle from the links' ``time`` field), not enforced.
* **Homes.** A CARP trip starts at the depot; in the statement a vehicle's first trip starts at its
  home and the last ends at a depot, **the final leg to the home is not counted**. To compare
  lengths on the statement's terms the plan is turned into vehicle routes
  (:func:`vehicle_routes`): trips are assigned to the real vehicles (every assignment of ≤ 3^10
  cases is tried, fewest metres first, then the smallest longest vehicle time; a vehicle may stay
  idle), each vehicle's first trip leaves from its home instead of the depot, and the resulting
  node sequences are measured with the same evaluator as the reference (:func:`evaluate_walk`).
  ``carp_cost`` is the plain CARP cost (depot → … → depot per trip); ``statement_length_m`` is the
  length of the vehicle routes (home → … → last depot).

Reference plan (Kerteminde)
---------------------------
``solution_mandrup.txt`` lists one node sequence per vehicle (a line not ending in a comma ends a
vehicle), from its home to its last depot; a repeated node (``1, 1``) is a stop, every pass
through a depot cuts a segment (a possible refill). Its length is measured on *our* data (:func:`evaluate_walk`): the shortest
link (any of ``E_R`` both ways, ``A_R``, ``A``) between consecutive nodes. Both sequences end in
``294``, which is not a node of the instance: we read it as "to the refill depot" (the statement:
the route ends at the last refilling depot) and add the shortest path from the last node to the
*nearest* depot, reported separately (``final_legs_m``; ``length_without_final_legs_m`` is the
length without them). Pairs that are no link of our data (or
drive an arc backwards) would be counted by their shortest path and listed — there are none. Which
traversal salts a required link is not in the file: coverage and loads assume the first traversal
in an allowed direction.

Time
----
``time_s`` is :func:`solve_carp`'s wall clock for ``--time-limit`` (everything included). The
solver builds its own constructive start (path-scanning + split) before searching; on Middelfart
(1,068 required links) that takes longer than 60 s on a 2-core machine, so the limit is overrun
and the search proper gets almost no time (``time_limit_overrun``, ``baseline_time_s``). The
baseline is solved separately as well (:func:`solve_baseline`, not inside ``time_s``).

The comparison is **our plan's length under our relaxed model vs. the reference plan's length**:
the contractor's plan may respect U-turn rules, the 3.5 h limit and other practical constraints
that our plan ignores, so a shorter plan here is not a like-for-like win.

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins" / "wintersmart"))

from mash_wintersmart.routing import (  # noqa: E402
    CarpInstance,
    Edge,
    UnreachableSegments,
    solve_baseline,
    solve_carp,
    verify_carp_plan,
)
from mash_wintersmart.routing.export import route_walk  # noqa: E402

DEFAULT_DATA = ROOT / "bench" / "data" / "salt-spreading"
INSTANCES = {"kerteminde": "kerteminde.json", "middelfart": "middelfart.json"}
REFERENCE = {"kerteminde": "solution_mandrup.txt"}
# "unconfirmed lower bound" from the statement's description.md of each instance (metres)
LOWER_BOUND_UNCONFIRMED = {"kerteminde": 271511, "middelfart": 545805}
MAX_ASSIGNMENTS = 3**10

MODELLING_NOTES = [
    "one depot per run (the statement: refill at any depot); --depot each solves once per depot",
    "trips = CARP routes, unlimited per vehicle, full reload at the depot (refill = capacity)",
    "U-turn rule (nodes U) and max_time (210 min) not modelled; both reported, not enforced",
    "A_R arcs driven and salted only tail->head; A = one-way deadheading arcs",
    "zero-demand required edges get demand 1; required loops kept",
    "statement_length_m: trips assigned to the real vehicles, first trip from the home, "
    "final leg to the home not counted",
    "reference 294 = unknown terminal, read as the nearest refill depot (final_leg_m)",
]


# --- the statement's instance -------------------------------------------------------------------


@dataclass
class Link:
    tail: str
    head: str
    length: float
    time: float
    kind: str  # E_R | A_R | A
    index: int  # position in its list in the file


@dataclass
class SaltInstance:
    name: str
    labels: list[str]
    vehicles: list[tuple[str, str, float]]  # (id, home, capacity)
    depots: list[tuple[str, float]]  # (label, refill)
    links: list[Link]
    max_time: float | None
    uturn_nodes: set[str]
    demand: dict[tuple[str, int], float] = field(default_factory=dict)  # (kind, index) -> dem

    @property
    def index(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.labels)}

    def counts(self) -> dict:
        by_kind = {k: sum(1 for ln in self.links if ln.kind == k) for k in ("E_R", "A_R", "A")}
        return {"vertices": len(self.labels), "required_edges": by_kind["E_R"],
                "required_arcs": by_kind["A_R"], "deadhead_arcs": by_kind["A"]}


def read_salt(path: Path) -> SaltInstance:
    """The statement's JSON (list format of ``support/schema_instance.json``)."""
    d = json.loads(Path(path).read_text())
    labels = [str(n["label"]) for n in d["nodes"]]
    known = set(labels)
    links: list[Link] = []
    demand: dict[tuple[str, int], float] = {}
    for kind, key in (("E_R", "edge"), ("A_R", "arc"), ("A", "arc")):
        for i, item in enumerate(d[kind]):
            tail, head = (str(x) for x in item[key])
            if tail not in known or head not in known:
                raise ValueError(f"{path}: {kind} {tail}-{head} has an unknown node")
            links.append(Link(tail, head, float(item["len"]), float(item["time"]), kind, i))
            if kind != "A":
                demand[(kind, i)] = float(item["dem"])
    return SaltInstance(
        name=str(d["name"]),
        labels=labels,
        vehicles=[(str(v["id"]), str(v["home"]), float(v["capacity"])) for v in d["vehicles"]],
        depots=[(str(x["label"]), float(x["refill"])) for x in d["depots"]],
        links=links,
        max_time=d.get("max_time"),
        uturn_nodes={str(u["label"]) for u in d["U"]},
        demand=demand,
    )


def to_carp(salt: SaltInstance, depot: str) -> tuple[CarpInstance, dict]:
    """The CARP instance with ``depot`` as its depot, and notes on what was adapted."""
    idx = salt.index
    edges: list[Edge] = []
    rounded = zero = loops = 0
    for ln in salt.links:
        dem = salt.demand.get((ln.kind, ln.index), 0.0)
        if ln.kind != "A":
            if dem <= 0:
                zero += 1
                dem_i = 1
            else:
                dem_i = math.ceil(dem - 1e-9)
                rounded += dem_i != dem
        else:
            dem_i = 0
        loops += ln.tail == ln.head
        edges.append(Edge(
            index=len(edges), u=idx[ln.tail], v=idx[ln.head], cost=int(round(ln.length)),
            demand=dem_i, name=f"{ln.kind} {ln.tail}-{ln.head}", oneway=ln.kind != "E_R",
        ))
    capacity = int(min(c for _, _, c in salt.vehicles))
    refill_short = [lab for lab, r in salt.depots if r < capacity]
    inst = CarpInstance(
        name=f"{salt.name}@{depot}", n_vertices=len(salt.labels), edges=edges, capacity=capacity,
        depot=idx[depot], n_vehicles=len(salt.vehicles),
    )
    notes = {"zero_demand_required": zero, "demand_rounded_up": rounded, "required_loops": loops,
             "depots_refilling_less_than_capacity": refill_short}
    return inst, notes


# --- walking node sequences on our data ---------------------------------------------------------


def link_table(salt: SaltInstance) -> dict[tuple[str, str], Link]:
    """The drivable directed links, the shortest of parallel ones: ``E_R`` both ways, ``A_R`` and
    ``A`` in their direction."""
    best: dict[tuple[str, str], Link] = {}
    for ln in salt.links:
        pairs = [(ln.tail, ln.head)] + ([(ln.head, ln.tail)] if ln.kind == "E_R" else [])
        for p in pairs:
            if p not in best or ln.length < best[p].length:
                best[p] = ln
    return best


def shortest_paths(salt: SaltInstance, source: str) -> dict[str, float]:
    """Directed Dijkstra over the drivable links from ``source`` (metres)."""
    adj: dict[str, list[tuple[str, float]]] = {}
    for (a, b), ln in link_table(salt).items():
        adj.setdefault(a, []).append((b, ln.length))
    dist = {source: 0.0}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, math.inf):
            continue
        for v, w in adj.get(u, ()):
            if d + w < dist.get(v, math.inf):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


def _required_key(ln: Link) -> tuple[str, int]:
    return (ln.kind, ln.index)


def evaluate_walk(salt: SaltInstance, seq: list[str], capacity: float | None = None) -> dict:
    """Length and time of a vehicle's node sequence on our data.

    Consecutive equal nodes are a stop (0 m). A pair that is a drivable link counts its (shortest)
    link; a pair driving an arc backwards or joined by no link counts the shortest path and is
    listed (``against_arc`` / ``not_a_link``). A last token that is not a node is read as "to the
    nearest refill depot": the shortest path there is ``final_leg_m`` (``terminal``).
    ``segments``: the walk cut at every pass through a depot (each pass counted as a refill, the
    most favourable reading). Each required link the walk drives counts as salted at its first
    traversal in an allowed direction (``served``, ``segment_loads``; with ``capacity``,
    ``over_capacity`` lists segments above it) — an upper bound on what this vehicle salts when
    another vehicle drives the same link. ``u_turns_forbidden``: ``a→b→a`` at a node ``b``
    outside ``U`` (our reading of the U-turn rule)."""
    table = link_table(salt)
    nodes = set(salt.labels)
    depots = {lab for lab, _ in salt.depots}
    refill = dict(salt.depots)
    terminal = None
    if seq and seq[-1] not in nodes:
        terminal = seq[-1]
        seq = seq[:-1]
    unknown = [x for x in seq if x not in nodes]
    if unknown:
        raise ValueError(f"nodes {unknown[:5]} are not in instance {salt.name}")
    length = minutes = 0.0
    not_a_link: list[tuple[str, str]] = []
    against_arc: list[tuple[str, str]] = []
    served: list[tuple[str, int]] = []
    seen: set[tuple[str, int]] = set()
    trip_loads = [0.0]
    residual = capacity
    over = []
    uturns = 0
    sp_cache: dict[str, dict[str, float]] = {}

    def sp(a: str, b: str) -> float:
        if a not in sp_cache:
            sp_cache[a] = shortest_paths(salt, a)
        return sp_cache[a].get(b, math.inf)

    speed = _metres_per_minute(salt)
    for i in range(1, len(seq)):
        a, b = seq[i - 1], seq[i]
        if a == b:
            continue
        ln = table.get((a, b))
        if ln is None:
            reverse = table.get((b, a))
            (against_arc if reverse is not None else not_a_link).append((a, b))
            d = sp(a, b)
            length += d
            minutes += d / speed
        else:
            length += ln.length
            minutes += ln.time
            if ln.kind != "A" and _required_key(ln) not in seen:
                seen.add(_required_key(ln))
                served.append(_required_key(ln))
                dem = salt.demand[_required_key(ln)]
                trip_loads[-1] += dem
                if residual is not None:
                    residual -= dem
                    if residual < -1e-6:
                        over.append(len(trip_loads) - 1)
        if i + 1 < len(seq) and seq[i + 1] == a and b not in salt.uturn_nodes:
            uturns += 1
        if b in depots and i + 1 < len(seq):
            trip_loads.append(0.0)
            if residual is not None:
                residual = min(capacity, residual + refill[b])
    final_leg = 0.0
    final_depot = seq[-1] if seq and seq[-1] in depots else None
    if terminal is not None and seq:
        options = [(sp(seq[-1], dep), dep) for dep in depots]
        final_leg, final_depot = min(options)
        length += final_leg
        minutes += final_leg / speed
    if trip_loads and trip_loads[-1] == 0 and len(trip_loads) > 1:
        trip_loads.pop()
    return {
        "length_m": round(length, 1),
        "minutes": round(minutes, 1),
        "final_leg_m": round(final_leg, 1),
        "terminal": terminal,
        "ends_at_depot": final_depot,
        "segments": len(trip_loads),
        "segment_loads": [round(x) for x in trip_loads],
        "over_capacity": sorted(set(over)),
        "u_turns_forbidden": uturns,
        "not_a_link": not_a_link,
        "against_arc": against_arc,
        "served": served,
    }


def _metres_per_minute(salt: SaltInstance) -> float:
    """The speed the file's ``time`` values imply (65 km/h in both instances)."""
    ln = max(salt.links, key=lambda x: x.length)
    return ln.length / ln.time if ln.time else 65000 / 60


def parse_reference(text: str) -> list[list[str]]:
    """Node sequences, one per vehicle: a line ending with a comma continues on the next."""
    routes: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        s = line.strip()
        if not s:
            continue
        current += [t.strip() for t in s.split(",") if t.strip()]
        if not s.endswith(","):
            routes.append(current)
            current = []
    if current:
        routes.append(current)
    return routes


def evaluate_reference(salt: SaltInstance, routes: list[list[str]]) -> dict:
    """The reference plan measured on our data: per vehicle :func:`evaluate_walk`, totals, and the
    required links no vehicle salts (``missing``)."""
    homes = {home: vid for vid, home, _ in salt.vehicles}
    capacity = min(c for _, _, c in salt.vehicles)
    vehicles = []
    served: set[tuple[str, int]] = set()
    for seq in routes:
        ev = evaluate_walk(salt, seq, capacity)
        served |= set(ev.pop("served"))
        ev["vehicle"] = homes.get(seq[0])
        ev["starts_at"] = seq[0]
        vehicles.append(ev)
    required = [ln for ln in salt.links if ln.kind != "A"]
    missing = [f"{ln.kind} {ln.tail}-{ln.head}" for ln in required if _required_key(ln) not in served]
    return {
        "length_m": round(sum(v["length_m"] for v in vehicles), 1),
        "final_legs_m": round(sum(v["final_leg_m"] for v in vehicles), 1),
        "length_without_final_legs_m": round(sum(v["length_m"] - v["final_leg_m"] for v in vehicles), 1),
        "max_vehicle_minutes": max(v["minutes"] for v in vehicles),
        "segments": sum(v["segments"] for v in vehicles),
        "u_turns_forbidden": sum(v["u_turns_forbidden"] for v in vehicles),
        "not_a_link": sum(len(v["not_a_link"]) for v in vehicles),
        "against_arc": sum(len(v["against_arc"]) for v in vehicles),
        "missing": missing,
        # segments above capacity if every vehicle salted each required link at its own first
        # traversal (the file does not say which traversal salts)
        "over_capacity_segments": sum(len(v["over_capacity"]) for v in vehicles),
        "vehicles": vehicles,
    }


# --- our plan as the statement's vehicle routes -------------------------------------------------


def trip_walks(salt: SaltInstance, inst: CarpInstance, plan) -> list[list[str]]:
    """Each trip (CARP route) as the node sequence depot → … → depot."""
    labels = salt.labels
    out = []
    for route in plan.routes:
        walk = route_walk(inst, route)
        out.append([labels[route.start]] + [labels[b] for _, _, b, _ in walk])
    return out


def vehicle_routes(salt: SaltInstance, inst: CarpInstance, plan) -> dict:
    """Our trips assigned to the real vehicles: each used vehicle drives from its home to its first
    trip's first service and then its trips; lengths and times measured by :func:`evaluate_walk`.
    Every assignment is tried (up to :data:`MAX_ASSIGNMENTS`; beyond, longest trip first to the
    least-loaded vehicle): fewest metres within ``max_time`` if any assignment fits, else the
    smallest longest vehicle time."""
    labels = salt.labels
    depot = labels[inst.depot]
    walks = trip_walks(salt, inst, plan)
    homes = [home for _, home, _ in salt.vehicles]
    sp_home = {h: shortest_paths(salt, h) for h in homes}
    sp_depot = shortest_paths(salt, depot)
    speed = _metres_per_minute(salt)
    costs = [r.cost for r in plan.routes]
    firsts = [labels[r.services[0].tail] for r in plan.routes]

    def start_delta(trip: int, home: str) -> float:  # home start instead of the depot start
        return sp_home[home].get(firsts[trip], math.inf) - sp_depot.get(firsts[trip], math.inf)

    def score(assign: tuple[int, ...]):
        lengths = []
        firsts_of = []
        for v, home in enumerate(homes):
            mine = [t for t, x in enumerate(assign) if x == v]
            if not mine:
                lengths.append(0.0)
                firsts_of.append(None)
                continue
            first = min(mine, key=lambda t: start_delta(t, home))
            lengths.append(sum(costs[t] for t in mine) + start_delta(first, home))
            firsts_of.append(first)
        longest = max(lengths) / speed
        fits = salt.max_time is None or longest <= salt.max_time + 1e-9
        return (not fits, sum(lengths) if fits else longest, longest), firsts_of

    k, m = len(walks), len(homes)
    if m ** k <= MAX_ASSIGNMENTS:
        best = min(itertools.product(range(m), repeat=k), key=lambda a: score(a)[0])
        search = "exhaustive"
    else:  # longest trip first to the vehicle with the least metres so far
        load = [0.0] * m
        best_l = [0] * k
        for t in sorted(range(k), key=lambda t: -costs[t]):
            v = min(range(m), key=lambda v: load[v])
            best_l[t] = v
            load[v] += costs[t]
        best = tuple(best_l)
        search = "greedy"
    _, firsts_of = score(best)
    vehicles = []
    for v, (vid, home, _) in enumerate(salt.vehicles):
        mine = [t for t, x in enumerate(best) if x == v]
        if not mine:
            vehicles.append({"vehicle": vid, "home": home, "trips": 0, "length_m": 0.0, "minutes": 0.0,
                             "u_turns_forbidden": 0})
            continue
        first = firsts_of[v]
        order = [first] + [t for t in mine if t != first]
        seq = [home]
        for j, t in enumerate(order):
            walk = walks[t]
            if j == 0:  # from home to the first service, then the trip without its depot start
                r = plan.routes[t]
                seq += [labels[b] for _, _, b in inst.path(salt.index[home], r.services[0].tail)]
                n_dead = len(inst.path(r.start, r.services[0].tail))  # as route_walk drives it
                seq += [labels[b] for _, _, b, _ in route_walk(inst, r)[n_dead:]]
            else:
                seq += walk[1:]
        ev = evaluate_walk(salt, seq, min(c for _, _, c in salt.vehicles))
        ev.pop("served")
        # loads as planned (verified); evaluate_walk's first-traversal loads would also count
        # required links this vehicle only deadheads over
        vehicles.append({"vehicle": vid, "home": home, "trips": len(mine), "length_m": ev["length_m"],
                         "minutes": ev["minutes"], "u_turns_forbidden": ev["u_turns_forbidden"],
                         "not_a_link": len(ev["not_a_link"]) + len(ev["against_arc"]),
                         "trip_loads": [plan.routes[t].load for t in order]})
    longest = max(v["minutes"] for v in vehicles)
    return {
        "length_m": round(sum(v["length_m"] for v in vehicles), 1),
        "max_vehicle_minutes": longest,
        "fits_max_time": salt.max_time is None or longest <= salt.max_time,
        "u_turns_forbidden": sum(v["u_turns_forbidden"] for v in vehicles),
        "assignment": search,
        "vehicles": vehicles,
    }


# --- the benchmark ------------------------------------------------------------------------------


def nearest_depot(salt: SaltInstance) -> str:
    """The depot with the smallest summed shortest distance from the vehicles' homes."""
    homes = [shortest_paths(salt, h) for _, h, _ in salt.vehicles]
    return min((sum(d.get(lab, math.inf) for d in homes), lab) for lab, _ in salt.depots)[1]


def gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(100.0 * (a - b) / b, 2)


def solve_depot(salt: SaltInstance, depot: str, limit: float, seed: int, workers: int) -> dict:
    inst, notes = to_carp(salt, depot)
    t0 = time.perf_counter()
    try:
        base = solve_baseline(inst)
    except UnreachableSegments as exc:
        return {"depot": depot, "error": str(exc)}
    plan = solve_carp(inst, limit, seed=seed, workers=workers)
    verify_carp_plan(inst, plan)
    veh = vehicle_routes(salt, inst, plan)
    base_veh = vehicle_routes(salt, inst, base)
    return {
        "depot": depot,
        "carp_cost": plan.cost,
        "baseline_carp_cost": base.cost,
        "gap_to_baseline_pct": gap(plan.cost, base.cost),
        "trips": plan.n_vehicles,
        "baseline_trips": base.n_vehicles,
        "verified": plan.verified and base.verified,
        "time_s": round(plan.runtime_s, 2),
        "time_limit_overrun": plan.runtime_s > 1.1 * limit + 1,
        "baseline_time_s": round(base.runtime_s, 3),
        "total_time_s": round(time.perf_counter() - t0, 2),
        "statement_length_m": veh["length_m"],
        "baseline_statement_length_m": base_veh["length_m"],
        "max_vehicle_minutes": veh["max_vehicle_minutes"],
        "fits_max_time": veh["fits_max_time"],
        "u_turns_forbidden": veh["u_turns_forbidden"],
        "vehicles": veh["vehicles"],
        "conversion": notes,
    }


def run_instance(name: str, args) -> dict:
    salt = read_salt(args.data / INSTANCES[name])
    if args.depot == "each":
        depots = [lab for lab, _ in salt.depots]
    elif args.depot == "nearest":
        depots = [nearest_depot(salt)]
    else:
        depots = [args.depot]
    required_len = sum(ln.length for ln in salt.links if ln.kind != "A")
    entry = {
        **salt.counts(),
        "required_loops": sum(ln.tail == ln.head for ln in salt.links),
        "total_demand": round(sum(salt.demand.values())),
        "capacity": min(c for _, _, c in salt.vehicles),
        "vehicles": [{"id": v, "home": h} for v, h, _ in salt.vehicles],
        "depots": [lab for lab, _ in salt.depots],
        "depot_nearest_homes": nearest_depot(salt),
        "max_time_min": salt.max_time,
        "uturn_nodes": len(salt.uturn_nodes),
        "required_length_m": round(required_len),
        "lb_unconfirmed_m": LOWER_BOUND_UNCONFIRMED.get(name),
        "runs": [],
    }
    for dep in depots:
        row = solve_depot(salt, dep, args.time_limit, args.seed, args.workers)
        entry["runs"].append(row)
        if not args.quiet:
            if "error" in row:
                print(f"{name:11s} depot={dep:4s} error: {row['error']}", file=sys.stderr, flush=True)
            else:
                print(f"{name:11s} depot={dep:4s} carp={row['carp_cost']:<8d}"
                      f" baseline={row['baseline_carp_cost']:<8d} ({row['gap_to_baseline_pct']:+.2f}%)"
                      f"  vehicles={row['statement_length_m']:.0f} m"
                      f"  max {row['max_vehicle_minutes']:.0f} min  t={row['time_s']:.1f}s",
                      file=sys.stderr, flush=True)
    ok = [r for r in entry["runs"] if "error" not in r]
    best = min(ok, key=lambda r: r["statement_length_m"]) if ok else None
    entry["best"] = None if best is None else {
        k: best[k] for k in ("depot", "carp_cost", "baseline_carp_cost", "gap_to_baseline_pct",
                             "statement_length_m", "baseline_statement_length_m",
                             "max_vehicle_minutes", "fits_max_time", "u_turns_forbidden", "trips")
    }
    if best is not None:
        entry["best"]["gap_to_lb_unconfirmed_pct"] = gap(best["statement_length_m"],
                                                         entry["lb_unconfirmed_m"])
    ref_file = REFERENCE.get(name)
    if ref_file and (args.data / ref_file).exists():
        ref = evaluate_reference(salt, parse_reference((args.data / ref_file).read_text()))
        entry["reference"] = ref
        if best is not None:
            entry["best"]["gap_to_reference_pct"] = gap(best["statement_length_m"], ref["length_m"])
            entry["best"]["baseline_gap_to_reference_pct"] = gap(best["baseline_statement_length_m"],
                                                                 ref["length_m"])
        if not args.quiet:
            print(f"{name:11s} reference {ref['length_m']:.0f} m (final legs {ref['final_legs_m']:.0f} m, "
                  f"{ref['segments']} depot-to-depot segments, max {ref['max_vehicle_minutes']:.0f} min, "
                  f"{len(ref['missing'])} required links not driven)", file=sys.stderr, flush=True)
    return entry


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--instances", default="kerteminde,middelfart")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per solve (per depot)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--depot", default="each", help="each | nearest | a depot label")
    ap.add_argument("--workers", type=int, default=None, help="parallel searches per solve (default: cores)")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    names = [s.strip() for s in args.instances.split(",") if s.strip()]
    unknown = [s for s in names if s not in INSTANCES]
    if unknown:
        ap.error(f"unknown instance(s) {unknown}; known: {', '.join(INSTANCES)}")
    args.workers = args.workers or max(1, os.cpu_count() or 1)
    out = {
        "benchmark": "salting",
        "source": "https://github.com/roar-net/problem-statements/tree/main/problems/salt-spreading",
        "time_limit_s": args.time_limit,
        "seed": args.seed,
        "depot_mode": args.depot,
        "workers_per_solve": args.workers,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "modelling_notes": MODELLING_NOTES,
        "instances": {},
    }
    t0 = time.perf_counter()
    for name in names:
        out["instances"][name] = run_instance(name, args)
    out["total_time_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
