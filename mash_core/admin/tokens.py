"""Admin: scoped API tokens of the municipality — list, issue (the plain token is shown exactly
once, in the answer to the issuing POST, and stored only as a hash), revoke."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ..db import get_session
from ..identity.audit import audit
from ..identity.permissions import require_permission
from ..identity.tokens import issue_token
from ..models import ApiToken, User
from . import bp
from .common import known_permissions, permission_names

MAX_DAYS = 3650


def _render(status: int = 200, form=None, errors=None):
    session = get_session()
    tokens = session.exec(select(ApiToken).order_by(ApiToken.revoked, ApiToken.created_at.desc())).all()
    ids = {t.user_id for t in tokens if t.user_id is not None}
    emails = dict(session.exec(select(User.id, User.email).where(User.id.in_(ids))).all()) if ids else {}
    now = datetime.now(timezone.utc)
    expired = {t.id for t in tokens if t.expires_at is not None and _aware(t.expires_at) < now}
    return render_template("admin/tokens.html", tokens=tokens, emails=emails, groups=known_permissions(),
                           form=form or {}, scopes=set(form.getlist("scopes")) if form else set(),
                           errors=errors or {}, expired=expired), status


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@bp.get("/tokens")
@require_permission("core.admin")
def tokens():
    return _render()


@bp.post("/tokens")
@require_permission("core.admin")
def token_issue():
    session = get_session()
    form = request.form
    errors: dict[str, str] = {}
    name = form.get("name", "").strip()
    if not name:
        errors["name"] = _("Bitte geben Sie dem Token einen Namen, zum Beispiel das Gerät oder die App.")
    elif len(name) > 120:
        errors["name"] = _("Der Name darf höchstens 120 Zeichen lang sein.")
    scopes = form.getlist("scopes")
    unknown = set(scopes) - permission_names()
    if not scopes:
        errors["scopes"] = _("Bitte wählen Sie mindestens eine Berechtigung.")
    elif unknown:
        errors["scopes"] = _("Unbekannte Berechtigung: %(names)s.", names=", ".join(sorted(unknown)))
    expires_at = None
    days = form.get("days", "").strip()
    if days:
        if not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
            errors["days"] = _("Bitte geben Sie eine ganze Zahl von 1 bis %(max)s an oder lassen Sie das Feld leer.",
                               max=MAX_DAYS)
        else:
            expires_at = datetime.now(timezone.utc) + timedelta(days=int(days))
    user = None
    email = form.get("email", "").strip().lower()
    if email:
        user = session.exec(select(User).where(User.email == email)).first()
        if user is None or not user.active:
            errors["email"] = _("In dieser Kommune gibt es kein aktives Konto mit dieser E-Mail-Adresse.")
    if errors:
        return _render(400, form, errors)
    row, plain = issue_token(session, name, scopes, user=user, expires_at=expires_at)
    session.flush()
    audit("token.issued", target=f"token:{row.prefix}", name=name, scopes=row.scope_list(),
          user=user.email if user else None, expires_at=expires_at.isoformat() if expires_at else None)
    session.commit()
    response = make_response(render_template("admin/token_issued.html", token=row, plain=plain,
                                             email=user.email if user else None))
    # the only time the secret travels: keep it out of every cache and the browser history
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.post("/tokens/<int:token_id>/widerrufen")
@require_permission("core.admin")
def token_revoke(token_id: int):
    session = get_session()
    row = session.exec(select(ApiToken).where(ApiToken.id == token_id)).first()
    if row is None:
        abort(404)
    if not row.revoked:
        row.revoked = True
        audit("token.revoked", target=f"token:{row.prefix}", name=row.name)
        session.commit()
        flash(_("Das Token %(name)s wurde widerrufen.", name=row.name), "success")
    return redirect(url_for("admin.tokens"))
