"""Form helpers of the editors' area, shared by every editor (services, life situations, offices,
help entries, topic finder): reading and validating one field each, with one clear German message
per field in ``errors`` (``{field: message}``, shown by ``_catalogue_macros.error_summary``).

The patterns are the import's (``catalogue.SLUG``, ``PHONE``, ``URL_PATTERN``, ``EMAIL``), so that
the form and the JSON import accept the same values.
"""

from __future__ import annotations

import re
from datetime import date

from flask import request, url_for

from mash_core.api import _, db_session, render, select

from . import catalogue
from .catalogue_models import DRAFT, PUBLISHED

SLUG_RE = re.compile(catalogue.SLUG)
URL_RE = re.compile(r"^https?://\S+$")
PHONE_RE = re.compile(catalogue.PHONE)
EMAIL_RE = re.compile(catalogue.EMAIL)
LINK_LINE = re.compile(r"^(?P<name>[^|]+?)\s*(?:\|\s*(?P<link>\S+))?\s*$")


def css() -> str:
    return url_for("buergerportal.static", filename="buergerportal/catalogue.css")


def text(name: str, size: int) -> str:
    """The submitted value of ``name``, trimmed and cut to the column's size."""
    return request.form.get(name, "").strip()[:size]


def required(value: str, field: str, errors: dict, message: str) -> str:
    if not value:
        errors[field] = message
    return value


def lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def links(value: str, field: str, errors: dict) -> list[dict]:
    out = []
    for line in lines(value):
        m = LINK_LINE.match(line)
        link = (m.group("link") or "") if m else ""
        if not m or (link and not URL_RE.match(link)):
            errors[field] = _("Jede Zeile: Bezeichnung | https://… (der Link ist freiwillig).")
            continue
        out.append({"name": m.group("name").strip(), **({"link": link} if link else {})})
    return out


def links_text(items) -> str:
    return "\n".join(f"{x['name']} | {x['link']}" if x.get("link") else x["name"] for x in items or [])


def date_field(value: str, field: str, errors: dict):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Bitte ein Datum im Format JJJJ-MM-TT angeben.")
        return None


def slug_field(model, obj, value: str, errors: dict) -> str:
    """The new slug, or the object's current one when the new one is invalid or taken."""
    value = (value or "").strip().lower()
    if not SLUG_RE.match(value):
        errors["slug"] = _("Nur Kleinbuchstaben, Ziffern und Bindestriche, zum Beispiel elterngeld-beantragen.")
    elif db_session().exec(select(model.id).where(model.slug == value, model.id != (obj.id or 0))).first():
        errors["slug"] = _("Diese Kurzadresse ist schon vergeben.")
    return obj.slug if "slug" in errors else value


def url_field(value: str, field: str, errors: dict) -> str:
    value = (value or "").strip()
    if value and not URL_RE.match(value):
        errors[field] = _("Bitte eine vollständige Adresse mit https:// angeben.")
    return value[:500]


def phone_field(value: str, field: str, errors: dict) -> str:
    """A printed telephone number from which a working ``tel:`` link can be made."""
    value = (value or "").strip()[:50]
    if not value:
        return value
    if not PHONE_RE.match(value):
        errors[field] = _("Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")
    elif len(re.sub(r"\D", "", value)) < 3 or "+" in value.lstrip("+") or value.count("+") > 1:
        errors[field] = _("Bitte eine Telefonnummer mit mindestens drei Ziffern angeben (ein + nur am Anfang).")
    return value


def email_field(value: str, field: str, errors: dict) -> str:
    value = (value or "").strip()[:254]
    if value and not EMAIL_RE.match(value):
        errors[field] = _("Bitte eine gültige E-Mail-Adresse angeben, zum Beispiel buergeramt@heidelberg.de.")
    return value


def position_field(value: str, field: str, errors: dict, default: int = 0) -> int:
    value = (value or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) > 10000:
        errors[field] = _("Bitte eine ganze Zahl von 0 bis 10000 angeben.")
        return default
    return int(value)


def publish_state(current: str) -> str:
    action = request.form.get("action", "draft")
    return PUBLISHED if action == "publish" else DRAFT if action in ("draft", "unpublish") else current


def form_page(template: str, errors: dict, **context):
    """The rendered form, with 422 when it shows errors."""
    return render(template, errors=errors, css=css(), **context), (422 if errors else 200)


def confirm_page(title: str, question: str, action: str, back: str, consequences=(), blocked=None,
                 button: str | None = None, status: int = 200):
    """The confirmation step of a deletion (or of discarding a draft): what will happen, then a
    CSRF-protected POST to ``action``. With ``blocked`` (a reason) there is no button."""
    return render("buergerportal/editor_confirm.html", title=title, question=question, action=action, back=back,
                  consequences=list(consequences), blocked=blocked, button=button or _("Endgültig löschen"),
                  css=css()), status
