"""REST API of the plans "Geburt eines Kindes" saved to the citizen's account.

``/api/v1/buergerportal/assistant/birth/plans``: the token's own account only (scope
``core.account``); another account's plan is 404. Only the answers are stored; ``GET`` of one
plan recomputes it with the rules that apply today. An account keeps at most
:data:`~mash_buergerportal.plan_models.MAX_SAVED_PLANS` plans.
"""

from __future__ import annotations

from types import SimpleNamespace

import flask
import marshmallow as ma
from flask import url_for

from mash_core.api import current_user, require_permission

from . import saved_plans
from .api import blp
from .assistant import build_plan
from .assistant.schema import BirthPlanSchema, BirthQuerySchema
from .plan_models import LABEL_MAX

NO_STORE = {"Cache-Control": "no-store"}


class SavedPlanSchema(ma.Schema):
    id = ma.fields.Integer()
    label = ma.fields.String(metadata={"description": "the citizen's name for the plan (may be empty)"})
    created_at = ma.fields.DateTime()
    answers = ma.fields.Dict(metadata={"description": "the stored answers, as the parameters of "
                                                      "GET /assistant/birth"})
    url = ma.fields.Function(lambda p: url_for("buergerportal.saved_plan", plan_id=p.id),
                             metadata={"description": "the plan's page in the portal"})


class SavedPlanDetailSchema(SavedPlanSchema):
    plan = ma.fields.Nested(BirthPlanSchema, allow_none=True, metadata={
        "description": "the plan recomputed from the answers with today's rules; null when the answers "
                       "no longer pass today's checks (see errors)"})
    errors = ma.fields.Dict(metadata={"description": "answers that fail today's checks, by parameter"})


class SavedPlanCreateSchema(BirthQuerySchema):
    """The answers (as for ``GET /assistant/birth``), a label and the citizen's consent."""

    label = ma.fields.String(load_default="", validate=ma.validate.Length(max=LABEL_MAX),
                             metadata={"description": f"optional name of the plan, at most {LABEL_MAX} characters"})
    consent = ma.fields.Boolean(required=True, validate=ma.validate.Equal(True, error="Consent is required."),
                                metadata={"description": "must be true: the citizen agrees that the answers are "
                                                         "stored in the account"})


@blp.route("/assistant/birth/plans")
@blp.response(200, SavedPlanSchema(many=True))
@require_permission("core.account")
def saved_plans_index():
    """The account's saved plans, newest first (answers only, no plan)."""
    return saved_plans.plans_of(current_user()), 200, NO_STORE


@blp.route("/assistant/birth/plans", methods=["POST"])
@blp.arguments(SavedPlanCreateSchema)
@blp.response(201, SavedPlanSchema)
@require_permission("core.account")
def saved_plans_create(data):
    """Save answers to the account. ``consent`` must be ``true``; 409 when the account already
    keeps the maximum number of plans; invalid answers give 422 with ``errors.json``."""
    label, consent = data.pop("label", ""), data.pop("consent", False)
    try:
        saved = saved_plans.save(current_user(), data, label, consent=consent)
    except saved_plans.SavedPlanError as exc:
        flask.abort(409 if exc.code == "limit" else 422, exc.message)
    return saved, 201, NO_STORE


@blp.route("/assistant/birth/plans/<int:plan_id>")
@blp.response(200, SavedPlanDetailSchema)
@require_permission("core.account")
def saved_plans_detail(plan_id):
    """One saved plan with the plan recomputed from its answers."""
    saved = saved_plans.plan_of(current_user(), plan_id)
    if saved is None:
        flask.abort(404)
    answers, errors = saved_plans.recompute(saved)
    return SimpleNamespace(id=saved.id, label=saved.label, created_at=saved.created_at, answers=saved.answers,
                           plan=build_plan(answers).to_dict() if answers else None, errors=errors), 200, NO_STORE


@blp.route("/assistant/birth/plans/<int:plan_id>", methods=["DELETE"])
@blp.response(204)
@require_permission("core.account")
def saved_plans_delete(plan_id):
    """Delete a saved plan of the account."""
    if not saved_plans.delete(current_user(), plan_id):
        flask.abort(404)
    return "", 204
