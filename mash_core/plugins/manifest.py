"""What a plugin declares about itself: the :class:`Manifest` in its ``plugin.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

SLUG_RE = re.compile(r"^[a-z][a-z0-9]{1,30}$")


@dataclass(frozen=True)
class Permission:
    """A permission ``<slug>.<action>`` and the roles that hold it by default."""

    name: str
    description: str
    default_roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Role:
    """A role a plugin adds to the core's citizen, staff and admin."""

    name: str
    description: str


@dataclass
class Manifest:
    """A plugin's self-description; every other name is derived from ``slug``.

    :param slug: lower-case letters and digits; gives ``mash-<slug>``, ``mash_<slug>``, the
        table prefix ``<slug>_``, the blueprint and URL prefix ``/<slug>/``, the API prefix
        ``/api/v1/<slug>/``, the logger ``mash.<slug>``, permissions ``<slug>.<action>``.
    :param api: the plugin-API versions it supports, a PEP 440 specifier such as ``">=1.0,<2"``.
    :param requires: slugs of plugins that must be enabled before this one.
    :param uses: slugs of plugins it works with when present (optional).
    :param settings: a marshmallow ``Schema`` class; fields with ``metadata={"secret": True}``
        are write-only.
    """

    slug: str
    title: str
    description: str
    api: str = ">=1.0,<2"
    requires: tuple[str, ...] = ()
    uses: tuple[str, ...] = ()
    settings: Optional[type] = None
    permissions: tuple[Permission, ...] = ()
    roles: tuple[Role, ...] = ()
    contact: dict[str, Any] = field(default_factory=dict)
    #: filled in by the core from the installed distribution
    version: str = "0"

    @property
    def table_prefix(self) -> str:
        return f"{self.slug}_"

    @property
    def package(self) -> str:
        return f"mash_{self.slug}"

    @property
    def distribution(self) -> str:
        return f"mash-{self.slug}"

    def problems(self) -> list[str]:
        """Manifest errors that make the plugin unusable (empty when it is well-formed)."""
        found = []
        if not SLUG_RE.match(self.slug):
            found.append(f"slug {self.slug!r} must match {SLUG_RE.pattern}")
        for perm in self.permissions:
            if not perm.name.startswith(f"{self.slug}."):
                found.append(f"permission {perm.name!r} must be named {self.slug}.<action>")
        return found
