"""Core pages: home, staff dashboard, legal pages with feedback, language switch, branding."""

from __future__ import annotations

import re

from flask import Blueprint, Response, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..db import get_session
from ..i18n import LANGUAGES
from ..identity.permissions import public, require_permission
from ..models import Feedback
from .pagecache import cached_for_anonymous
from .urls import local_path

bp = Blueprint("shell", __name__)
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@bp.get("/")
@public
@cached_for_anonymous
def home():
    return render_template("core/home.html")


@bp.get("/dashboard")
@require_permission("core.dashboard")
def dashboard():
    return render_template("core/dashboard.html")


@bp.get("/impressum")
@public
@cached_for_anonymous
def imprint():
    return render_template("core/imprint.html")


@bp.get("/datenschutz")
@public
@cached_for_anonymous
def privacy():
    return render_template("core/privacy.html")


@bp.route("/barrierefreiheit", methods=["GET", "POST"])
@public
def accessibility():
    errors = {}
    if request.method == "POST":
        message = request.form.get("message", "").strip()
        email = request.form.get("email", "").strip()
        if not message:
            errors["message"] = _("Bitte beschreiben Sie das Problem.")
        elif len(message) > 5000:
            errors["message"] = _("Die Nachricht ist zu lang (höchstens 5000 Zeichen).")
        if email and ("@" not in email or len(email) > 254):
            errors["email"] = _("Bitte geben Sie eine gültige E-Mail-Adresse an oder lassen Sie das Feld leer.")
        if not errors:
            get_session().add(Feedback(message=message, email=email,
                                       page=request.form.get("page", "")[:500]))
            get_session().commit()
            flash(_("Vielen Dank, Ihre Rückmeldung ist eingegangen."), "success")
            return redirect(url_for("shell.accessibility"))
    return render_template("core/accessibility.html", errors=errors, form=request.form)


@bp.post("/sprache")
@bp.get("/sprache/<lang>")
@public
def set_language(lang: str | None = None):
    """Switch the language. A plain link (GET) so that anonymous pages need no CSRF token and
    hence no session cookie; it changes nothing but the visitor's own display preference."""
    lang = lang or request.form.get("lang", "")
    if lang in LANGUAGES:
        session["lang"] = lang
        user = g.get("user")
        if user is not None and request.method == "POST":
            # the account's stored language (used for e-mails) changes only through a form
            user.locale = lang
            get_session().commit()
    return redirect(local_path(request.values.get("next")) or "/")


@bp.get("/branding.css")
@public
def branding_css():
    m = g.municipality
    primary = m.primary_color if HEX.match(m.primary_color) else "#8a1538"
    accent = m.accent_color if HEX.match(m.accent_color) else "#1d4f91"
    css = f":root {{ --brand: {primary}; --accent: {accent}; }}\n"
    return Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})


@bp.get("/manifest.webmanifest")
@public
def webmanifest():
    m = g.municipality
    return {
        "name": m.name, "short_name": m.name[:12], "lang": "de", "start_url": "/",
        "display": "standalone", "background_color": "#ffffff",
        "theme_color": m.primary_color if HEX.match(m.primary_color) else "#8a1538",
        "icons": [{"src": url_for("static", filename="icon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
