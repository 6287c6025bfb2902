"""Road network import from an OpenStreetMap extract read locally — GeoJSON or an OSM file
(``.osm.pbf``, also ``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.o5m``) — and gritting priority
classes per segment. Nothing is downloaded.

**GeoJSON**: a FeatureCollection of LineStrings with the OSM properties ``highway``, ``name``,
``bridge``, ``oneway``, ``ref`` and the way id as ``osm_id`` (also accepted: ``@id``/``id`` as
``way/123`` — the form of osmtogeojson/Overpass exports; a hand-built network may give a MAsH
``key`` instead). Every feature is validated; rejected features are reported with their index,
id and reason. A way becomes one segment, key ``osm:<id>``; ways are not split (what the file's
features are, is kept).

**OSM files** are read with pyosmium in two streaming passes (no list of the file's objects is
built in Python): the first reads only the ways and marks the nodes used more than once by the
imported highways (junctions, in the compact ``IdSet``); the second reads nodes and ways with a
``flex_mem`` location index (suited to city extracts) and splits every way at its junctions, so
that the segments meet at shared nodes and the graph is routable. A way that is not split keeps
the key ``osm:<way>``; the pieces of a split way get ``osm:<way>:<first OSM node of the piece>``
(stable when a later extract adds a junction elsewhere on the way). Ways whose highway class is
not imported are ignored (counted, not listed — an extract holds many footways); ways with
nodes missing from the extract (cut at its border) are rejected and reported.

Both formats then take **one path**: each segment record goes through :func:`segment_record`
(name, ``ref``, highway class, ``bridge`` → bridge flag, ``oneway`` — ``-1`` reverses the
geometry; ``junction=roundabout`` and ``highway=motorway`` imply one way —, length in metres by
haversine, default priority class) and :func:`_upsert` (idempotent by key: a re-import updates
changed fields and **keeps the priority class** operators set, reports created / updated /
unchanged / rejected).

Which highway classes are imported: setting ``network_highways`` (default
:data:`DEFAULT_HIGHWAYS`, the roads a gritting vehicle serves), or the ``highways`` argument.

Segments get ``from_node``/``to_node`` from their end points (coordinates rounded to 1e-6°,
packed into one integer), so segments that meet at a point share a node for route planning —
the same numbers for both formats.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional

from mash_core.api import audit, db_session, select

from .models import RoadSegment

#: OSM highway value → default gritting class (1 = first); the values that may be imported
HIGHWAYS = {
    "motorway": 1, "motorway_link": 1, "trunk": 1, "trunk_link": 1, "primary": 1, "primary_link": 1,
    "secondary": 2, "secondary_link": 2, "tertiary": 3, "tertiary_link": 3,
    "unclassified": 4, "residential": 4, "living_street": 5, "service": 5, "road": 4,
    "busway": 2, "cycleway": 4, "footway": 5, "pedestrian": 5, "path": 5, "steps": 5, "track": 5,
}
#: imported unless the setting ``network_highways`` says otherwise: the roads a gritting vehicle
#: serves (``service`` — driveways, parking aisles — and paths for footway crews are opt-in)
DEFAULT_HIGHWAYS = ("motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
                    "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
                    "living_street", "road", "busway")
TRUE = {"yes", "true", "1", "viaduct", "aqueduct", "boardwalk", "movable", "cantilever", "covered", "trestle",
        "suspension", "low_water_crossing", "simple_brunnel"}
MAX_FEATURES = 200_000
#: a MAsH key instead of an OSM id (hand-built networks such as the demo's)
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,119}$")
#: file suffixes read with pyosmium (everything else is read as GeoJSON)
OSM_SUFFIXES = (".pbf", ".osm", ".osm.gz", ".osm.bz2", ".o5m")
#: upsert in chunks of this many segments (one query for the existing keys per chunk)
CHUNK = 500


def default_priority(highway: str, is_bridge: bool) -> int:
    """Default gritting class: by road class; bridges freeze first, so at most class 2."""
    p = HIGHWAYS.get(highway, 5)
    return min(p, 2) if is_bridge else p


def node_id(lon: float, lat: float) -> int:
    """A stable integer for a point (lon/lat rounded to 1e-6°)."""
    return (round((lat + 90) * 1e6) << 29) | round((lon + 180) * 1e6)


def parse_highways(value: Any) -> frozenset[str]:
    """A set of highway classes from a comma-separated text or a list; ValueError for unknown ones."""
    items = value.split(",") if isinstance(value, str) else list(value)
    out = {str(v).strip() for v in items if str(v).strip()}
    unknown = sorted(out - set(HIGHWAYS))
    if unknown:
        raise ValueError(f"unknown highway class(es): {', '.join(unknown)} (known: {', '.join(HIGHWAYS)})")
    if not out:
        raise ValueError("no highway class")
    return frozenset(out)


def configured_highways() -> frozenset[str]:
    """The highway classes of the setting ``network_highways`` (the defaults without a context)."""
    from flask import has_app_context

    if has_app_context():
        from mash_core.api import get_settings

        try:
            return parse_highways(get_settings("wintersmart")["network_highways"])
        except (KeyError, ValueError):
            pass
    return frozenset(DEFAULT_HIGHWAYS)


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
    #: ways of an OSM file whose highway class is not imported (not listed one by one)
    ignored: int = 0
    format: str = "geojson"

    @property
    def accepted(self) -> int:
        return self.created + self.updated + self.unchanged

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "rejected": [r.__dict__ for r in self.rejected], "ignored": self.ignored, "format": self.format}


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


def _text(value: Any) -> Optional[str]:
    return value.strip() if isinstance(value, str) and value.strip() else None


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
        out.append([float(pos[0]), float(pos[1])])
    return out


def check_highway(highway: Any, highways: Optional[Iterable[str]] = None) -> str:
    """The highway value if it is imported; ValueError with the reason otherwise."""
    if not isinstance(highway, str) or not highway:
        raise ValueError("no highway tag")
    if highway not in HIGHWAYS:
        raise ValueError(f"highway={highway} is not a road that is gritted")
    if highways is not None and highway not in highways:
        raise ValueError(f"highway={highway} is not imported (setting network_highways)")
    return highway


def segment_record(key: str, osm_id: Optional[int], tags: dict, coords: list[list[float]]) -> dict:
    """The segment fields from OSM tags and a lon/lat polyline (both formats end here).

    ``tags``: ``highway`` (already checked), ``name``, ``ref``, ``bridge``, ``oneway``,
    ``junction``. Raises ValueError for positions out of range or a line without length."""
    from .api import line_length_m

    highway = tags["highway"]
    out = []
    for lon, lat in coords:
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ValueError(f"position out of range: [{lon}, {lat}]")
        out.append([round(lon, 7), round(lat, 7)])
    if all(p == out[0] for p in out):
        raise ValueError("all positions are the same point")
    oneway_raw = str(tags.get("oneway") or "").strip().lower()
    if oneway_raw == "-1":  # drawn against the direction of travel
        out.reverse()
    implied = highway == "motorway" or str(tags.get("junction") or "").lower() in ("roundabout", "circular")
    oneway = oneway_raw in ("yes", "true", "1", "-1") or (implied and oneway_raw not in ("no", "false", "0"))
    is_bridge = _flag(tags.get("bridge"))
    name = _text(tags.get("name"))
    if name is None:
        ref = _text(tags.get("ref"))
        name = f"{ref} ({highway})" if ref else f"{highway} {osm_id or key}"
    return dict(key=key, name=name[:200], osm_way_id=osm_id, highway=highway[:40],
                geometry=json.dumps({"type": "LineString", "coordinates": out}, separators=(",", ":")),
                is_bridge=is_bridge, oneway=oneway, length_m=round(line_length_m(out), 1),
                from_node=node_id(*out[0]), to_node=node_id(*out[-1]),
                priority_class=default_priority(highway, is_bridge))


def parse_feature(feature: Any, highways: Optional[Iterable[str]] = None) -> dict:
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
    highway = check_highway(props.get("highway"), highways)
    coords = _coordinates(feature.get("geometry"))
    tags = {k: props.get(k) for k in ("name", "ref", "bridge", "oneway", "junction")}
    tags["highway"] = highway
    return segment_record(own_key or f"osm:{osm_id}", osm_id, tags, coords)


def read_features(source: Any) -> list:
    """Features of a GeoJSON FeatureCollection (a path, text, bytes or the parsed object)."""
    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        path = Path(source)
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


#: a record for the upsert: (index in the file, id as written there, segment fields or None + reason)
Record = tuple[int, Optional[str], Optional[dict], Optional[str]]


def geojson_records(features: list, highways: Optional[Iterable[str]] = None) -> Iterator[Record]:
    for i, feature in enumerate(features):
        raw_id = None
        if isinstance(feature, dict):
            props = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            raw_id = props.get("osm_id", props.get("@id", feature.get("id")))
            raw_id = None if raw_id is None else str(raw_id)
        try:
            yield i, raw_id, parse_feature(feature, highways), None
        except ValueError as exc:
            yield i, raw_id, None, str(exc)


# -- OSM files (pyosmium) ----------------------------------------------------------------------
def osm_format(path: Path) -> Optional[str]:
    """The osmium format of a file by its suffix (None: not an OSM file)."""
    name = path.name.lower()
    for suffix, fmt in ((".osm.pbf", "pbf"), (".pbf", "pbf"), (".osm.gz", "osm.gz"), (".osm.bz2", "osm.bz2"),
                        (".osm", "osm"), (".o5m", "o5m")):
        if name.endswith(suffix):
            return fmt
    return None


def is_pbf(data: bytes) -> bool:
    """An OSM PBF file starts with the length of its first BlobHeader, whose type is ``OSMHeader``."""
    return len(data) > 15 and data[4:15] == b"\n\tOSMHeader"


def _osm_input(source: Any, fmt: str):
    import osmium

    if isinstance(source, (bytes, bytearray)):
        return osmium.io.FileBuffer(bytes(source), fmt)
    return osmium.io.File(str(source), fmt)


def osm_records(source: Any, fmt: str, highways: Iterable[str], report: ImportReport) -> Iterator[Record]:
    """Segment records of an OSM file (path or bytes): two streaming passes, see the module docstring.

    ``report.ignored`` counts the highway ways of classes that are not imported."""
    import osmium
    from osmium.filter import EntityFilter, KeyFilter

    selected = frozenset(highways)
    name = "the upload" if isinstance(source, (bytes, bytearray)) else Path(source).name

    def wanted(way) -> bool:
        return way.tags.get("highway") in selected and way.tags.get("area") != "yes"

    # pass 1: ways only — nodes used twice (by two ways, or twice by one way) are junctions
    seen, junctions = osmium.index.IdSet(), osmium.index.IdSet()
    try:
        for way in osmium.FileProcessor(_osm_input(source, fmt), osmium.osm.WAY).with_filter(KeyFilter("highway")):
            if not wanted(way):
                continue
            previous = None
            for ref in (n.ref for n in way.nodes):
                if ref == previous:
                    continue
                if seen.get(ref):
                    junctions.set(ref)
                else:
                    seen.set(ref)
                previous = ref
    except RuntimeError as exc:
        raise NetworkFileError(f"cannot read {name} as an OSM file ({fmt}): {exc}") from None
    del seen

    # pass 2: nodes (into the location index) and ways; split each way at its junctions
    processor = (osmium.FileProcessor(_osm_input(source, fmt)).with_locations("flex_mem")
                 .with_filter(EntityFilter(osmium.osm.WAY)).with_filter(KeyFilter("highway")))
    index = -1
    try:
        for way in processor:
            index += 1
            raw_id = f"way/{way.id}"
            highway = way.tags.get("highway")
            if not wanted(way):
                report.ignored += 1
                continue
            nodes, missing = [], []
            for n in way.nodes:
                if n.location.valid():
                    nodes.append((n.ref, n.location.lon, n.location.lat))
                else:
                    missing.append(n.ref)
            if missing:
                shown = ", ".join(str(r) for r in missing[:5]) + (" …" if len(missing) > 5 else "")
                yield index, raw_id, None, f"{len(missing)} node(s) missing from the extract: {shown}"
                continue
            nodes = [p for k, p in enumerate(nodes) if k == 0 or p[0] != nodes[k - 1][0]]
            if len(nodes) < 2:
                yield index, raw_id, None, "a way needs at least 2 nodes"
                continue
            tags = {k: way.tags.get(k) for k in ("name", "ref", "bridge", "oneway", "junction")}
            tags["highway"] = highway
            pieces, start = [], 0
            for k in range(1, len(nodes)):
                if k == len(nodes) - 1 or junctions.get(nodes[k][0]):
                    pieces.append(nodes[start:k + 1])
                    start = k
            used: dict[str, int] = {}
            for piece in pieces:
                if len(pieces) == 1:
                    key = f"osm:{way.id}"
                else:
                    key = f"osm:{way.id}:{piece[0][0]}"
                    used[key] = used.get(key, 0) + 1
                    if used[key] > 1:  # the way passes its own node twice
                        key = f"{key}-{used[key]}"
                try:
                    yield index, raw_id, segment_record(key, way.id, tags, [[lon, lat] for _, lon, lat in piece]), None
                except ValueError as exc:
                    yield index, raw_id, None, f"{key}: {exc}"
    except RuntimeError as exc:
        raise NetworkFileError(f"cannot read {name} as an OSM file ({fmt}): {exc}") from None


# -- one path after parsing --------------------------------------------------------------------
UPDATABLE = ("name", "osm_way_id", "highway", "geometry", "is_bridge", "oneway", "length_m", "from_node", "to_node")


def _upsert(session, records: Iterable[Record], report: ImportReport, dry_run: bool) -> None:
    """Create or update segments by key, in chunks; rejected records and duplicates go to the report."""
    keys_seen: set[str] = set()
    chunk: list[dict] = []

    def flush():
        existing = {s.key: s for s in session.exec(
            select(RoadSegment).where(RoadSegment.key.in_([d["key"] for d in chunk]))).all()}
        for data in chunk:
            seg = existing.get(data["key"])
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
        if not dry_run:
            session.flush()
        chunk.clear()

    for index, raw_id, data, reason in records:
        if data is None:
            report.rejected.append(Rejected(index, raw_id, reason))
            continue
        if data["key"] in keys_seen:
            report.rejected.append(Rejected(index, raw_id, f"duplicate id {data['key']} in the file"))
            continue
        keys_seen.add(data["key"])
        chunk.append(data)
        if len(chunk) >= CHUNK:
            flush()
    if chunk:
        flush()


def import_network(source: Any, session=None, dry_run: bool = False,
                   highways: Optional[Iterable[str]] = None) -> ImportReport:
    """Import (or update) road segments from an OSM extract; see the module docstring.

    ``source``: a path (``.geojson``/``.json`` or an OSM file by its suffix, see
    :data:`OSM_SUFFIXES`), GeoJSON text or bytes, OSM PBF bytes (recognised by their header), or
    the parsed GeoJSON object. ``highways``: the classes to import (default: the setting
    ``network_highways``). An existing segment keeps its priority class (operators set it);
    everything else is updated from the file."""
    session = session or db_session()
    selected = frozenset(highways) if highways is not None else configured_highways()
    fmt = None
    if isinstance(source, Path) or (isinstance(source, str) and not source.lstrip().startswith("{")):
        fmt = osm_format(Path(source))
        if fmt is not None and not Path(source).is_file():
            raise NetworkFileError(f"cannot read {source}: no such file")
    elif isinstance(source, (bytes, bytearray)) and is_pbf(bytes(source)):
        fmt = "pbf"
    report = ImportReport(format="geojson" if fmt is None else "osm")
    if fmt is None:
        records = geojson_records(read_features(source), selected)
    else:
        records = osm_records(source, fmt, selected, report)
    try:
        _upsert(session, records, report, dry_run)
    except NetworkFileError:
        session.rollback()
        raise
    if dry_run:
        session.rollback()
    else:
        if report.created or report.updated or report.rejected:  # a no-op re-import is no admin action
            audit("wintersmart.network.import", "segments", created=report.created, updated=report.updated,
                  rejected=len(report.rejected), format=report.format)
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
