"""Small helpers shared by the admin sections: pagination and the names an admin may pick."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlmodel import select

from ..db import get_session
from ..identity.permissions import CORE_PERMISSIONS, CORE_ROLES

PER_PAGE = 25


@dataclass
class Page:
    items: list
    number: int
    pages: int
    total: int

    def url(self, number: int) -> str:
        """The current page's URL with its query kept and only the page number changed."""
        args = request.args.to_dict()
        args["seite"] = number
        return url_for(request.endpoint, **(request.view_args or {}), **args)


def paginate(model, conditions: list[Any], order_by: list[Any], per_page: int = PER_PAGE) -> Page:
    """One page of ``model`` rows. The count repeats the conditions on the model itself (not a
    subquery) so that the tenant guard scopes both statements the same way."""
    session = get_session()
    total = session.exec(select(func.count()).select_from(model).where(*conditions)).one()
    pages = max(1, math.ceil(total / per_page))
    number = min(max(1, request.args.get("seite", 1, type=int) or 1), pages)
    items = session.exec(select(model).where(*conditions).order_by(*order_by)
                         .offset((number - 1) * per_page).limit(per_page)).all()
    return Page(list(items), number, pages, total)


def plugin_manifests() -> list:
    """Manifests of the plugins that can be enabled (quarantined ones declare nothing usable)."""
    registry = current_app.extensions["mash"].registry
    return [r.manifest for r in sorted(registry.active(), key=lambda r: r.slug)]


def known_roles() -> list[tuple[str, str]]:
    """(name, description) of the core roles and every role a plugin manifest declares."""
    labels = {"citizen": _l("Bürgerinnen und Bürger"), "staff": _l("Mitarbeitende"),
              "admin": _l("Verwaltung (alle Berechtigungen)")}
    roles = {name: labels.get(name, name) for name in CORE_ROLES}
    for manifest in plugin_manifests():
        for role in manifest.roles:
            roles.setdefault(role.name, str(role.description))
    return list(roles.items())


def known_permissions() -> list[tuple[str, list]]:
    """Permissions grouped by owner: ``[("core", [Permission, ...]), (slug, [...]), ...]``."""
    groups = [("core", list(CORE_PERMISSIONS))]
    for manifest in plugin_manifests():
        if manifest.permissions:
            groups.append((manifest.slug, list(manifest.permissions)))
    return groups


def permission_names() -> set[str]:
    return {p.name for _slug, perms in known_permissions() for p in perms}
