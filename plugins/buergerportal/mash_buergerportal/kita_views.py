"""Pages of the Kita search and pre-registration.

Public: the search with filters, list and map, and one page per Kita. Citizens (signed in):
their children, pre-registrations, offers. Staff (``buergerportal.kita``): requests per
facility, offers. Every change is a POST with the CSRF token and ends in a redirect.
"""

from __future__ import annotations

from datetime import date, timedelta

import marshmallow as ma
from flask import abort, flash, redirect, request, url_for

from mash_core.api import _, current_user, db_session, public, render, require_permission, select

from . import kita
from .kita_models import AGE_GROUPS, KitaFacility, KitaRegistration
from .views import Formatter, _locale, bp

CSS = "buergerportal/kita.css"
#: the map's frame (degrees) and size (px): Heidelberg from Wieblingen to Ziegelhausen
WEST, EAST, SOUTH, NORTH = 8.625, 8.795, 49.355, 49.440
MAP_W = 600
MAP_H = round(MAP_W * (NORTH - SOUTH) * 1.536 / (EAST - WEST))
#: the Neckar through the city, east to west (approximate)
NECKAR = [(49.4060, 8.7950), (49.4125, 8.7700), (49.4100, 8.7450), (49.4130, 8.7200), (49.4135, 8.7050),
          (49.4115, 8.6900), (49.4160, 8.6750), (49.4230, 8.6600), (49.4300, 8.6400), (49.4330, 8.6250)]


def project(lat: float, lon: float) -> tuple[float, float]:
    x = (lon - WEST) / (EAST - WEST) * MAP_W
    y = (NORTH - lat) / (NORTH - SOUTH) * MAP_H
    return round(x, 1), round(y, 1)


def _map(facilities: list[KitaFacility]) -> dict:
    from .kita_demo import DISTRICTS
    markers = [(i, f, *project(f.lat, f.lon)) for i, f in enumerate(facilities, start=1)
               if f.lat is not None and f.lon is not None and SOUTH <= f.lat <= NORTH and WEST <= f.lon <= EAST]
    labels = [(name, *project(lat, lon)) for name, (lat, lon, _pc) in DISTRICTS.items()]
    river = " ".join(f"{x},{y}" for x, y in (project(lat, lon) for lat, lon in NECKAR))
    return {"markers": markers, "labels": labels, "river": river, "width": MAP_W, "height": MAP_H}


def _fmt() -> Formatter:
    return Formatter(_locale())


def _helpers() -> dict:
    return {"fmt": _fmt(), "age_group_label": kita.age_group_label, "language_label": kita.language_label,
            "status_label": kita.status_label, "offer_status_label": kita.offer_status_label,
            "care_year_label": kita.care_year_label, "css": CSS,
            "age_groups_text": lambda f: ", ".join(kita.age_group_label(a) for a in f.age_group_list),
            "languages_text": lambda f: ", ".join(kita.language_label(code) for code in f.language_list)}


# -- public search --------------------------------------------------------------------------
@bp.get("/kita")
@public
def kita_search():
    raw = {k: request.args[k].strip() for k in ("district", "age_group", "language", "open_from", "open_until")
           if request.args.get(k, "").strip()}
    errors = {}
    try:
        filters = kita.KitaQuerySchema().load(raw)
    except ma.ValidationError as exc:
        errors = exc.messages
        filters = {k: v for k, v in raw.items() if k not in errors}
    facilities = kita.search_facilities(**filters)
    html = render("buergerportal/kita_search.html", facilities=facilities, form=raw, errors=errors,
                  districts=kita.districts(), age_groups=AGE_GROUPS, languages=kita.languages_offered(),
                  kita_map=_map(facilities), **_helpers())
    return html, (422 if errors else 200)


@bp.get("/kita/<int:kita_id>")
@public
def kita_detail(kita_id: int):
    found = kita.facility(kita_id)
    if found is None:
        abort(404)
    return render("buergerportal/kita_detail.html", kita=found, kita_map=_map([found]), **_helpers())


# -- citizen ------------------------------------------------------------------------------
def _error(exc: kita.KitaError):
    flash(exc.message, "error")


@bp.get("/kita/meine")
@require_permission()
def kita_status():
    user = current_user()
    return render("buergerportal/kita_status.html", children=kita.children_of(user),
                  registrations=kita.registrations_of(user), today=date.today(), **_helpers())


@bp.post("/kita/kinder")
@require_permission()
def kita_add_child():
    try:
        birth = date.fromisoformat(request.form.get("birth_date", ""))
    except ValueError:
        flash(_("Bitte geben Sie ein gültiges Geburtsdatum an."), "error")
        return redirect(url_for("buergerportal.kita_status"))
    try:
        child = kita.add_child(current_user(), request.form.get("first_name", ""), birth)
    except kita.KitaError as exc:
        _error(exc)
        return redirect(url_for("buergerportal.kita_status"))
    flash(_("%(child)s ist eingetragen. Jetzt können Sie Wunsch-Kitas vormerken.", child=child.first_name),
          "success")
    return redirect(url_for("buergerportal.kita_register_form", child=child.id))


@bp.post("/kita/kinder/<int:child_id>/loeschen")
@require_permission()
def kita_delete_child(child_id: int):
    try:
        kita.delete_child(current_user(), child_id)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Das Kind und seine Vormerkungen sind gelöscht."), "success")
    return redirect(url_for("buergerportal.kita_status"))


def _register_page(form: dict, error: str = "", status: int = 200):
    user = current_user()
    children = kita.children_of(user)
    facilities = db_session().exec(select(KitaFacility).order_by(KitaFacility.district, KitaFacility.name)).all()
    by_district: dict[str, list] = {}
    for f in facilities:
        by_district.setdefault(f.district, []).append(f)
    html = render("buergerportal/kita_register.html", children=children, by_district=by_district, form=form,
                  error=error, years=kita.open_care_years(), max_wishes=3, **_helpers())
    return html, status


@bp.get("/kita/vormerken")
@require_permission()
def kita_register_form():
    years = kita.open_care_years()
    form = {"child": request.args.get("child", ""), "wish1": request.args.get("kita", ""),
            "care_year": str(years[1]), "start_date": kita.care_year_bounds(years[1])[0].isoformat()}
    return _register_page(form)


@bp.post("/kita/vormerken")
@require_permission()
def kita_register():
    form = {k: request.form.get(k, "").strip() for k in ("child", "care_year", "start_date", "wish1", "wish2",
                                                          "wish3")}
    try:
        child_id, care_year = int(form["child"]), int(form["care_year"])
        start = date.fromisoformat(form["start_date"])
    except ValueError:
        return _register_page(form, _("Bitte wählen Sie ein Kind, ein Kindergartenjahr und einen gültigen "
                                      "Beginn."), 422)
    wishes = [form[k] for k in ("wish1", "wish2", "wish3") if form[k]]
    extra = [v for v in request.form.getlist("wish") if v]  # more than three wishes are refused, not cut
    try:
        kita.submit_registration(current_user(), child_id, care_year, start, [int(w) for w in wishes + extra])
    except ValueError:
        return _register_page(form, _("Bitte wählen Sie die Wunsch-Kitas aus der Liste."), 422)
    except kita.KitaError as exc:
        return _register_page(form, exc.message, 422)
    flash(_("Ihre Vormerkung ist eingegangen. Sie erhalten eine Bestätigung per E-Mail."), "success")
    return redirect(url_for("buergerportal.kita_status"))


@bp.post("/kita/vormerkung/<int:registration_id>/zurueckziehen")
@require_permission()
def kita_withdraw(registration_id: int):
    try:
        kita.withdraw_registration(current_user(), registration_id)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Die Vormerkung ist zurückgezogen."), "success")
    return redirect(url_for("buergerportal.kita_status"))


@bp.post("/kita/angebot/<int:offer_id>/annehmen")
@require_permission()
def kita_accept(offer_id: int):
    try:
        kita.accept_offer(current_user(), offer_id)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Sie haben den Platz angenommen. Ihre anderen Angebote wurden zurückgegeben."), "success")
    return redirect(url_for("buergerportal.kita_status"))


@bp.post("/kita/angebot/<int:offer_id>/ablehnen")
@require_permission()
def kita_decline(offer_id: int):
    try:
        kita.decline_offer(current_user(), offer_id)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Sie haben das Angebot abgelehnt. Ihre Vormerkung bleibt bestehen."), "success")
    return redirect(url_for("buergerportal.kita_status"))


# -- staff ------------------------------------------------------------------------------------
def _year_arg() -> int:
    years = kita.open_care_years()
    try:
        year = int(request.values.get("jahr", years[1]))
    except ValueError:
        year = years[1]
    return year if year in years else years[1]


@bp.get("/kita/verwaltung")
@require_permission("buergerportal.kita")
def kita_admin():
    year = _year_arg()
    facilities = db_session().exec(select(KitaFacility).order_by(KitaFacility.district, KitaFacility.name)).all()
    counts = kita.request_counts(year)
    quotas = {f.id: kita.quota(f.id, year) for f in facilities}
    return render("buergerportal/kita_admin.html", facilities=facilities, counts=counts, quotas=quotas, year=year,
                  years=kita.open_care_years(), **_helpers())


@bp.get("/kita/verwaltung/<int:kita_id>")
@require_permission("buergerportal.kita")
def kita_admin_facility(kita_id: int):
    found = kita.facility(kita_id)
    if found is None:
        abort(404)
    year = _year_arg()
    places, used = kita.quota(found.id, year)
    return render("buergerportal/kita_admin_facility.html", kita=found, year=year, years=kita.open_care_years(),
                  requests=kita.requests_for(found.id, year), places=places, used=used,
                  default_deadline=(date.today() + timedelta(days=kita.offer_days())).isoformat(),
                  offer_days=kita.offer_days(), **_helpers())


@bp.post("/kita/verwaltung/<int:kita_id>/angebot")
@require_permission("buergerportal.kita")
def kita_make_offer(kita_id: int):
    year = _year_arg()
    target = url_for("buergerportal.kita_admin_facility", kita_id=kita_id, jahr=year)
    try:
        registration_id = int(request.form.get("registration", ""))
        deadline = date.fromisoformat(request.form["deadline"]) if request.form.get("deadline") else None
    except ValueError:
        flash(_("Bitte geben Sie eine gültige Antwortfrist an."), "error")
        return redirect(target)
    try:
        kita.make_offer(current_user(), kita_id, registration_id, deadline)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Das Angebot ist verschickt."), "success")
    return redirect(target)


@bp.post("/kita/verwaltung/angebot/<int:offer_id>/zurueckziehen")
@require_permission("buergerportal.kita")
def kita_withdraw_offer(offer_id: int):
    try:
        kita.withdraw_offer(current_user(), offer_id)
    except kita.KitaError as exc:
        _error(exc)
    else:
        flash(_("Das Angebot ist zurückgezogen."), "success")
    kita_id = request.form.get("kita", type=int)
    if kita_id:
        return redirect(url_for("buergerportal.kita_admin_facility", kita_id=kita_id, jahr=_year_arg()))
    return redirect(url_for("buergerportal.kita_admin"))


def widget() -> str:
    year = kita.open_care_years()[1]
    open_count = len(db_session().exec(select(KitaRegistration.id).where(
        KitaRegistration.care_year == year, KitaRegistration.status.in_(("submitted", "offered")))).all())
    return render("buergerportal/kita_widget.html", open_count=open_count, year=year, **_helpers())
