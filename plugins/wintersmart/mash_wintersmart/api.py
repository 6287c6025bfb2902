"""REST API of WinterSMART (``/api/v1/wintersmart``): depots, road segments, things and their
datastreams, observation history with downsampling, ice-risk assessments.

Everything but the depots needs the permission ``wintersmart.operate`` (a signed-in operator
or an API token with that scope). Invalid query arguments answer 422 with the offending
parameter named in ``errors.query``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone

import flask
import marshmallow as ma
import sqlalchemy as sa

from mash_core.api import api_blueprint, audit, db_session, public, require_permission, select

from .models import THING_KINDS, Assessment, Datastream, Depot, Observation, RoadSegment, Thing
from .quantities import QUALITY_REJECTED, QUANTITIES, STATE
from .schemas import Timestamp

blp = api_blueprint("wintersmart", __name__,
                    description="WinterSMART: depots, road segments, sensors, observation history, ice risk")
OPERATE = "wintersmart.operate"
MAX_SPAN = timedelta(days=400)
MAX_BUCKETS = 10_000
MIN_INTERVAL_S, MAX_INTERVAL_S = 60, 31 * 86400


def _unprocessable(message: str, errors: dict):
    """Abort with 422 and ``errors`` like flask-smorest's own argument validation does."""
    try:
        flask.abort(422)
    except Exception as exc:  # werkzeug's UnprocessableEntity; its handler reads ``data``
        exc.data = {"message": message, "errors": errors}
        raise


# -- depots -----------------------------------------------------------------------------------
class DepotSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    phone = ma.fields.String()
    salt_capacity_t = ma.fields.Float(allow_none=True, metadata={"description": "salt storage capacity in tonnes"})


@blp.route("/depots")
@blp.response(200, DepotSchema(many=True))
@public
def depots():
    """All winter-service depots (Betriebshöfe) of the municipality, by name."""
    return db_session().exec(select(Depot).order_by(Depot.name)).all()


# -- road segments ----------------------------------------------------------------------------
def _line_coordinates(value) -> list[list[float]]:
    """A GeoJSON LineString (object or text) or a plain coordinate list → [[lon, lat], …]."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ma.ValidationError("not valid JSON") from None
    if isinstance(value, dict):
        if value.get("type") != "LineString":
            raise ma.ValidationError("must be a GeoJSON LineString")
        value = value.get("coordinates")
    if not isinstance(value, list) or len(value) < 2 or len(value) > 10_000:
        raise ma.ValidationError("needs 2 to 10000 positions [lon, lat]")
    out = []
    for pos in value:
        if not (isinstance(pos, list) and len(pos) in (2, 3)
                and all(isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in pos)):
            raise ma.ValidationError("every position must be [lon, lat]")
        lon, lat = float(pos[0]), float(pos[1])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise ma.ValidationError("longitude must lie in −180…180 and latitude in −90…90")
        out.append([lon, lat])
    return out


def line_length_m(coordinates: list[list[float]]) -> float:
    """Length of a lon/lat polyline in metres (haversine, mean Earth radius 6 371 008.8 m)."""
    total = 0.0
    for (lon1, lat1), (lon2, lat2) in zip(coordinates, coordinates[1:]):
        p1, p2 = math.radians(lat1), math.radians(lat2)
        dp, dl = p2 - p1, math.radians(lon2 - lon1)
        a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        total += 2 * 6371008.8 * math.asin(math.sqrt(a))
    return total


class Geometry(ma.fields.Field):
    """GeoJSON LineString (object or text) or coordinate list in, GeoJSON object out."""

    def _deserialize(self, value, attr, data, **kwargs):
        return json.dumps({"type": "LineString", "coordinates": _line_coordinates(value)}, separators=(",", ":"))

    def _serialize(self, value, attr, obj, **kwargs):
        return json.loads(value) if value else None


class SegmentSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    id = ma.fields.Integer(dump_only=True)
    key = ma.fields.String(required=True, validate=ma.validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9:._-]{0,119}$"))
    name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    geometry = Geometry(load_default=None, allow_none=True,
                        metadata={"description": "GeoJSON LineString in WGS 84 (lon, lat), or a coordinate list"})
    is_bridge = ma.fields.Boolean(load_default=False)
    priority_class = ma.fields.Integer(load_default=3, strict=True, validate=ma.validate.Range(1, 5),
                                       metadata={"description": "gritting priority, 1 = first"})
    length_m = ma.fields.Float(load_default=None, allow_none=True, allow_nan=False,
                               validate=ma.validate.Range(0, 1e6),
                               metadata={"description": "default: length of the geometry"})
    width_m = ma.fields.Float(load_default=None, allow_none=True, allow_nan=False, validate=ma.validate.Range(0, 200))
    osm_way_id = ma.fields.Integer(load_default=None, allow_none=True, strict=True,
                                   validate=ma.validate.Range(1, 2**62))
    oneway = ma.fields.Boolean(load_default=False)


@blp.route("/segments")
@blp.response(200, SegmentSchema(many=True))
@require_permission(OPERATE)
def segments():
    """Road segments by priority class and name."""
    return db_session().exec(select(RoadSegment).order_by(RoadSegment.priority_class, RoadSegment.name)).all()


@blp.route("/segments", methods=["POST"])
@blp.arguments(SegmentSchema)
@blp.response(201, SegmentSchema)
@require_permission(OPERATE)
def create_segment(data):
    """Add a road segment; its key must be new in the municipality (409 otherwise)."""
    session = db_session()
    if session.exec(select(RoadSegment.id).where(RoadSegment.key == data["key"])).first() is not None:
        flask.abort(409)
    if data["length_m"] is None and data["geometry"]:
        data["length_m"] = round(line_length_m(json.loads(data["geometry"])["coordinates"]), 1)
    segment = RoadSegment(**data)
    session.add(segment)
    session.flush()
    audit("wintersmart.segment.create", f"segment:{segment.id}", key=segment.key)
    session.commit()
    return segment


# -- things -----------------------------------------------------------------------------------
class DatastreamSchema(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    observed_property = ma.fields.String()
    unit = ma.fields.String(metadata={"description": "UCUM; empty for states and codes"})


class ThingSchema(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    kind = ma.fields.String()
    name = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    road_segment_id = ma.fields.Integer(allow_none=True)
    is_bridge = ma.fields.Boolean()
    provider = ma.fields.String(allow_none=True)
    properties = ma.fields.Dict()
    last_seen_at = ma.fields.DateTime(allow_none=True)
    datastreams = ma.fields.List(ma.fields.Nested(DatastreamSchema))


class ThingPatchSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    name = ma.fields.String(validate=ma.validate.Length(min=1, max=200))
    kind = ma.fields.String(validate=ma.validate.OneOf(THING_KINDS))
    lat = ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(-90, 90))
    lon = ma.fields.Float(allow_none=True, allow_nan=False, validate=ma.validate.Range(-180, 180))
    road_segment_id = ma.fields.Integer(allow_none=True, strict=True)
    is_bridge = ma.fields.Boolean()


def _thing_out(thing: Thing, streams: list[Datastream]) -> dict:
    out = {c: getattr(thing, c) for c in ("id", "key", "kind", "name", "lat", "lon", "road_segment_id", "is_bridge",
                                          "provider", "properties", "last_seen_at")}
    out["datastreams"] = sorted(streams, key=lambda d: d.key)
    return out


@blp.route("/things")
@blp.response(200, ThingSchema(many=True))
@require_permission(OPERATE)
def things():
    """Stations, grit-bin sensors and sign controllers with their datastreams, by key."""
    session = db_session()
    streams: dict[int, list] = {}
    for ds in session.exec(select(Datastream)).all():
        streams.setdefault(ds.thing_id, []).append(ds)
    return [_thing_out(t, streams.get(t.id, [])) for t in session.exec(select(Thing).order_by(Thing.key)).all()]


@blp.route("/things/<int:thing_id>", methods=["PATCH"])
@blp.arguments(ThingPatchSchema)
@blp.response(200, ThingSchema)
@require_permission(OPERATE)
def patch_thing(data, thing_id):
    """Name, place, kind, bridge flag and road segment of a thing."""
    session = db_session()
    thing = session.exec(select(Thing).where(Thing.id == thing_id)).first()
    if thing is None:
        flask.abort(404)
    if data.get("road_segment_id") is not None and \
            session.exec(select(RoadSegment.id).where(RoadSegment.id == data["road_segment_id"])).first() is None:
        _unprocessable("unknown road segment", {"json": {"road_segment_id": ["no such road segment"]}})
    for key, value in data.items():
        setattr(thing, key, value)
    audit("wintersmart.thing.update", f"thing:{thing.id}", fields=sorted(data))
    session.commit()
    return _thing_out(thing, session.exec(select(Datastream).where(Datastream.thing_id == thing.id)).all())


# -- observation history ----------------------------------------------------------------------
_ISO_DURATION = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_SHORT_DURATION = re.compile(r"^(\d+)\s*(s|min|m|h|d)?$")
_UNIT_S = {None: 1, "s": 1, "min": 60, "m": 60, "h": 3600, "d": 86400}


class Interval(ma.fields.Field):
    """A bucket length: seconds (``900``), ``15min``/``15m``, ``1h``, ``1d`` or ISO 8601
    (``PT15M``, ``P1D``); ``raw`` (or none) for the stored observations."""

    default_error_messages = {"invalid": "use seconds, 15min, 1h, 1d, PT15M or raw",
                              "range": f"must lie between {MIN_INTERVAL_S} s and 31 days"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 20:
            raise self.make_error("invalid")
        text = value.strip()
        if text in ("", "raw"):
            return None
        if (m := _SHORT_DURATION.match(text)) is not None:
            seconds = int(m.group(1)) * _UNIT_S[m.group(2)]
        elif (m := _ISO_DURATION.match(text)) is not None and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            seconds = d * 86400 + h * 3600 + mi * 60 + s
        else:
            raise self.make_error("invalid")
        if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
            raise self.make_error("range")
        return seconds


class HistoryQuerySchema(ma.Schema):
    from_ = Timestamp(data_key="from", load_default=None,
                      metadata={"description": "start, ISO 8601 (naive = UTC); default: 24 h before `to`"})
    to = Timestamp(load_default=None, metadata={"description": "end (inclusive), ISO 8601; default: now"})
    interval = Interval(load_default=None, metadata={"description": "bucket length for downsampling (mean, "
                                                                    "min, max per bucket); default: raw"})
    limit = ma.fields.Integer(load_default=5000, validate=ma.validate.Range(1, 10_000),
                              metadata={"description": "raw observations at most (oldest first)"})

    @ma.post_load
    def _span(self, data, **kwargs):
        to = data["to"] or datetime.now(timezone.utc)
        start = data["from_"] or to - timedelta(hours=24)
        if start >= to:
            raise ma.ValidationError("must be before 'to'", field_name="from")
        if to - start > MAX_SPAN:
            raise ma.ValidationError(f"the range may span {MAX_SPAN.days} days at most", field_name="to")
        if data["interval"] and (to - start).total_seconds() / data["interval"] > MAX_BUCKETS:
            raise ma.ValidationError(f"more than {MAX_BUCKETS} buckets: choose a longer interval",
                                     field_name="interval")
        data["from_"], data["to"] = start, to
        return data


class PointSchema(ma.Schema):
    t = ma.fields.DateTime(metadata={"description": "phenomenon time, or the start of the bucket"})
    value = ma.fields.Float(allow_none=True, metadata={"description": "value, or the mean of the bucket"})
    min = ma.fields.Float(allow_none=True)
    max = ma.fields.Float(allow_none=True)
    n = ma.fields.Integer(metadata={"description": "number of raw values"})
    state = ma.fields.String(allow_none=True)
    raw_code = ma.fields.String(allow_none=True)
    quality = ma.fields.Integer(allow_none=True, metadata={"description": "0 ok, 1 suspect, 2 rejected"})
    flags = ma.fields.String(allow_none=True)


class HistorySchema(ma.Schema):
    datastream = ma.fields.Nested(DatastreamSchema)
    thing_id = ma.fields.Integer()
    thing_key = ma.fields.String()
    from_ = ma.fields.DateTime(data_key="from")
    to = ma.fields.DateTime()
    interval_s = ma.fields.Integer(allow_none=True)
    truncated = ma.fields.Boolean()
    observations = ma.fields.List(ma.fields.Nested(PointSchema))


def _bucket_expression(dialect: str, interval: int):
    column = Observation.phenomenon_time
    if dialect == "postgresql":
        return sa.func.floor(sa.extract("epoch", column) / interval) * interval
    return (sa.cast(sa.func.strftime("%s", column), sa.Integer) // interval) * interval


def history(session, ds: Datastream, start: datetime, end: datetime, interval: int | None, limit: int) -> dict:
    base = (Observation.datastream_id == ds.id, Observation.phenomenon_time >= start,
            Observation.phenomenon_time <= end)
    if interval is None:
        rows = session.exec(select(Observation).where(*base).order_by(Observation.phenomenon_time)
                            .limit(limit + 1)).all()
        points = [dict(t=o.phenomenon_time, value=o.value,
                       min=o.value_min if o.value_min is not None else o.value,
                       max=o.value_max if o.value_max is not None else o.value, n=o.n_values, state=o.state,
                       raw_code=o.raw_code, quality=o.quality, flags=o.flags) for o in rows[:limit]]
        truncated = len(rows) > limit
    else:
        bucket = _bucket_expression(session.get_bind().dialect.name, interval).label("bucket")
        weight = Observation.n_values
        rows = session.exec(
            select(bucket, sa.func.sum(Observation.value * weight) / sa.func.sum(weight),
                   sa.func.min(sa.func.coalesce(Observation.value_min, Observation.value)),
                   sa.func.max(sa.func.coalesce(Observation.value_max, Observation.value)), sa.func.sum(weight))
            .where(*base, Observation.quality < QUALITY_REJECTED, Observation.value != None)  # noqa: E711
            .group_by(bucket).order_by(bucket)).all()
        points = [dict(t=datetime.fromtimestamp(int(b), tz=timezone.utc), value=mean, min=lo, max=hi, n=int(n))
                  for b, mean, lo, hi, n in rows]
        truncated = False
    return dict(datastream=ds, from_=start, to=end, interval_s=interval, truncated=truncated, observations=points)


@blp.route("/datastreams/<int:datastream_id>/observations")
@blp.arguments(HistoryQuerySchema, location="query", as_kwargs=True)
@blp.response(200, HistorySchema)
@require_permission(OPERATE)
def observations(datastream_id, from_, to, interval, limit):
    """Observations of one datastream from ``from`` to ``to``: raw (oldest first, at most
    ``limit``; ``truncated`` says when more exist), or downsampled into ``interval`` buckets
    aligned to the Unix epoch (UTC) with mean, minimum, maximum and count of the valid values
    (rejected ones left out; hourly aggregates of the retention job weigh by their count)."""
    session = db_session()
    ds = session.exec(select(Datastream).where(Datastream.id == datastream_id)).first()
    if ds is None:
        flask.abort(404)
    quantity = QUANTITIES.get(ds.key)
    if interval is not None and quantity is not None and quantity.kind == STATE:
        _unprocessable("states cannot be averaged",
                       {"query": {"interval": ["this datastream holds states; ask for raw observations"]}})
    thing = session.exec(select(Thing).where(Thing.id == ds.thing_id)).first()
    out = history(session, ds, from_, to, interval, limit)
    out.update(thing_id=ds.thing_id, thing_key=thing.key if thing else "")
    return out


# -- assessments ------------------------------------------------------------------------------
class AssessmentQuerySchema(ma.Schema):
    thing = ma.fields.Integer(load_default=None, metadata={"description": "station (thing id)"})
    segment = ma.fields.Integer(load_default=None,
                                metadata={"description": "road segment id (the segment's own assessments)"})
    from_ = Timestamp(data_key="from", load_default=None)
    to = Timestamp(load_default=None)
    limit = ma.fields.Integer(load_default=100, validate=ma.validate.Range(1, 1000))

    @ma.validates_schema
    def _one(self, data, **kwargs):
        if data.get("thing") is not None and data.get("segment") is not None:
            raise ma.ValidationError("give either 'thing' or 'segment'", field_name="segment")
        if data.get("from_") and data.get("to") and data["from_"] > data["to"]:
            raise ma.ValidationError("must not be after 'to'", field_name="from")


class AssessmentSchema(ma.Schema):
    id = ma.fields.Integer()
    thing_id = ma.fields.Integer(allow_none=True)
    road_segment_id = ma.fields.Integer(allow_none=True)
    valid_time = ma.fields.DateTime()
    issued_at = ma.fields.DateTime()
    level = ma.fields.Integer(metadata={"description": "0 none, 1 ice watch, 2 ice warning, 3 black ice"})
    raw_level = ma.fields.Integer(metadata={"description": "level without hysteresis"})
    reasons = ma.fields.List(ma.fields.String())
    flags = ma.fields.List(ma.fields.String())
    rst = ma.fields.Float(allow_none=True)
    t_air = ma.fields.Float(allow_none=True)
    rh = ma.fields.Float(allow_none=True)
    dew_point = ma.fields.Float(allow_none=True)
    frost_point = ma.fields.Float(allow_none=True)
    t_crit = ma.fields.Float(allow_none=True)
    water_film_mm = ma.fields.Float(allow_none=True)
    trend_k_per_h = ma.fields.Float(allow_none=True)
    nowcast = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float())
    inputs = ma.fields.Dict()
    model_version = ma.fields.String()


@blp.route("/assessments")
@blp.arguments(AssessmentQuerySchema, location="query", as_kwargs=True)
@blp.response(200, AssessmentSchema(many=True))
@require_permission(OPERATE)
def assessments(thing, segment, from_, to, limit):
    """Ice-risk assessments, newest first: of one station (``thing``), of one road segment
    (``segment``), or all."""
    q = select(Assessment)
    if thing is not None:
        q = q.where(Assessment.thing_id == thing)
    elif segment is not None:
        q = q.where(Assessment.road_segment_id == segment, Assessment.thing_id == None)  # noqa: E711
    if from_ is not None:
        q = q.where(Assessment.valid_time >= from_)
    if to is not None:
        q = q.where(Assessment.valid_time <= to)
    return db_session().exec(q.order_by(Assessment.valid_time.desc(), Assessment.id.desc()).limit(limit)).all()


# warnings, CAP feed and signs (their own module, registered on this blueprint)
from . import warning_api  # noqa: E402,F401


# grit bins, silos, refill plans, network import (routes on this blueprint)
from . import api_bins  # noqa: E402,F401


# gritting plans (routes on this blueprint)
from . import plan_api  # noqa: E402,F401
