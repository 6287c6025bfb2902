"""Admin: municipalities (tenants) — branding, host names, creation, and the current one's districts.

Who may do what (kept deliberately simple): an admin administers the municipality they belong to.
Admins of the *default* municipality act as the state- or county-wide IT provider: they alone see
every municipality, create new ones and edit their branding. Everyone else sees only their own.
"""

from __future__ import annotations

import re

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import format_decimal, gettext as _
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from ..db import UNSCOPED, get_session
from ..identity.audit import audit
from ..identity.permissions import CORE_PERMISSIONS, require_permission
from ..models import District, Municipality
from ..plugins.state import bump_version, seed_default_grants
from ..tenancy import municipality_context
from . import bp

SLUG = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^[0-9+()/ .\-]{3,50}$")
MIN_CONTRAST = 4.5
BRANDING_FIELDS = ("name", "hosts", "logo_url", "primary_color", "accent_color",
                   "contact_email", "contact_phone", "address")


def contrast_with_white(color: str) -> float:
    """WCAG 2.1 contrast ratio of ``#rrggbb`` against white (text on it or it as text on white)."""
    def channel(i: int) -> float:
        c = int(color[i:i + 2], 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    luminance = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    return 1.05 / (luminance + 0.05)


def _all_municipalities() -> list[Municipality]:
    return list(get_session().exec(select(Municipality).order_by(Municipality.name),
                                   execution_options=UNSCOPED).all())


def _may_manage_others() -> bool:
    return bool(g.municipality.is_default)


def _editable(slug: str) -> Municipality:
    """The municipality ``slug`` if this admin may edit it; others are answered 404, not 403,
    so that an admin of one municipality cannot probe which others exist."""
    if slug != g.municipality.slug and not _may_manage_others():
        abort(404)
    row = get_session().exec(select(Municipality).where(Municipality.slug == slug),
                             execution_options=UNSCOPED).first()
    if row is None:
        abort(404)
    return row


def _check_color(value: str, errors: dict, key: str) -> None:
    if not HEX.match(value):
        errors[key] = _("Bitte geben Sie die Farbe als Hex-Wert im Format #rrggbb an, zum Beispiel #1d4f91.")
        return
    ratio = contrast_with_white(value)
    if ratio < MIN_CONTRAST:
        errors[key] = _("Die Farbe %(color)s hat zu Weiß nur ein Kontrastverhältnis von %(ratio)s:1; "
                        "nötig sind mindestens 4,5:1 (WCAG 2.1 AA). Bitte wählen Sie einen dunkleren Ton.",
                        color=value, ratio=format_decimal(round(ratio, 2), format="0.00"))


def _check_logo(value: str) -> bool:
    if not value:
        return True
    if any(ch.isspace() for ch in value) or "\\" in value:
        return False
    # only paths on this portal: the CSP (img-src 'self') and "no asset from a CDN" rule out others
    return value.startswith("/") and not value.startswith("//")


def validate_branding(form, current: Municipality | None) -> tuple[dict, dict]:
    """Clean values and error messages (by field) for the branding form."""
    values = {key: form.get(key, "").strip() for key in BRANDING_FIELDS}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Bitte geben Sie einen Namen an.")
    elif len(values["name"]) > 200:
        errors["name"] = _("Der Name darf höchstens 200 Zeichen lang sein.")

    hosts = []
    for host in (h.strip().lower() for h in values["hosts"].split(",")):
        if host and host not in hosts:
            hosts.append(host)
    values["hosts"] = ",".join(hosts)
    bad = [h for h in hosts if not HOST.match(h)]
    taken = {h for m in _all_municipalities() if current is None or m.id != current.id for h in m.host_list()}
    if bad:
        errors["hosts"] = _("Ungültige Hostnamen: %(hosts)s. Erlaubt sind Namen wie portal.example.de, "
                            "durch Kommas getrennt, ohne https:// und ohne Port.", hosts=", ".join(bad))
    elif taken & set(hosts):
        errors["hosts"] = _("Diese Hostnamen gehören bereits zu einer anderen Kommune: %(hosts)s.",
                            hosts=", ".join(sorted(taken & set(hosts))))
    elif not hosts and not (current is not None and current.is_default):
        errors["hosts"] = _("Bitte geben Sie mindestens einen Hostnamen an; nur die Standardkommune "
                            "ist ohne eigenen Hostnamen erreichbar.")
    elif len(values["hosts"]) > 1000:
        errors["hosts"] = _("Die Liste der Hostnamen ist zu lang.")

    if not _check_logo(values["logo_url"]) or len(values["logo_url"]) > 500:
        errors["logo_url"] = _("Das Logo muss ein Pfad auf diesem Portal sein (beginnend mit /), "
                               "zum Beispiel /static/logo.svg.")
    for key in ("primary_color", "accent_color"):
        values[key] = values[key].lower()
        _check_color(values[key], errors, key)
    if values["contact_email"] and (not EMAIL.match(values["contact_email"]) or len(values["contact_email"]) > 200):
        errors["contact_email"] = _("Bitte geben Sie eine gültige E-Mail-Adresse an oder lassen Sie das Feld leer.")
    if values["contact_phone"] and not PHONE.match(values["contact_phone"]):
        errors["contact_phone"] = _("Die Telefonnummer darf nur Ziffern, Leerzeichen und + ( ) / - enthalten.")
    if len(values["address"]) > 300:
        errors["address"] = _("Die Anschrift darf höchstens 300 Zeichen lang sein.")
    return values, errors


def _districts() -> list[District]:
    return list(get_session().exec(select(District).order_by(District.name)).all())


def _render_index(status: int = 200, create=None, create_errors=None, district="", district_errors=None):
    rows = _all_municipalities() if _may_manage_others() else [g.municipality]
    defaults = Municipality(slug="", name="")
    return render_template(
        "admin/municipalities.html", rows=rows, may_manage_others=_may_manage_others(),
        districts=_districts(), create=create or {
            "primary_color": defaults.primary_color, "accent_color": defaults.accent_color},
        create_errors=create_errors or {}, district=district, district_errors=district_errors or {},
    ), status


@bp.get("/kommunen")
@require_permission("core.admin")
def municipalities():
    return _render_index()


@bp.post("/kommunen")
@require_permission("core.admin")
def municipality_create():
    if not _may_manage_others():
        abort(403)
    session = get_session()
    values, errors = validate_branding(request.form, None)
    slug = request.form.get("slug", "").strip().lower()
    values["slug"] = slug
    if not SLUG.match(slug):
        errors["slug"] = _("Die Kennung besteht aus 2 bis 63 Kleinbuchstaben, Ziffern oder Bindestrichen "
                           "und beginnt mit einem Buchstaben.")
    elif session.exec(select(Municipality).where(Municipality.slug == slug), execution_options=UNSCOPED).first():
        errors["slug"] = _("Eine Kommune mit der Kennung %(slug)s gibt es bereits.", slug=slug)
    if errors:
        return _render_index(400, create=values, create_errors=errors)
    row = Municipality(**values)
    session.add(row)
    session.flush()
    audit("municipality.created", target=f"municipality:{slug}", name=row.name, hosts=row.hosts)
    session.flush()  # stamps the audit entry with the acting municipality before switching
    with municipality_context(row.id):
        # the new municipality starts with the core's default grants, like `mash init` gives
        seed_default_grants(session, CORE_PERMISSIONS)
        session.flush()
    bump_version(session, row)
    session.commit()
    flash(_("Die Kommune %(name)s wurde angelegt.", name=row.name), "success")
    return redirect(url_for("admin.municipality_edit", slug=slug))


@bp.get("/kommunen/<slug>/erscheinungsbild")
@require_permission("core.admin")
def municipality_edit(slug: str):
    row = _editable(slug)
    values = {key: getattr(row, key) for key in BRANDING_FIELDS}
    return render_template("admin/municipality_edit.html", row=row, values=values, errors={})


@bp.post("/kommunen/<slug>/erscheinungsbild")
@require_permission("core.admin")
def municipality_save(slug: str):
    row = _editable(slug)
    values, errors = validate_branding(request.form, row)
    if errors:
        return render_template("admin/municipality_edit.html", row=row, values=values, errors=errors), 400
    session = get_session()
    changed = {key: value for key, value in values.items() if getattr(row, key) != value}
    if changed:
        for key, value in changed.items():
            setattr(row, key, value)
        session.flush()
        bump_version(session, row)
        audit("municipality.updated", target=f"municipality:{row.slug}", changed=changed)
        session.commit()
    flash(_("Das Erscheinungsbild von %(name)s wurde gespeichert.", name=row.name), "success")
    return redirect(url_for("admin.municipality_edit", slug=row.slug))


@bp.post("/kommunen/ortsteile")
@require_permission("core.admin")
def district_add():
    session = get_session()
    name = " ".join(request.form.get("name", "").split())
    error = None
    if not name:
        error = _("Bitte geben Sie den Namen des Ortsteils an.")
    elif len(name) > 120:
        error = _("Der Name darf höchstens 120 Zeichen lang sein.")
    elif session.exec(select(District).where(func.lower(District.name) == name.lower())).first():
        error = _("Den Ortsteil %(name)s gibt es bereits.", name=name)
    if error:
        return _render_index(400, district=name, district_errors={"name": error})
    session.add(District(name=name))
    bump_version(session, g.municipality)
    audit("district.added", target=f"district:{name}")
    session.commit()
    flash(_("Der Ortsteil %(name)s wurde hinzugefügt.", name=name), "success")
    return redirect(url_for("admin.municipalities") + "#ortsteile")


@bp.post("/kommunen/ortsteile/<int:district_id>/entfernen")
@require_permission("core.admin")
def district_delete(district_id: int):
    session = get_session()
    # scoped by the tenant guard: another municipality's district is simply not found
    row = session.exec(select(District).where(District.id == district_id)).first()
    if row is None:
        abort(404)
    name = row.name
    try:
        session.delete(row)
        bump_version(session, g.municipality)
        audit("district.removed", target=f"district:{name}")
        session.commit()
    except IntegrityError:
        session.rollback()  # plugin rows still point at it; keeping it is the safe answer
        flash(_("Der Ortsteil %(name)s wird noch von Einträgen verwendet und kann nicht entfernt werden.",
                name=name), "error")
        return redirect(url_for("admin.municipalities") + "#ortsteile")
    flash(_("Der Ortsteil %(name)s wurde entfernt.", name=name), "success")
    return redirect(url_for("admin.municipalities") + "#ortsteile")
