"""Admin: users of the current municipality, their roles and active state, and the matrix of
which role holds which permission (RoleGrant rows). The ``admin`` role always holds every
permission, so it is not part of the matrix."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete, func
from sqlmodel import select

from ..db import get_session
from ..identity.audit import audit
from ..identity.permissions import require_permission, roles_of
from ..models import RoleGrant, User, UserRole
from . import bp
from .common import known_permissions, known_roles, paginate, permission_names


def _user(user_id: int) -> User:
    # the tenant guard scopes this query: a user of another municipality is not found
    user = get_session().exec(select(User).where(User.id == user_id)).first()
    if user is None:
        abort(404)
    return user


@bp.get("/benutzer")
@require_permission("core.admin")
def users():
    query = request.args.get("q", "").strip().lower()[:254]
    conditions = [func.lower(User.email).contains(query, autoescape=True)] if query else []
    page = paginate(User, conditions, [User.email])
    ids = [u.id for u in page.items]
    roles: dict[int, list[str]] = {i: [] for i in ids}
    if ids:
        for row in get_session().exec(select(UserRole).where(UserRole.user_id.in_(ids)).order_by(UserRole.role)):
            roles[row.user_id].append(row.role)
    return render_template("admin/users.html", page=page, roles=roles, query=query)


def _render_detail(user: User, status: int = 200, error: str | None = None):
    current = roles_of(user)
    choices = known_roles() + [(r, _("nicht mehr deklarierte Rolle")) for r in sorted(current)
                               if r not in dict(known_roles())]
    return render_template("admin/user_detail.html", user=user, current=current, choices=choices,
                           error=error), status


@bp.get("/benutzer/<int:user_id>")
@require_permission("core.admin")
def user_detail(user_id: int):
    return _render_detail(_user(user_id))


@bp.post("/benutzer/<int:user_id>/rollen")
@require_permission("core.admin")
def user_roles(user_id: int):
    user = _user(user_id)
    session = get_session()
    current = roles_of(user)
    offered = set(dict(known_roles())) | current
    wanted = set(request.form.getlist("roles"))
    if wanted - offered:
        return _render_detail(user, 400, _("Unbekannte Rolle: %(roles)s.", roles=", ".join(sorted(wanted - offered))))
    if user.id == g.user.id and "admin" in current and "admin" not in wanted:
        # otherwise the last admin could lock the whole municipality out of its administration
        return _render_detail(user, 400, _("Sie können sich die Rolle admin nicht selbst entziehen. "
                                           "Bitten Sie eine andere Person mit Verwaltungsrechten darum."))
    for role in sorted(wanted - current):
        session.add(UserRole(user_id=user.id, role=role))
        audit("user.role_granted", target=user.email, role=role)
    for role in sorted(current - wanted):
        session.execute(delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == role))
        audit("user.role_revoked", target=user.email, role=role)
    session.commit()
    if wanted != current:
        flash(_("Die Rollen von %(email)s wurden gespeichert.", email=user.email), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.post("/benutzer/<int:user_id>/status")
@require_permission("core.admin")
def user_active(user_id: int):
    user = _user(user_id)
    active = request.form.get("active") == "1"
    if not active and user.id == g.user.id:
        return _render_detail(user, 400, _("Sie können Ihr eigenes Konto nicht deaktivieren."))
    if user.active != active:
        user.active = active
        if not active:
            user.session_epoch += 1  # ends every open session of the account at once
        audit("user.reactivated" if active else "user.deactivated", target=user.email)
        get_session().commit()
        flash(_("Das Konto %(email)s ist jetzt aktiv.", email=user.email) if active else
              _("Das Konto %(email)s ist jetzt deaktiviert.", email=user.email), "success")
    return redirect(url_for("admin.user_detail", user_id=user.id))


def _matrix_roles() -> list[tuple[str, str]]:
    return [(name, label) for name, label in known_roles() if name != "admin"]


@bp.get("/benutzer/rollen")
@require_permission("core.admin")
def roles():
    granted = {(r.role, r.permission) for r in get_session().exec(select(RoleGrant))}
    return render_template("admin/roles.html", roles=_matrix_roles(), groups=known_permissions(),
                           granted=granted, error=None)


@bp.post("/benutzer/rollen")
@require_permission("core.admin")
def roles_save():
    session = get_session()
    roles_shown = {name for name, _label in _matrix_roles()}
    perms_shown = permission_names()
    wanted = set()
    for value in request.form.getlist("grant"):
        role, _sep, perm = value.partition(" ")
        if role in roles_shown and perm in perms_shown:
            wanted.add((role, perm))
    rows = [r for r in session.exec(select(RoleGrant)) if r.role in roles_shown and r.permission in perms_shown]
    existing = {(r.role, r.permission) for r in rows}
    actor_roles = roles_of(g.user)
    if "admin" not in actor_roles:
        # someone who administers through a granted core.admin must not take it from themselves
        others = {(r.role, r.permission) for r in session.exec(select(RoleGrant))} - existing
        if not any((role, "core.admin") in wanted | others for role in actor_roles):
            granted = existing | others
            return render_template("admin/roles.html", roles=_matrix_roles(), groups=known_permissions(),
                                   granted=granted, error=_("Sie können sich die Berechtigung core.admin "
                                                            "nicht selbst entziehen.")), 400
    added, removed = sorted(wanted - existing), sorted(existing - wanted)
    for role, perm in added:
        session.add(RoleGrant(role=role, permission=perm))
    for row in rows:
        if (row.role, row.permission) in removed:
            session.delete(row)
    if added or removed:
        audit("roles.grants_changed", added=[f"{r} {p}" for r, p in added],
              removed=[f"{r} {p}" for r, p in removed])
        session.commit()
        flash(_("Die Berechtigungen der Rollen wurden gespeichert."), "success")
    return redirect(url_for("admin.roles"))
