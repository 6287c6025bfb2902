"""Pages of the application helper (Kindergeld, Elterngeld) and the Leichte-Sprache page.

The helper's form posts to itself (with the CSRF token). A valid form is answered with the filled
summary as a PDF, an invalid one with the form and an error summary (422). Nothing is stored and
nothing is logged: no database access, no session data beyond the CSRF token, ``no-store``.
"""

from __future__ import annotations

from datetime import date

from flask import Response, abort, request

from mash_core.api import get_settings, public, render

from . import application as app_helper
from .views import NO_STORE, Formatter, _locale, bp


def _kind(kind: str) -> str:
    if kind not in app_helper.KINDS:
        abort(404)
    return kind


def _prefill() -> dict:
    """Values the plan passes on (the child's birth date and the number of children)."""
    values = {}
    birth = app_helper.parse_date(request.args.get("birth_date", ""))
    if birth:
        values["child_birth_date"] = birth.isoformat()
    children = request.args.get("children", "")
    if children.isdigit() and 1 <= int(children) <= 8:
        values["children"] = children
    return values


def _page(kind: str, values: dict, result=None, status: int = 200):
    html = render("buergerportal/application_form.html", kind=kind, title=app_helper.TITLES[kind],
                  groups=app_helper.FORMS[kind], values=values, errors=result.errors if result else {},
                  links=app_helper.LINKS[kind], phone=app_helper.PHONES[kind], today=date.today().isoformat())
    return html, status, NO_STORE


@bp.get("/antrag/<kind>")
@public
def application_form(kind):
    kind = _kind(kind)
    return _page(kind, _prefill())


@bp.post("/antrag/<kind>")
@public
def application_check(kind):
    kind = _kind(kind)
    fmt = Formatter(_locale())
    result = app_helper.check(kind, request.form, eur=fmt.eur)
    if not result.ok:
        # re-show what was entered (never stored, never logged) so the citizen can correct it
        values = {f.name: request.form.get(f.name, "") for f in app_helper.fields(kind)}
        for f in app_helper.fields(kind):  # <input type="date"> shows only ISO dates
            day = app_helper.parse_date(values[f.name]) if f.type == app_helper.DATE else None
            if day:
                values[f.name] = day.isoformat()
        return _page(kind, values, result, 422)
    body = app_helper.summary_pdf(result, lambda day: fmt.date(day, "long"))
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{kind}-zusammenfassung.pdf"', **NO_STORE})


@bp.get("/leichte-sprache")
@public
def easy_language():
    return render("buergerportal/leichte_sprache.html", settings=get_settings("buergerportal"))
