"""Road network import from an OpenStreetMap extract (GeoJSON, read locally) and gritting
priority classes per segment.

Input: a GeoJSON FeatureCollection of LineStrings with the OSM properties ``highway``, ``name``,
``bridge``, ``oneway`` and the way id as ``osm_id`` (also accepted: ``@id``/``id`` as
``way/123`` — the form of osmtogeojson/Overpass exports; a hand-built network may give a MAsH
``key`` instead). Every feature is validated; rejected
features are reported with their index, id and reason, the others become road segments with
key ``osm:<id>`` — a second import updates them instead of adding duplicates (idempotent).

Segments get ``from_node``/``to_node`` from their end points (coordinates rounded to 1e-6°,
packed into one integer), so ways that meet at an end point share a node for route planning.
Ways are not split at inner junctions (what an OSM extract's ways are, is kept).

``.osm.pbf`` is not read: see the README ("Road network").
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from mash_core.api import audit, db_session, select

from .models import RoadSegment

#: OSM highway values imported (roads a gritting vehicle or a footway crew serves)
HIGHWAYS = {
    "motorway": 1, "motorway_link": 1, "trunk": 1, "trunk_link": 1, "primary": 1, "primary_link": 1,
    "secondary": 2, "secondary_link": 2, "tertiary": 3, "tertiary_link": 3,
    "unclassified": 4, "residential": 4, "living_street": 5, "service": 5, "road": 4,
    "busway": 2, "cycleway": 4, "footway": 5, "pedestrian": 5, "path": 5, "steps": 5, "track": 5,
}
TRUE = {"yes", "true", "1", "viaduct", "aqueduct", "boardwalk", "movable", "cantilever", "covered", "trestle",
        "suspension", "low_water_crossing", "simple_brunnel"}
MAX_FEATURES = 200_000
#: a MAsH key instead of an OSM id (hand-built networks such as the demo's)
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,119}$")


def default_priority(highway: str, is_bridge: bool) -> int:
    """Default gritting class: by road class; bridges freeze first, so at most class 2."""
    p = HIGHWAYS.get(highway, 5)
    return min(p, 2) if is_bridge else p


def node_id(lon: float, lat: float) -> int:
    """A stable integer for a point (lon/lat rounded to 1e-6°)."""
    return (round((lat + 90) * 1e6) << 29) | round((lon + 180) * 1e6)


@dataclass
class Rejected:
    index: int
    osm_id: Optional[str]
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [r.__dict__ for r in self.rejected]}


class NetworkFileError(ValueError):
    """The file as a whole cannot be read."""


def _osm_id(props: dict, feature: dict) -> Optional[int]:
    for raw in (props.get("osm_id"), props.get("@id"), feature.get("id"), props.get("id")):
        if raw is None or isinstance(raw, bool):
            continue
        if isinstance(raw, int):
            return raw
        if isinstance(raw, float) and raw.is_integer():
            return int(raw)
        if isinstance(raw, str):
            text = raw.strip()
            if text.startswith("way/"):
                text = text[4:]
            if text.isdigit():
                return int(text)
            if text.startswith(("node/", "relation/")):
                raise ValueError(f"not a way: {raw}")
        raise ValueError(f"osm_id must be a positive integer, got {raw!r}")
    return None


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    return str(value).strip().lower() in TRUE


def _coordinates(geometry: Any) -> list[list[float]]:
    if not isinstance(geometry, dict):
        raise ValueError("no geometry")
    kind = geometry.get("type")
    if kind != "LineString":
        raise ValueError(f"geometry must be a LineString, is {kind}")
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        raise ValueError("a LineString needs at least 2 positions")
    out = []
    for pos in coords:
        if not (isinstance(pos, list) and len(pos) in (2, 3)
                and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in pos)):
            raise ValueError("every position must be [lon, lat]")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"position out of range: [{lon}, {lat}]")
        out.append([round(lon, 7), round(lat, 7)])
    if all(p == out[0] for p in out):
        raise ValueError("all positions are the same point")
    return out


def parse_feature(feature: Any) -> dict:
    """One GeoJSON feature → segment fields; raises ValueError with the reason."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise ValueError("not a GeoJSON Feature")
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        raise ValueError("properties must be an object")
    osm_id = _osm_id(props, feature)
    own_key = props.get("key") if osm_id is None else None
    if osm_id is None and not (isinstance(own_key, str) and KEY.match(own_key)):
        raise ValueError("no osm_id")
    if osm_id is not None and (osm_id <= 0 or osm_id >= 2 ** 62):
        raise ValueError(f"osm_id out of range: {osm_id}")
    highway = props.get("highway")
    if not isinstance(highway, str) or not highway:
        raise ValueError("no highway tag")
    if highway not in HIGHWAYS:
        raise ValueError(f"highway={highway} is not a road that is gritted")
    coords = _coordinates(feature.get("geometry"))
    oneway_raw = str(props.get("oneway", "no")).strip().lower()
    if oneway_raw == "-1":  # drawn against the direction of travel
        coords.reverse()
    oneway = oneway_raw in ("yes", "true", "1", "-1")
    is_bridge = _flag(props.get("bridge"))
    name = props.get("name") if isinstance(props.get("name"), str) and props.get("name").strip() else None
    if name is None:
        ref = props.get("ref")
        name = f"{ref} ({highway})" if isinstance(ref, str) and ref else f"{highway} {osm_id or own_key}"
    from .api import line_length_m

    return dict(key=own_key or f"osm:{osm_id}", name=name.strip()[:200], osm_way_id=osm_id, highway=highway[:40],
                geometry=json.dumps({"type": "LineString", "coordinates": coords}, separators=(",", ":")),
                is_bridge=is_bridge, oneway=oneway, length_m=round(line_length_m(coords), 1),
                from_node=node_id(*coords[0]), to_node=node_id(*coords[-1]),
                priority_class=default_priority(highway, is_bridge))


def read_features(source: Any) -> list:
    """Features of a GeoJSON FeatureCollection (a path, text, bytes or the parsed object)."""
    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        path = Path(source)
        if path.suffix.lower() == ".pbf":
            raise NetworkFileError(".osm.pbf is not supported: convert the extract to GeoJSON first "
                                   "(e.g. osmium export or ogr2ogr), see the README")
        try:
            source = path.read_bytes()
        except OSError as exc:
            raise NetworkFileError(f"cannot read {path}: {exc.strerror}") from None
    if isinstance(source, (bytes, str)):
        try:
            source = json.loads(source)
        except ValueError as exc:
            raise NetworkFileError(f"not valid JSON: {exc}") from None
    if not isinstance(source, dict) or source.get("type") != "FeatureCollection":
        raise NetworkFileError("not a GeoJSON FeatureCollection")
    features = source.get("features")
    if not isinstance(features, list):
        raise NetworkFileError("FeatureCollection without a features list")
    if len(features) > MAX_FEATURES:
        raise NetworkFileError(f"more than {MAX_FEATURES} features")
    return features


UPDATABLE = ("name", "osm_way_id", "highway", "geometry", "is_bridge", "oneway", "length_m", "from_node", "to_node")


def import_network(source: Any, session=None, dry_run: bool = False) -> ImportReport:
    """Import (or update) road segments from a GeoJSON OSM extract; see the module docstring.

    An existing segment keeps its priority class (operators set it); everything else is
    updated from the file."""
    session = session or db_session()
    features = read_features(source)
    report = ImportReport()
    parsed: dict[str, dict] = {}
    for i, feature in enumerate(features):
        raw_id = None
        if isinstance(feature, dict):
            props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            raw_id = props.get("osm_id", props.get("@id", feature.get("id")))
            raw_id = None if raw_id is None else str(raw_id)
        try:
            data = parse_feature(feature)
        except ValueError as exc:
            report.rejected.append(Rejected(i, raw_id, str(exc)))
            continue
        if data["key"] in parsed:
            report.rejected.append(Rejected(i, raw_id, f"duplicate id {data['key']} in the file"))
            continue
        parsed[data["key"]] = data
    existing = {}
    keys = list(parsed)
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        existing.update({s.key: s for s in session.exec(select(RoadSegment).where(RoadSegment.key.in_(chunk))).all()})
    for key, data in parsed.items():
        seg = existing.get(key)
        if seg is None:
            report.created += 1
            if not dry_run:
                session.add(RoadSegment(**data))
            continue
        changed = [f for f in UPDATABLE if getattr(seg, f) != data[f]]
        if changed:
            report.updated += 1
            if not dry_run:
                for f in changed:
                    setattr(seg, f, data[f])
        else:
            report.unchanged += 1
    if dry_run:
        session.rollback()
    else:
        session.flush()
        if report.created or report.updated or report.rejected:  # a no-op re-import is no admin action
            audit("wintersmart.network.import", "segments", created=report.created, updated=report.updated,
                  rejected=len(report.rejected))
        session.commit()
    return report


def set_priority(priority_class: int, ids=(), keys=(), highway: Optional[str] = None, session=None) -> int:
    """Set the gritting class (1–5) of the segments named by id, key or OSM highway value."""
    if not 1 <= int(priority_class) <= 5:
        raise ValueError("priority class must be 1…5")
    session = session or db_session()
    conds = []
    if ids:
        conds.append(RoadSegment.id.in_(list(ids)))
    if keys:
        conds.append(RoadSegment.key.in_(list(keys)))
    if highway:
        conds.append(RoadSegment.highway == highway)
    if not conds:
        raise ValueError("name segments by id, key or highway")
    import sqlalchemy as sa

    segments = session.exec(select(RoadSegment).where(sa.or_(*conds))).all()
    for s in segments:
        s.priority_class = int(priority_class)
    if segments:
        audit("wintersmart.segment.priority", "segments", priority_class=int(priority_class),
              segments=[s.id for s in segments][:500])
    session.commit()
    return len(segments)
