"""Sign-in, self-registration with e-mail confirmation, and the citizen's own account."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Optional

from flask import (Blueprint, Response, current_app, flash, g, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete
from sqlmodel import select

from ..db import get_session
from ..models import ApiToken, LoginAttempt, User, UserRole
from ..notify import Message, send
from ..web.urls import local_path
from ..worker.events import bus
from . import throttle
from .audit import audit
from .passwords import DUMMY_HASH, hash_password, needs_rehash, password_problem, verify_password
from .permissions import public, require_permission, roles_of
from .sessions import login_user, logout_user

bp = Blueprint("auth", __name__)
account_bp = Blueprint("account", __name__, url_prefix="/konto")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
CONFIRM_MAX_AGE = 48 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="mash-confirm-email")


def _safe_next(target: Optional[str]) -> str:
    return local_path(target) or url_for("shell.home")


def _password_message(problem: str) -> str:
    if problem.startswith("too_short"):
        return _("Das Passwort muss mindestens %(n)s Zeichen lang sein.", n=problem.split(":")[1])
    return _("Das Passwort ist zu lang.")


def _deliver(message: Message) -> bool:
    """Send through the notifier; a mail server outage is reported to the citizen, not a 500."""
    try:
        send(current_app.extensions["mash"].settings, message)
        return True
    except Exception as exc:  # SMTP down, disk full …: the account row is kept either way
        logging.getLogger("mash.notify").error("could not send %r: %s", message.subject, type(exc).__name__)
        return False


def send_confirmation(user: User, next_url: Optional[str] = None) -> bool:
    """Mail the confirmation link. ``next_url`` (a checked local path) travels signed in the token,
    so that the confirmation page can lead back there through the login; nothing is stored."""
    data = {"uid": user.id, "email": user.email}
    if local_path(next_url):
        data["next"] = next_url
    token = _serializer().dumps(data)
    link = url_for("auth.confirm", token=token, _external=True)
    body = _("Guten Tag,\n\nbitte bestätigen Sie Ihre Registrierung bei %(name)s:\n\n%(link)s\n\n"
             "Der Link ist 48 Stunden gültig. Wenn Sie sich nicht registriert haben, "
             "ignorieren Sie diese Nachricht.", name=g.municipality.name, link=link)
    return _deliver(Message(to=user.email, subject=_("Registrierung bestätigen"), body=body))


def send_already_registered(user: User, next_url: Optional[str] = None) -> bool:
    login_link = url_for("auth.login", next=local_path(next_url), _external=True)
    body = _("Guten Tag,\n\njemand hat versucht, mit Ihrer E-Mail-Adresse ein Konto bei %(name)s "
             "anzulegen. Sie haben dort bereits ein Konto und können sich hier anmelden:\n\n%(link)s\n\n"
             "Wenn Sie das nicht waren, können Sie diese Nachricht ignorieren.",
             name=g.municipality.name, link=login_link)
    return _deliver(Message(to=user.email, subject=_("Sie haben bereits ein Konto"), body=body))


@bp.route("/anmelden", methods=["GET", "POST"])
@public
def login():
    error = None
    next_url = local_path(request.args.get("next"))  # passed on to the registration link
    if request.method == "POST":
        session = get_session()
        email = request.form.get("email", "").strip().lower()
        password = request.form.get("password", "")
        remote = request.remote_addr or ""
        if throttle.is_throttled(session, email, remote):
            error = _("Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie 15 Minuten.")
            return render_template("auth/login.html", error=error, email=email, next_url=next_url), 429
        user = session.exec(select(User).where(User.email == email)).first()
        ok = verify_password(user.password_hash if user else DUMMY_HASH, password) and user is not None
        if ok and not user.active:
            ok = False
        if ok and user.confirmed_at is None:
            throttle.record_attempt(session, email, remote, False)
            session.commit()
            error = _("Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse über den Link, den wir Ihnen geschickt haben.")
            return render_template("auth/login.html", error=error, email=email, next_url=next_url), 400
        throttle.record_attempt(session, email, remote, ok)
        if ok:
            if needs_rehash(user.password_hash):
                user.password_hash = hash_password(password)
            session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        session.commit()
        error = _("E-Mail-Adresse oder Passwort ist falsch.")
        return render_template("auth/login.html", error=error, email=email, next_url=next_url), 400
    return render_template("auth/login.html", error=error, email="", next_url=next_url)


@bp.post("/abmelden")
@public
def logout():
    logout_user()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("shell.home"))


@bp.route("/registrieren", methods=["GET", "POST"])
@public
def register():
    errors: dict[str, str] = {}
    form = request.form
    # where the citizen was going (e.g. a plan to save): kept through the form and the e-mail
    next_url = local_path(form.get("next") or request.args.get("next"))
    if request.method == "POST":
        session = get_session()
        email = form.get("email", "").strip().lower()
        name = form.get("name", "").strip()
        password = form.get("password", "")
        if not EMAIL.match(email) or len(email) > 254:
            errors["email"] = _("Bitte geben Sie eine gültige E-Mail-Adresse an.")
        if len(name) > 200:
            errors["name"] = _("Der Name ist zu lang.")
        problem = password_problem(password)
        if problem:
            errors["password"] = _password_message(problem)
        elif password != form.get("password2", ""):
            errors["password2"] = _("Die Passwörter stimmen nicht überein.")
        if not form.get("privacy"):
            errors["privacy"] = _("Bitte bestätigen Sie, dass Sie die Datenschutzhinweise gelesen haben.")
        if not errors:
            existing = session.exec(select(User).where(User.email == email)).first()
            if existing is None:
                user = User(email=email, name=name, password_hash=hash_password(password),
                            locale=form.get("lang") if form.get("lang") in ("de", "en") else "de")
                session.add(user)
                session.flush()
                session.add(UserRole(user_id=user.id, role="citizen"))
                session.commit()
                sent = send_confirmation(user, next_url)
                bus().publish("core.user_registered", {"user_id": user.id})
            elif existing.confirmed_at is None:
                sent = send_confirmation(existing, next_url)  # registering again re-sends the link
            else:
                sent = send_already_registered(existing, next_url)
            # the same answer whether or not the address is known: no account enumeration
            return render_template("auth/register_done.html", email=email, mail_failed=not sent)
        return render_template("auth/register.html", errors=errors, form=form, next_url=next_url), 400
    return render_template("auth/register.html", errors=errors, form=form, next_url=next_url)


@bp.get("/bestaetigen/<token>")
@public
def confirm(token: str):
    try:
        data = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except SignatureExpired:
        return render_template("auth/confirm.html", ok=False, expired=True), 400
    except BadSignature:
        return render_template("auth/confirm.html", ok=False, expired=False), 400
    session = get_session()
    user = session.exec(select(User).where(User.id == data.get("uid"))).first()
    if user is None or user.email != data.get("email"):
        return render_template("auth/confirm.html", ok=False, expired=False), 400
    if user.confirmed_at is None:
        user.confirmed_at = datetime.now(timezone.utc)
        session.commit()
    # checked again: the token is signed, but the rule for a safe target may have tightened since
    return render_template("auth/confirm.html", ok=True, next_url=local_path(data.get("next")))


@account_bp.get("/")
@require_permission()
def overview():
    return render_template("account/overview.html", roles=sorted(roles_of(g.user)))


@account_bp.post("/passwort")
@require_permission()
def change_password():
    session = get_session()
    user = g.user
    if not verify_password(user.password_hash, request.form.get("current", "")):
        flash(_("Das bisherige Passwort ist falsch."), "error")
        return redirect(url_for("account.overview"))
    new = request.form.get("password", "")
    problem = password_problem(new)
    if problem or new != request.form.get("password2", ""):
        flash(_password_message(problem) if problem else _("Die Passwörter stimmen nicht überein."), "error")
        return redirect(url_for("account.overview"))
    user.password_hash = hash_password(new)
    user.session_epoch += 1  # signs out every other session
    session.commit()
    login_user(user)
    flash(_("Ihr Passwort wurde geändert."), "success")
    return redirect(url_for("account.overview"))


def export_data(user: User) -> dict:
    """Everything the portal holds about ``user`` (core and plugins)."""
    mash = current_app.extensions["mash"]
    data = {
        "account": {"email": user.email, "name": user.name, "locale": user.locale,
                    "created_at": user.created_at.isoformat(),
                    "confirmed_at": user.confirmed_at.isoformat() if user.confirmed_at else None,
                    "roles": sorted(roles_of(user))},
        "api_tokens": [{"name": t.name, "created_at": t.created_at.isoformat(), "scopes": t.scope_list()}
                       for t in get_session().exec(select(ApiToken).where(ApiToken.user_id == user.id))],
        "plugins": {},
    }
    for slug, result in mash.registry.call("mash_export_user_data", g.enabled_plugins, user=user):
        data["plugins"][slug] = result
    return data


@account_bp.get("/export")
@require_permission()
def export():
    body = json.dumps(export_data(g.user), ensure_ascii=False, indent=2, default=str)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=meine-daten.json"})


@account_bp.post("/loeschen")
@require_permission()
def delete_account():
    session = get_session()
    user = g.user
    if not verify_password(user.password_hash, request.form.get("password", "")):
        flash(_("Das Passwort ist falsch; Ihr Konto wurde nicht gelöscht."), "error")
        return redirect(url_for("account.overview"))
    if "admin" in roles_of(user):
        flash(_("Ein Verwaltungskonto kann sich nicht selbst löschen."), "error")
        return redirect(url_for("account.overview"))
    registry = current_app.extensions["mash"].registry
    for impl in registry.pm.hook.mash_delete_user_data.get_hookimpls():
        if impl.plugin_name == "core" or impl.plugin_name in g.enabled_plugins:
            try:
                impl.function(user=user)
            except Exception as exc:  # raising aborts the deletion: nothing is half-deleted
                session.rollback()
                registry.record_error(impl.plugin_name, "mash_delete_user_data", exc)
                flash(_("Ihr Konto wurde nicht gelöscht, weil ein Dienst Ihre Daten gerade nicht "
                        "entfernen konnte. Bitte versuchen Sie es später noch einmal."), "error")
                return redirect(url_for("account.overview"))
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.execute(delete(LoginAttempt).where(LoginAttempt.email_hash == throttle._h(user.email)))
    bus().publish("core.user_deleted", {"user_id": user.id})
    session.delete(user)
    audit("account.deleted_by_owner", target=f"user:{user.id}")
    session.commit()
    logout_user()
    flash(_("Ihr Konto und Ihre Daten wurden gelöscht."), "success")
    return redirect(url_for("shell.home"))
