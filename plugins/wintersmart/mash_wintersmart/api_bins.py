"""REST API of grit bins, silos, refill plans and the road network import (routes on the
plugin's blueprint of :mod:`.api`; all need ``wintersmart.operate``)."""

from __future__ import annotations

import flask
import marshmallow as ma

from mash_core.api import audit, db_session, require_permission, select

from .api import OPERATE, blp, _unprocessable
from .models_bins import Container, ContainerAlert, FillReading, RefillPlan


class ContainerSchema(ma.Schema):
    id = ma.fields.Integer()
    key = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "bin | silo"})
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    depot_id = ma.fields.Integer(allow_none=True)
    road_segment_id = ma.fields.Integer(allow_none=True)
    thing_id = ma.fields.Integer(allow_none=True)
    shape = ma.fields.String(metadata={"description": "box | cylinder | cone_silo"})
    d_empty_mm = ma.fields.Float()
    d_full_mm = ma.fields.Float()
    capacity_kg = ma.fields.Method("_capacity", allow_none=True)
    low_threshold_pct = ma.fields.Float(allow_none=True)
    fill = ma.fields.Float(allow_none=True, metadata={"description": "share of the full volume, 0..1"})
    level_kg = ma.fields.Float(allow_none=True)
    reading_at = ma.fields.DateTime(allow_none=True)
    consumption_kg_per_day = ma.fields.Float(allow_none=True)
    forecast_low_at = ma.fields.DateTime(allow_none=True)
    forecast_empty_at = ma.fields.DateTime(allow_none=True)
    alert_active = ma.fields.Boolean()

    def _capacity(self, obj):
        from .bins import capacity_kg
        return capacity_kg(obj)


class ReadingSchema(ma.Schema):
    time = ma.fields.DateTime()
    distance_mm = ma.fields.Float()
    median_mm = ma.fields.Float()
    fill = ma.fields.Float()
    level_kg = ma.fields.Float(allow_none=True)


class AlertSchema(ma.Schema):
    id = ma.fields.Integer()
    container_id = ma.fields.Integer()
    kind = ma.fields.String()
    created_at = ma.fields.DateTime()
    fill = ma.fields.Float()
    threshold = ma.fields.Float()
    forecast_empty_at = ma.fields.DateTime(allow_none=True)
    cleared_at = ma.fields.DateTime(allow_none=True)


class PlanSchema(ma.Schema):
    id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    silo_id = ma.fields.Integer(allow_none=True)
    solver = ma.fields.String()
    vehicle_capacity_kg = ma.fields.Float()
    num_vehicles = ma.fields.Integer(allow_none=True)
    routes = ma.fields.List(ma.fields.Dict())
    skipped = ma.fields.List(ma.fields.Integer())
    distance_m = ma.fields.Float()
    uncollected_prize = ma.fields.Float()
    runtime_s = ma.fields.Float()
    verified = ma.fields.Boolean()
    status = ma.fields.String()


class PlanArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    vehicle_capacity_kg = ma.fields.Float(load_default=None, allow_none=True, validate=ma.validate.Range(1, 100000))
    num_vehicles = ma.fields.Integer(load_default=None, allow_none=True, strict=True, validate=ma.validate.Range(1, 100))
    time_limit_s = ma.fields.Float(load_default=5.0, validate=ma.validate.Range(0.1, 60))


class PriorityArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    priority_class = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(1, 5))
    ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=list)
    keys = ma.fields.List(ma.fields.String(), load_default=list)
    highway = ma.fields.String(load_default=None, allow_none=True)


@blp.route("/containers")
@blp.response(200, ContainerSchema(many=True))
@require_permission(OPERATE)
def containers():
    """Grit bins and salt silos with their current fill, consumption and forecasts."""
    return db_session().exec(select(Container).order_by(Container.kind, Container.key)).all()


@blp.route("/containers/<int:container_id>/readings")
@blp.response(200, ReadingSchema(many=True))
@require_permission(OPERATE)
def container_readings(container_id):
    """The last 500 fill readings of a container, oldest first."""
    session = db_session()
    if session.get(Container, container_id) is None:
        flask.abort(404)
    rows = session.exec(select(FillReading).where(FillReading.container_id == container_id)
                        .order_by(FillReading.time.desc()).limit(500)).all()
    return list(reversed(rows))


@blp.route("/container-alerts")
@blp.response(200, AlertSchema(many=True))
@require_permission(OPERATE)
def container_alerts():
    """Low-fill and re-supply alerts, newest first (open ones have no ``cleared_at``)."""
    return db_session().exec(select(ContainerAlert).order_by(ContainerAlert.id.desc()).limit(500)).all()


@blp.route("/refill-plans")
@blp.response(200, PlanSchema(many=True))
@require_permission(OPERATE)
def refill_plans():
    """Stored refill plans, newest first."""
    return db_session().exec(select(RefillPlan).order_by(RefillPlan.id.desc()).limit(100)).all()


@blp.route("/refill-plans", methods=["POST"])
@blp.arguments(PlanArgs)
@blp.response(201, PlanSchema)
@require_permission(OPERATE)
def create_refill_plan(args):
    """Plan refill tours now (bins below the threshold required, others optional) from a silo
    that holds enough salt; 409 when no bin needs salt or no silo holds enough."""
    from .bins import NoSiloAvailable, plan_refill_tours

    try:
        plan = plan_refill_tours(args["vehicle_capacity_kg"], args["num_vehicles"], args["time_limit_s"])
    except (NoSiloAvailable, ValueError) as exc:
        flask.abort(409, str(exc))
    audit("wintersmart.refill_plan.create", f"refill_plan:{plan.id}")
    db_session().commit()
    return plan


@blp.route("/network/import", methods=["POST"])
@require_permission(OPERATE)
def network_import():
    """Import an OSM extract from the request body: a GeoJSON FeatureCollection of LineStrings, or
    an OSM PBF file (recognised by its header; ways split at junctions). Answers the report with
    created, updated, unchanged, the rejected features or ways with their reasons, and (PBF) how
    many ways of classes that are not imported were ignored."""
    from .network import NetworkFileError, import_network

    body = flask.request.get_data(cache=False)
    if len(body) > 50 * 1024 * 1024:
        flask.abort(413)
    dry = flask.request.args.get("dry_run") in ("1", "true", "yes")
    try:
        report = import_network(body, dry_run=dry)
    except NetworkFileError as exc:
        _unprocessable(str(exc), {"json": {"_schema": [str(exc)]}})
    return flask.jsonify(report.as_dict())


@blp.route("/segments/priority", methods=["PUT"])
@blp.arguments(PriorityArgs)
@require_permission(OPERATE)
def segments_priority(args):
    """Set the gritting priority class of segments by ``ids``, ``keys`` or OSM ``highway``."""
    from .network import set_priority

    if not (args["ids"] or args["keys"] or args["highway"]):
        _unprocessable("name segments", {"json": {"_schema": ["name segments by ids, keys or highway"]}})
    n = set_priority(args["priority_class"], ids=args["ids"], keys=args["keys"], highway=args["highway"])
    return flask.jsonify({"updated": n})
