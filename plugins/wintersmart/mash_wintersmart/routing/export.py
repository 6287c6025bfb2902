"""GeoJSON and GPX export of gritting (CARP) and refill plans.

Coordinates are ``(lon, lat)`` in WGS 84. A CARP route is expanded into its full walk: depot →
deadhead along shortest paths → service → … → depot; every step keeps the edge index and whether
it is serviced, so a driver app can colour gritting and deadheading differently. The deadheading
paths come from :meth:`.CarpInstance.path` and so follow the one-way streets of a mixed instance;
a service feature says whether its segment is one-way (``oneway``).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .instance import CarpInstance, CarpPlan
from .prize import RefillPlan, RefillProblem


def route_walk(inst: CarpInstance, route) -> list[tuple[int, int, int, bool]]:
    """Steps ``(edge, from, to, serviced)`` of a route, deadheading along shortest (directed)
    paths."""
    steps: list[tuple[int, int, int, bool]] = []
    pos = route.start
    for s in route.services:
        steps += [(e, a, b, False) for e, a, b in inst.path(pos, s.tail)]
        steps.append((s.edge, s.tail, s.head, True))
        pos = s.head
    steps += [(e, a, b, False) for e, a, b in inst.path(pos, route.end)]
    return steps


def _coords(inst: CarpInstance, coords: dict[int, tuple[float, float]] | None):
    c = coords if coords is not None else inst.coords
    if not c:
        raise ValueError("vertex coordinates are needed for a geographic export")
    return c


def carp_plan_geojson(
    inst: CarpInstance, plan: CarpPlan, coords: dict[int, tuple[float, float]] | None = None
) -> dict:
    """FeatureCollection: per vehicle one ``LineString`` of its whole walk (``kind: route``) and
    one ``LineString`` per serviced segment (``kind: service``, with ``seq`` and direction)."""
    c = _coords(inst, coords)
    features = []
    for v, route in enumerate(plan.routes):
        walk = route_walk(inst, route)
        line = [list(c[route.start])] + [list(c[b]) for _, _, b, _ in walk]
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": line},
            "properties": {"kind": "route", "vehicle": v, "cost": route.cost, "load": route.load,
                           "services": len(route.services)},
        })
        for seq, s in enumerate(route.services):
            features.append({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": [list(c[s.tail]), list(c[s.head])]},
                "properties": {"kind": "service", "vehicle": v, "seq": seq, "edge": s.edge,
                               "from": s.tail, "to": s.head,
                               "direction": 1 if s.tail == inst.edges[s.edge].u else -1,
                               "oneway": inst.edges[s.edge].oneway},
            })
    return {"type": "FeatureCollection", "features": features,
            "properties": {"instance": plan.instance, "cost": plan.cost, "solver": plan.solver,
                           "verified": plan.verified}}


def _gpx(tracks: list[tuple[str, list[tuple[float, float]]]], name: str) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<gpx version="1.1" creator="MAsH WinterSMART" xmlns="http://www.topografix.com/GPX/1/1">',
           f"  <metadata><name>{escape(name)}</name></metadata>"]
    for tname, pts in tracks:
        out.append(f"  <trk><name>{escape(tname)}</name><trkseg>")
        out += [f'    <trkpt lat="{lat:.7f}" lon="{lon:.7f}"/>' for lon, lat in pts]
        out.append("  </trkseg></trk>")
    out.append("</gpx>")
    return "\n".join(out) + "\n"


def carp_plan_gpx(
    inst: CarpInstance, plan: CarpPlan, coords: dict[int, tuple[float, float]] | None = None
) -> str:
    """GPX 1.1, one track per vehicle following its full walk."""
    c = _coords(inst, coords)
    tracks = []
    for v, route in enumerate(plan.routes):
        walk = route_walk(inst, route)
        pts = [c[route.start]] + [c[b] for _, _, b, _ in walk]
        tracks.append((f"Vehicle {v + 1}", pts))
    return _gpx(tracks, f"Gritting plan {plan.instance}")


def _refill_points(problem: RefillProblem, route) -> list[tuple[float, float]]:
    if problem.depot is None:
        raise ValueError("depot coordinates are needed for a geographic export")
    pts = [problem.depot]
    for b in route.bins:
        bn = problem.bins[b]
        if bn.lon is None or bn.lat is None:
            raise ValueError(f"bin {bn.id} has no coordinates")
        pts.append((bn.lon, bn.lat))
    return pts + [problem.depot]


def refill_plan_geojson(problem: RefillProblem, plan: RefillPlan) -> dict:
    """Per vehicle a ``LineString`` (depot → bins → depot) and a ``Point`` per visited bin."""
    features = []
    for v, route in enumerate(plan.routes):
        pts = _refill_points(problem, route)
        features.append({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates": [list(p) for p in pts]},
            "properties": {"kind": "route", "vehicle": v, "distance": route.distance, "load": route.load},
        })
        for seq, b in enumerate(route.bins):
            bn = problem.bins[b]
            features.append({
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [bn.lon, bn.lat]},
                "properties": {"kind": "bin", "vehicle": v, "seq": seq, "bin": bn.id,
                               "refill": bn.demand, "required": bn.required},
            })
    return {"type": "FeatureCollection", "features": features,
            "properties": {"distance": plan.distance, "uncollected_prize": plan.uncollected_prize,
                           "verified": plan.verified}}


def refill_plan_gpx(problem: RefillProblem, plan: RefillPlan) -> str:
    tracks = [(f"Vehicle {v + 1}", _refill_points(problem, r)) for v, r in enumerate(plan.routes)]
    return _gpx(tracks, "Grit-bin refill plan")
