"""Pages of the plans "Geburt eines Kindes" saved to a citizen's account ("Meine Pläne").

Saving is a POST with the CSRF token and an explicit consent; the form carries the answers as
hidden fields (the plan page has them in its address). Anonymous visitors see a link to the
login instead, whose ``next`` address keeps the answers in the query string — nothing goes into
the session. A saved plan is recomputed from its stored answers on every visit; another
account's plan answers 404.
"""

from __future__ import annotations

from datetime import date

import marshmallow as ma
from flask import abort, flash, redirect, request, url_for

from mash_core.api import _, current_user, has_permission, public, render, require_permission

from . import saved_plans
from .assistant import Answers
from .assistant.schema import BirthQuerySchema
from .plan_models import MAX_SAVED_PLANS
from .views import NO_STORE, Formatter, _answers_query, _form, _locale, bp, ics_response, plan_page

PERMISSION = "core.account"


def _own(plan_id: int):
    found = saved_plans.plan_of(current_user(), plan_id)
    if found is None:
        abort(404)
    return found


def _field_labels() -> dict:
    return {"birth_date": _("Geburtsdatum"), "children": _("Zahl der Kinder"),
            "weeks_early": _("Wochen vor dem errechneten Termin"), "premature": _("Frühgeburt"),
            "disability": _("Behinderung des Kindes"), "home_birth": _("Geburtsort"),
            "married": _("Verheiratet"), "mother_employed": _("Beschäftigung der Mutter"),
            "elternzeit": _("Elternzeit"), "elternzeit_start": _("Beginn der Elternzeit"),
            "income_above_cap": _("Einkommensgrenze"), "care_start": _("Beginn der Betreuung")}


def _title(plan) -> str:
    fmt = Formatter(_locale())
    return saved_plans.title(plan, lambda day: fmt.date(day, "medium"))


@bp.post("/geburt/plaene")
@public  # signed in with PERMISSION, checked here: an anonymous post returns to the plan after the login
def saved_plan_create():
    if current_user() is None:  # e.g. the session ended while the plan was open: keep the answers
        plan = url_for("buergerportal.birth_plan", **_answers_query(request.form))
        return redirect(url_for("auth.login", next=plan))
    if not has_permission(PERMISSION):
        abort(403)
    try:
        loaded = BirthQuerySchema().load(request.form)
    except ma.ValidationError as exc:  # the hidden answers were changed: the questionnaire with the errors
        return _form(exc.messages, 422, request.form)
    answers = Answers(**loaded)
    save_form = {"label": request.form.get("label", ""), "consent": bool(request.form.get("consent"))}
    try:
        saved = saved_plans.save(current_user(), loaded, save_form["label"], consent=save_form["consent"])
    except saved_plans.SavedPlanError as exc:
        return plan_page(answers, _answers_query(request.form), 422, save_form=save_form,
                         save_errors={exc.field: exc.message})
    flash(_("Der Plan ist in Ihrem Konto gespeichert. Sie finden ihn unter „Meine Pläne“."), "success")
    return redirect(url_for("buergerportal.saved_plan", plan_id=saved.id))


@bp.get("/geburt/plaene")
@require_permission(PERMISSION)
def saved_plans_list():
    plans = saved_plans.plans_of(current_user())
    rows = [(p, _title(p), saved_plans.as_query(p.answers or {})) for p in plans]
    html = render("buergerportal/saved_plans.html", rows=rows, fmt=Formatter(_locale()), max_saved=MAX_SAVED_PLANS,
                  parse_date=_parse_date)
    return html, 200, NO_STORE


def _parse_date(value):
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@bp.get("/geburt/plaene/<int:plan_id>")
@require_permission(PERMISSION)
def saved_plan(plan_id: int):
    plan = _own(plan_id)
    answers, errors = saved_plans.recompute(plan)
    query = saved_plans.as_query(plan.answers or {})
    if errors:
        html = render("buergerportal/saved_plan_invalid.html", saved=plan, title=_title(plan), query=query,
                      fields=[label for name, label in _field_labels().items() if name in errors] or sorted(errors))
        return html, 200, NO_STORE
    return plan_page(answers, query, saved=plan, saved_title=_title(plan))


@bp.get("/geburt/plaene/<int:plan_id>.ics")
@require_permission(PERMISSION)
def saved_plan_ics(plan_id: int):
    plan = _own(plan_id)
    answers, errors = saved_plans.recompute(plan)
    return ics_response(answers, errors)


@bp.get("/geburt/plaene/<int:plan_id>/loeschen")
@require_permission(PERMISSION)
def saved_plan_delete_confirm(plan_id: int):
    plan = _own(plan_id)
    html = render("buergerportal/saved_plan_delete.html", saved=plan, title=_title(plan),
                  fmt=Formatter(_locale()))
    return html, 200, NO_STORE


@bp.post("/geburt/plaene/<int:plan_id>/loeschen")
@require_permission(PERMISSION)
def saved_plan_delete(plan_id: int):
    plan = _own(plan_id)
    name = _title(plan)
    saved_plans.delete(current_user(), plan.id)
    flash(_("Der Plan „%(title)s“ ist gelöscht.", title=name), "success")
    return redirect(url_for("buergerportal.saved_plans_list"))


def account_section() -> str:
    """The account page's section: how many plans are saved, and the way to them."""
    count = saved_plans.count_of(current_user())
    return render("buergerportal/saved_plans_account.html", count=count, max_saved=MAX_SAVED_PLANS)

