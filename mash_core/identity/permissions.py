"""Roles and permissions. ``admin`` holds every permission; others hold what is granted."""

from __future__ import annotations

import functools
from typing import Callable, Optional

from flask import abort, g, redirect, request, url_for, jsonify
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from ..db import get_session
from ..models import RoleGrant, User, UserRole
from ..plugins.manifest import Permission

CORE_ROLES = ("citizen", "staff", "admin")

#: the core's own permissions, granted like a plugin's
CORE_PERMISSIONS = (
    Permission("core.dashboard", _l("Dienst-Übersicht für Mitarbeitende sehen"), ("staff",)),
    Permission("core.account", _l("Ein persönliches Konto nutzen"), ("citizen", "staff")),
    Permission("core.admin", _l("Die Kommune verwalten (Module, Benutzer, Einstellungen)"), ()),
)


def roles_of(user: User) -> set[str]:
    rows = get_session().exec(select(UserRole.role).where(UserRole.user_id == user.id)).all()
    return set(rows)


def permissions_of(user: Optional[User]) -> frozenset[str]:
    if user is None:
        return frozenset()
    cache = g.setdefault("mash_perm_cache", {})
    if user.id in cache:
        return cache[user.id]
    roles = roles_of(user)
    if "admin" in roles:
        perms = frozenset({"*"})
    else:
        rows = get_session().exec(select(RoleGrant.permission).where(RoleGrant.role.in_(roles))).all()
        perms = frozenset(rows)
    cache[user.id] = perms
    return perms


def has_permission(permission: Optional[str], user: Optional[User] = None) -> bool:
    """True when ``permission`` is None (public) or the user (default: current) holds it.

    With an API token, the token's scopes limit what its user may do.
    """
    if permission is None:
        return True
    if user is None:
        user = g.get("user")
    scopes = g.get("token_scopes")
    if user is None and scopes is not None:  # a device token acts by its scopes alone
        return permission in scopes
    perms = permissions_of(user)
    allowed = "*" in perms or permission in perms
    if allowed and scopes is not None:
        allowed = permission in scopes or "*" in scopes
    return allowed


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def require_permission(permission: Optional[str] = None) -> Callable:
    """Decorator: the view needs a signed-in user (or token) holding ``permission``.

    ``None`` means any signed-in user. Pages redirect anonymous users to the login; the API
    answers 401/403 with a JSON error.
    """

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None and g.get("token_scopes") is None:
                if _is_api_request():
                    return jsonify(code=401, status="Unauthorized",
                                   message="authentication required: send 'Authorization: Bearer <token>'"), 401
                return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
            if (permission is not None and not has_permission(permission)) or (
                    permission is None and g.get("user") is None):
                if _is_api_request():
                    return jsonify(code=403, status="Forbidden", message=f"missing permission {permission}"), 403
                abort(403)
            return view(*args, **kwargs)

        wrapped.mash_permission = permission or "authenticated"
        return wrapped

    return decorate


def public(view: Callable) -> Callable:
    """Mark a view as deliberately open to everyone (every route states what it needs)."""
    view.mash_permission = "public"
    return view
