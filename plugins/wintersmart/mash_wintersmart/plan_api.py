"""REST API of gritting plans (routes on the plugin's blueprint of :mod:`.api`; all need
``wintersmart.operate``): list, detail, plan now, GeoJSON and GPX export."""

from __future__ import annotations

import json

import flask
import marshmallow as ma

from mash_core.api import audit, db_session, require_permission, select

from .api import OPERATE, blp
from .models_plans import GrittingPlan


class GrittingPlanSchema(ma.Schema):
    id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    silo_id = ma.fields.Integer(allow_none=True)
    solver = ma.fields.String()
    cost_m = ma.fields.Integer(metadata={"description": "driven distance of all trips, metres"})
    salt_kg = ma.fields.Float()
    runtime_s = ma.fields.Float()
    verified = ma.fields.Boolean()
    vehicles = ma.fields.Method("_vehicles")
    trips = ma.fields.Method("_trips")

    def _vehicles(self, obj):
        return len({r["vehicle"] for r in obj.routes})

    def _trips(self, obj):
        return len(obj.routes)


class GrittingPlanDetailSchema(GrittingPlanSchema):
    params = ma.fields.Dict()
    routes = ma.fields.List(ma.fields.Dict(), metadata={
        "description": "per trip: vehicle, trip, load_kg, cost_m, services [[edge, from, to]], segments [id]"})


class GrittingPlanArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    time_limit_s = ma.fields.Float(load_default=5.0, validate=ma.validate.Range(0.1, 60))
    vehicles = ma.fields.Integer(load_default=None, allow_none=True, strict=True, validate=ma.validate.Range(1, 100))


def _plan(plan_id: int) -> GrittingPlan:
    row = db_session().exec(select(GrittingPlan).where(GrittingPlan.id == plan_id)).first()
    if row is None:
        flask.abort(404)
    return row


@blp.route("/gritting-plans")
@blp.response(200, GrittingPlanSchema(many=True))
@require_permission(OPERATE)
def gritting_plans():
    """Stored gritting plans, newest first (at most 100)."""
    return db_session().exec(select(GrittingPlan).order_by(GrittingPlan.id.desc()).limit(100)).all()


@blp.route("/gritting-plans", methods=["POST"])
@blp.arguments(GrittingPlanArgs)
@blp.response(201, GrittingPlanDetailSchema)
@require_permission(OPERATE)
def create_gritting_plan(args):
    """Plan gritting routes now (required segments by priority class and current ice risk) from a
    silo that holds enough salt; verified and stored. 409 when no plan can be made."""
    from .planning import PlanningError, plan_gritting

    try:
        plan = plan_gritting(args["time_limit_s"], args["vehicles"])
    except PlanningError as exc:
        flask.abort(409, str(exc))
    audit("wintersmart.gritting_plan.create", f"gritting_plan:{plan.id}")
    db_session().commit()
    return plan


@blp.route("/gritting-plans/<int:plan_id>")
@blp.response(200, GrittingPlanDetailSchema)
@require_permission(OPERATE)
def gritting_plan(plan_id):
    """One stored gritting plan with its parameters and trips."""
    return _plan(plan_id)


@blp.route("/gritting-plans/<int:plan_id>.geojson")
@require_permission(OPERATE)
def gritting_plan_geojson(plan_id):
    """The plan as GeoJSON: per trip a LineString of the whole walk (``kind: route``) and one per
    gritted segment (``kind: service``, with ``vehicle``, ``trip``, ``seq`` and ``segment_id``)."""
    from .planning import plan_geojson

    body = json.dumps(plan_geojson(_plan(plan_id)), ensure_ascii=False)
    return flask.Response(body, mimetype="application/geo+json", headers={
        "Content-Disposition": f'attachment; filename="streuplan-{plan_id}.geojson"'})


@blp.route("/gritting-plans/<int:plan_id>.gpx")
@require_permission(OPERATE)
def gritting_plan_gpx(plan_id):
    """The plan as GPX 1.1, one track per trip (for navigation devices)."""
    from .planning import plan_gpx

    return flask.Response(plan_gpx(_plan(plan_id)), mimetype="application/gpx+xml", headers={
        "Content-Disposition": f'attachment; filename="streuplan-{plan_id}.gpx"'})
