"""CARP → generalised VRP encoding for PyVRP (Bräysy et al. 2011; domain brief §9.4).

Every required edge e = {u, v} becomes two clients, e⁺ (serviced u→v) and e⁻ (v→u), each with
delivery demand q_e, in one required, mutually exclusive :class:`pyvrp.ClientGroup` (the member
clients are ``required=False``, as PyVRP expects for grouped clients). A loop (u = v) and a
one-way required edge (an arc u → v, served only in its direction) become a single required client
without a group. Each client has its own location; the asymmetric distance matrix (``SP`` follows
the one-way streets on a mixed instance) is

* client i → client j: ``s_i + SP(head(i), tail(j))``
* depot → client j:   ``SP(depot, tail(j))``
* client i → depot:   ``s_i + SP(head(i), depot)``

so the VRP distance of a route equals its CARP cost (service plus deadheading).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyvrp

from .instance import CarpInstance, Service


@dataclass
class Encoding:
    data: pyvrp.ProblemData
    services: list[Service]  # client index -> service (edge, tail, head)
    client_of: dict[tuple[int, int, int], int]  # (edge, tail, head) -> client index


def encode(inst: CarpInstance, num_vehicles: int | None = None, fixed_cost: int = 0) -> Encoding:
    """Build the PyVRP problem; ``num_vehicles`` limits the fleet (default: unlimited, i.e. one
    vehicle per required edge)."""
    services: list[Service] = []
    groups: list[pyvrp.ClientGroup] = []
    clients: list[pyvrp.Client] = []
    for e in inst.required:
        if e.u == e.v or e.oneway:  # one allowed orientation: a plain required client
            services.append(Service(e.index, e.u, e.v))
            name = f"e{e.index}" if e.u == e.v else f"e{e.index}:{e.u}>{e.v}"
            clients.append(pyvrp.Client(location=len(clients) + 1, delivery=[e.demand], name=name))
            continue
        g = len(groups)
        members = []
        for tail, head in ((e.u, e.v), (e.v, e.u)):
            members.append(len(clients))
            services.append(Service(e.index, tail, head))
            clients.append(
                pyvrp.Client(
                    location=len(clients) + 1,
                    delivery=[e.demand],
                    required=False,
                    group=g,
                    name=f"e{e.index}:{tail}>{head}",
                )
            )
        groups.append(pyvrp.ClientGroup(members, required=True, name=f"e{e.index}"))

    sp = inst.sp
    tails = np.array([inst.depot] + [s.tail for s in services])
    heads = np.array([inst.depot] + [s.head for s in services])
    serv = np.array([0] + [inst.edges[s.edge].cost for s in services], dtype=np.int64)
    dist = serv[:, None] + sp[np.ix_(heads, tails)]
    np.fill_diagonal(dist, 0)
    dist = np.ascontiguousarray(dist, dtype=np.int64)
    dur = np.zeros_like(dist)

    n_req = len(inst.required)
    fleet = num_vehicles if num_vehicles is not None else max(1, n_req)
    vt = pyvrp.VehicleType(num_available=fleet, capacity=[inst.capacity], fixed_cost=fixed_cost)
    locations = [pyvrp.Location(0, 0, name="depot")] + [
        pyvrp.Location(0, 0, name=c.name) for c in clients
    ]
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[pyvrp.Depot(location=0, name="depot")],
        vehicle_types=[vt],
        distance_matrices=[dist],
        duration_matrices=[dur],
        groups=groups,
    )
    client_of = {(s.edge, s.tail, s.head): i for i, s in enumerate(services)}
    return Encoding(data=data, services=services, client_of=client_of)


def decode(enc: Encoding, sol: pyvrp.Solution) -> list[list[Service]]:
    routes = []
    for r in sol.routes():
        services = [enc.services[act.idx] for act in r.schedule() if act.is_client()]
        if services:
            routes.append(services)
    return routes


def to_solution(enc: Encoding, routes: list[list[Service]]) -> pyvrp.Solution:
    """Encode CARP routes as a PyVRP solution (e.g. the baseline, as a warm start)."""
    visits = [[enc.client_of[(s.edge, s.tail, s.head)] for s in r] for r in routes if r]
    return pyvrp.Solution(enc.data, visits)
