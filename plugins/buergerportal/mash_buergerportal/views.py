"""Public pages of the Bürgerportal: life situations, emergency number, citizen offices, and the
assistant "Geburt eines Kindes" (questionnaire → plan → iCal).

The assistant's form uses GET and the plan is computed from the query string on every request:
nothing the citizen enters is stored, no session is opened for anonymous visitors, and the
responses say ``no-store``. Only a signed-in citizen who saves the plan to the account — with an
explicit consent — has the answers stored (routes in ``plan_views.py``).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import marshmallow as ma
from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Response, current_app, request

from mash_core.api import _, current_user, db_session, get_settings, plugin_blueprint, public, render, select

from .assistant import Answers, build_plan
from .assistant.engine import DEADLINE, PERIOD_END, RECOMMENDATION, START
from .assistant.ical import build_calendar
from .assistant.rules import COVERAGE_FROM, rule, versions
from .assistant.schema import MAX_CHILDREN, MAX_WEEKS_EARLY, BirthQuerySchema, FlexibleDate, latest_birth_date
from .models import Office
from .plan_models import LABEL_MAX, MAX_SAVED_PLANS

bp = plugin_blueprint("buergerportal", __name__)

NO_STORE = {"Cache-Control": "no-store"}
#: the questionnaire's fields in the order of the form (and of the error summary)
FIELDS = ("birth_date", "children", "weeks_early", "premature", "disability", "home_birth", "married",
          "mother_employed", "elternzeit", "elternzeit_start", "income_above_cap", "care_start")
DATE_FIELDS = ("birth_date", "elternzeit_start", "care_start")


@bp.get("/")
@public
def index():
    offices = db_session().exec(select(Office).order_by(Office.name)).all()
    return render("buergerportal/index.html", offices=offices, settings=get_settings("buergerportal"))


# -- the assistant "Geburt eines Kindes" -------------------------------------------------------
def _locale():
    get_locale = current_app.jinja_env.globals.get("get_locale")
    return (get_locale() if get_locale else None) or "de"


class Formatter:
    """Dates and amounts in the page's language."""

    def __init__(self, locale):
        self.locale = locale

    def date(self, value, style: str = "full") -> str:
        return format_date(value, style, locale=self.locale)

    def eur(self, value: int) -> str:
        return f"{format_decimal(value, locale=self.locale)} €"

    def fact(self, fact) -> str:
        if fact.eur is not None:
            text = self.eur(fact.eur)
        elif fact.date is not None:
            text = self.date(fact.date)
        else:
            text = str(fact.text)
        if fact.since is not None:
            text = _("%(value)s (ab %(date)s)", value=text, date=self.date(fact.since, "medium"))
        return text

    def kind(self, kind: str) -> str:
        return {DEADLINE: _("Spätestens"), RECOMMENDATION: _("Empfohlen bis"), PERIOD_END: _("Endet am"),
                START: _("Beginnt am")}[kind]


def _answers_query(source=None) -> dict:
    """The questionnaire's parameters of this request (and nothing else), for links."""
    source = request.args if source is None else source
    return {name: source[name] for name in FIELDS if source.get(name, "").strip()}


def _error_messages(messages: dict, fmt: Formatter, source=None) -> dict:
    """German (or English) messages for the form, one per field, in the form's order."""
    texts = {
        "birth_date": _("Bitte geben Sie ein gültiges Datum zwischen dem %(first)s und dem %(last)s an, zum "
                        "Beispiel 10.03.2026.", first=fmt.date(COVERAGE_FROM, "medium"),
                        last=fmt.date(latest_birth_date(), "medium")),
        "children": _("Bitte geben Sie eine Zahl von 1 bis %(max)d an.", max=MAX_CHILDREN),
        "weeks_early": _("Bitte geben Sie eine Zahl von 0 bis %(max)d an.", max=MAX_WEEKS_EARLY),
        "elternzeit_start": _("Der Beginn der Elternzeit muss ein gültiges Datum ab der Geburt und vor dem 8. "
                              "Geburtstag sein."),
        "care_start": _("Der Beginn der Betreuung muss ein gültiges Datum ab der Geburt und vor dem 7. Geburtstag "
                        "sein."),
    }
    errors = {}
    for name in FIELDS:
        if name not in messages:
            continue
        if name == "birth_date" and not (request.args if source is None else source).get(name, "").strip():
            errors[name] = _("Bitte geben Sie das Geburtsdatum Ihres Kindes an.")
        else:
            errors[name] = texts.get(name) or _("Bitte wählen Sie eine der Antworten.")
    return errors


def _load():
    """(answers, errors) from the query string."""
    try:
        data = BirthQuerySchema().load(request.args)
    except ma.ValidationError as exc:
        return None, exc.messages
    return Answers(**data), {}


def _form(errors: dict, status: int = 200, source=None):
    fmt = Formatter(_locale())
    caps = []
    for version in versions("elterngeld_einkommensgrenze"):
        value = version.value
        if value["alleinerziehend"] == value["paar"]:
            amount = fmt.eur(value["paar"])
        else:
            amount = _("%(single)s für Alleinerziehende, %(couple)s für Paare",
                       single=fmt.eur(value["alleinerziehend"]), couple=fmt.eur(value["paar"]))
        if version.valid_from and version.valid_to:
            period = _("Geburten vom %(start)s bis %(end)s", start=fmt.date(version.valid_from, "medium"),
                       end=fmt.date(version.valid_to, "medium"))
        elif version.valid_from:
            period = _("Geburten ab %(start)s", start=fmt.date(version.valid_from, "medium"))
        else:
            period = _("Geburten bis %(end)s", end=fmt.date(version.valid_to, "medium"))
        caps.append(f"{period}: {amount}")
    source = request.args if source is None else source
    form = {name: source[name].strip() for name in FIELDS if name in source}
    for name in DATE_FIELDS:  # <input type="date"> shows only ISO dates
        if form.get(name):
            try:
                form[name] = FlexibleDate().deserialize(form[name]).isoformat()
            except ma.ValidationError:
                pass
    html = render("buergerportal/birth_form.html", form=form, errors=_error_messages(errors, fmt, source), caps=caps,
                  max_children=MAX_CHILDREN, max_weeks_early=MAX_WEEKS_EARLY,
                  premature_weeks=rule("fruehgeburt_angenommen_ab_wochen", date.today()).value)
    return html, status, NO_STORE


@bp.get("/geburt")
@public
def birth_form():
    """The questionnaire (prefilled from the query string when the citizen comes back to change it)."""
    return _form({})


@bp.get("/geburt/plan")
@public
def birth_plan():
    answers, errors = _load()
    if errors:
        return _form(errors, 422)
    from . import usage  # anonymous counter for editors: no answers are stored
    usage.count(usage.ASSISTANT_DONE, "geburt")
    return plan_page(answers, _answers_query())


def plan_page(answers, query: dict, status: int = 200, **context):
    """The plan page for ``answers``; ``query`` holds the answers as parameters for the links.
    ``context``: ``saved`` (a saved plan), ``save_form`` and ``save_errors`` (the save form)."""
    html = render("buergerportal/birth_plan.html", plan=build_plan(answers), fmt=Formatter(_locale()), query=query,
                  today=datetime.now().date(), user=current_user(), max_saved=MAX_SAVED_PLANS, label_max=LABEL_MAX,
                  **{"saved": None, "saved_title": "", "save_form": {}, "save_errors": {}, **context})
    return html, status, NO_STORE


def _describe(fmt: Formatter):
    def describe(step):
        lines = []
        for which, day in step.dates():
            label = {"recommended": _("Empfohlen bis"), "latest": _("Spätestens")}.get(which, fmt.kind(step.kind))
            lines.append(f"{label}: {fmt.date(day)}")
        lines.append(_("Zuständig: %(office)s", office=step.office))
        lines.append(_("Rechtsgrundlage: %(law)s", law=step.legal_basis))
        if step.description:
            lines.append(str(step.description))
        if step.documents:
            lines.append(_("Unterlagen: %(documents)s", documents="; ".join(str(d) for d in step.documents)))
        lines += [f"{fact.label}: {fmt.fact(fact)}" for fact in step.facts]
        return lines
    return describe


@bp.get("/geburt/plan.ics")
@public
def birth_plan_ics():
    answers, errors = _load()
    return ics_response(answers, errors)


def ics_response(answers, errors: dict):
    """The plan as an iCal download, or 422 with the invalid fields named."""
    if errors:
        return (_("Ungültige Angaben: %(fields)s", fields=", ".join(sorted(errors))), 422,
                {"Content-Type": "text/plain; charset=utf-8", **NO_STORE})
    fmt = Formatter(_locale())
    body = build_calendar(build_plan(answers), host=request.host.split(":")[0],
                          labels={"recommended": _("empfohlen"), "latest": _("spätestens")},
                          describe=_describe(fmt), now=datetime.now(timezone.utc),
                          name=_("Geburt eines Kindes: Ihr Plan"))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": 'attachment; filename="geburt-plan.ics"', **NO_STORE})


# Plans saved to the citizen's account, "Meine Pläne" (routes in plan_views.py)
from . import plan_views  # noqa: E402,F401


# Kita search and pre-registration (routes in kita_views.py)
from . import kita_views  # noqa: E402,F401


# Service catalogue, search, help directory and the editors' area (routes in catalogue_views.py)
from . import catalogue_views  # noqa: E402,F401


# Application helper (Kindergeld, Elterngeld) and the Leichte-Sprache page (routes in application_views.py)
from . import application_views  # noqa: E402,F401
