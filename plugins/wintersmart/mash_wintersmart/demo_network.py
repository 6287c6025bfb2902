"""Demo: the hand-built network of Heidelberg's main roads and bridges
(``demo_network.geojson``, approximate coordinates), 20 road-weather stations on them, 50 grit
bins with level sensors, 4 sign controllers and one salt silo at each example depot.

Everything is idempotent by key. The station, bin and silo keys are also what
``mash wintersmart simulate`` publishes for.
"""

from __future__ import annotations

import json
from pathlib import Path

from mash_core.api import db_session, select

from .models import Depot, RoadSegment, Thing
from .models_bins import Container
from .network import import_network

NETWORK_FILE = Path(__file__).with_name("demo_network.geojson")

#: (thing key, segment key, position along the segment 0…1)
STATIONS = [
    ("hd-rws-01", "hd:theodor-heuss-bruecke", 0.5), ("hd-rws-02", "hd:ernst-walz-bruecke", 0.5),
    ("hd-rws-03", "hd:alte-bruecke", 0.5), ("hd-rws-04", "hd:montpellierbruecke", 0.5),
    ("hd-rws-05", "hd:ziegelhaeuser-bruecke", 0.5), ("hd-rws-06", "hd:kurfuersten-anlage", 0.4),
    ("hd-rws-07", "hd:neckarstaden", 0.5), ("hd-rws-08", "hd:am-hackteufel", 0.5),
    ("hd-rws-09", "hd:schlierbacher-landstrasse", 0.6), ("hd-rws-10", "hd:speyerer-strasse", 0.5),
    ("hd-rws-11", "hd:berliner-strasse", 0.5), ("hd-rws-12", "hd:mittermaierstrasse", 0.5),
    ("hd-rws-13", "hd:rohrbacher-strasse", 0.6), ("hd-rws-14", "hd:roemerstrasse", 0.5),
    ("hd-rws-15", "hd:karlsruher-strasse", 0.5), ("hd-rws-16", "hd:bergheimer-strasse", 0.5),
    ("hd-rws-17", "hd:neuenheimer-landstrasse", 0.5), ("hd-rws-18", "hd:handschuhsheimer-landstrasse", 0.5),
    ("hd-rws-19", "hd:mannheimer-strasse", 0.5), ("hd-rws-20", "hd:ziegelhaeuser-landstrasse", 0.5),
]
SIGNS = [("hd-sign-01", "hd:theodor-heuss-bruecke", 0.1), ("hd-sign-02", "hd:ernst-walz-bruecke", 0.1),
         ("hd-sign-03", "hd:montpellierbruecke", 0.1), ("hd-sign-04", "hd:ziegelhaeuser-bruecke", 0.1)]
N_BINS = 50
#: (key, depot name, lon, lat) — example positions like the example depots themselves
SILOS = [("hd-silo-nord", "Betriebshof Nord (Beispieldaten)", 8.6690, 49.4170),
         ("hd-silo-sued", "Betriebshof Süd (Beispieldaten)", 8.6800, 49.3790)]

#: dimensions of the demo containers (mm)
BIN_BOX = dict(shape="box", d_empty_mm=800.0, d_full_mm=200.0, length_mm=1000.0, width_mm=700.0)
BIN_CYLINDER = dict(shape="cylinder", d_empty_mm=900.0, d_full_mm=200.0, diameter_mm=800.0)
SILO = dict(shape="cone_silo", d_empty_mm=10000.0, d_full_mm=800.0, diameter_mm=3000.0,
            cone_height_mm=2500.0, outlet_diameter_mm=300.0)


def point_along(coords: list, fraction: float) -> tuple[float, float]:
    """(lon, lat) at ``fraction`` of a polyline's vertex-to-vertex length (planar; short lines)."""
    import math

    lens = [math.dist(a, b) for a, b in zip(coords, coords[1:])]
    target, run = sum(lens) * fraction, 0.0
    for (a, b), d in zip(zip(coords, coords[1:]), lens):
        if run + d >= target and d > 0:
            f = (target - run) / d
            return round(a[0] + (b[0] - a[0]) * f, 6), round(a[1] + (b[1] - a[1]) * f, 6)
        run += d
    return tuple(coords[-1])


def bin_specs(segments: list[RoadSegment]) -> list[dict]:
    """50 grit bins spread over the segments (bridges and their ramps first: they freeze first)."""
    ordered = sorted(segments, key=lambda s: (not s.is_bridge, s.key))
    out = []
    for i in range(N_BINS):
        seg = ordered[i % len(ordered)]
        frac = (0.2, 0.8, 0.5, 0.35, 0.65)[(i // len(ordered)) % 5]
        lon, lat = point_along(json.loads(seg.geometry)["coordinates"], frac)
        dims = BIN_CYLINDER if i % 5 == 4 else BIN_BOX
        out.append(dict(key=f"hd-bin-{i + 1:02d}", name=f"Streugutbehälter {seg.name} ({i + 1})",
                        lat=round(lat + 0.00008, 6), lon=round(lon + 0.00008, 6), road_segment_id=seg.id, **dims))
    return out


def load() -> None:
    session = db_session()
    import_network(NETWORK_FILE, session=session)
    segments = {s.key: s for s in session.exec(select(RoadSegment).where(RoadSegment.key.like("hd:%"))).all()}
    things = {t.key: t for t in session.exec(select(Thing)).all()}

    def thing(key, kind, name, seg_key, frac, provider="mqtt"):
        if key in things:
            return things[key]
        seg = segments[seg_key]
        lon, lat = point_along(json.loads(seg.geometry)["coordinates"], frac)
        t = Thing(key=key, kind=kind, name=name, lat=lat, lon=lon, road_segment_id=seg.id, is_bridge=seg.is_bridge,
                  provider=provider, properties={"demo": True})
        session.add(t)
        things[key] = t
        return t

    for i, (key, seg_key, frac) in enumerate(STATIONS):
        thing(key, "road_weather_station", f"Glättemeldeanlage {segments[seg_key].name}", seg_key, frac)
    for key, seg_key, frac in SIGNS:
        thing(key, "sign_controller", f"Warnschild {segments[seg_key].name}", seg_key, frac)
    session.flush()
    containers = set(session.exec(select(Container.key)).all())
    for spec in bin_specs(list(segments.values())):
        if spec["key"] in containers:
            continue
        t = things.get(spec["key"])
        if t is None:
            t = Thing(key=spec["key"], kind="grit_bin_sensor", name=spec["name"], lat=spec["lat"], lon=spec["lon"],
                      road_segment_id=spec["road_segment_id"], provider="mqtt", properties={"demo": True})
            session.add(t)
            session.flush()
        session.add(Container(kind="bin", thing_id=t.id, **spec))
    depots = {d.name: d for d in session.exec(select(Depot)).all()}
    for key, depot, lon, lat in SILOS:
        if key in containers:
            continue
        t = things.get(key)
        if t is None:
            t = Thing(key=key, kind="grit_bin_sensor", name=f"Salzsilo {depot}", lat=lat, lon=lon, provider="mqtt",
                      properties={"demo": True, "container": "silo"})
            session.add(t)
            session.flush()
        session.add(Container(key=key, name=f"Salzsilo {depot}", kind="silo", lat=lat, lon=lon, thing_id=t.id,
                              depot_id=depots[depot].id if depot in depots else None, **SILO))
    session.commit()
