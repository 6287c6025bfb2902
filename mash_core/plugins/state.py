"""Which plugins are enabled in which municipality — stored in the database, cached per process.

Each request compares the municipality's ``state_version`` (loaded anyway for branding) with the
cached one, so a change made by any worker is seen by every worker on its next request.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone

from sqlmodel import Session, select

from ..models import Municipality, PluginState, RoleGrant
from ..tenancy import municipality_context
from .registry import PluginRegistry


class PluginStateError(ValueError):
    """An enable/disable request that the plugin contract forbids; the message says why."""


class PluginStates:
    def __init__(self, registry: PluginRegistry):
        self.registry = registry
        self._cache: dict[int, tuple[int, frozenset[str]]] = {}
        self._lock = threading.Lock()

    def cached(self, municipality: Municipality) -> frozenset[str] | None:
        """The enabled set if this process already knows it for the municipality's version."""
        cached = self._cache.get(municipality.id)
        return cached[1] if cached and cached[0] == municipality.state_version else None

    def enabled(self, session: Session, municipality: Municipality) -> frozenset[str]:
        hit = self.cached(municipality)
        if hit is not None:
            return hit
        with municipality_context(municipality.id):
            rows = session.exec(select(PluginState.slug).where(PluginState.enabled == True)).all()  # noqa: E712
        active = {r.slug for r in self.registry.active()}
        enabled = {slug for slug in rows if slug in active}
        # a plugin whose required plugin is off is off too
        changed = True
        while changed:
            changed = False
            for slug in list(enabled):
                if any(req not in enabled for req in self.registry.records[slug].manifest.requires):
                    enabled.discard(slug)
                    changed = True
        result = frozenset(enabled)
        with self._lock:
            self._cache[municipality.id] = (municipality.state_version, result)
        return result

    def set_enabled(self, session: Session, municipality: Municipality, slug: str, enabled: bool,
                    pending_migrations: set[str] | None = None) -> None:
        """Enable or disable ``slug`` in ``municipality``; checks the contract, commits."""
        record = self.registry.get(slug)
        if record is None or record.builtin:
            raise PluginStateError(f"unknown plugin {slug!r}")
        current = self.enabled(session, municipality)
        if enabled:
            if record.state != "active":
                raise PluginStateError(f"{slug} cannot be enabled: {record.reason}")
            missing = [r for r in record.manifest.requires if r not in current]
            if missing:
                raise PluginStateError(f"{slug} requires {', '.join(missing)} to be enabled first")
            if pending_migrations and slug in pending_migrations:
                raise PluginStateError(f"{slug} has pending migrations; run `mash db upgrade` first")
        else:
            dependents = [s for s in current if slug in self.registry.records[s].manifest.requires]
            if dependents:
                raise PluginStateError(f"{', '.join(sorted(dependents))} require(s) {slug}; disable them first")
        with municipality_context(municipality.id):
            row = session.exec(select(PluginState).where(PluginState.slug == slug)).first()
            first_time = row is None
            if row is None:
                row = PluginState(slug=slug, enabled=enabled)
                session.add(row)
            row.enabled = enabled
            row.changed_at = datetime.now(timezone.utc)
            if enabled and first_time:
                # only on the first enabling: later, the admin's grants are the truth
                seed_default_grants(session, record.manifest.permissions)
            bump_version(session, municipality)
            session.commit()
        _announce(slug, enabled)

    def forget(self) -> None:
        with self._lock:
            self._cache.clear()


def _announce(slug: str, enabled: bool) -> None:
    """Publish core.plugin_enabled / core.plugin_disabled to the plugins' event handlers."""
    from flask import g, has_app_context

    if not has_app_context() or g.get("municipality") is None:
        return
    from ..worker.events import bus

    before = frozenset(g.get("enabled_plugins") or ())
    g.enabled_plugins = before | {slug}  # the plugin itself hears about its own change
    try:
        bus().publish("core.plugin_enabled" if enabled else "core.plugin_disabled", {"slug": slug})
    finally:
        g.enabled_plugins = before | {slug} if enabled else before - {slug}


def seed_default_grants(session: Session, permissions) -> None:
    """Give the manifest's default roles their permissions, unless already granted."""
    existing = {(g.role, g.permission) for g in session.exec(select(RoleGrant)).all()}
    for perm in permissions:
        for role in perm.default_roles:
            if (role, perm.name) not in existing:
                session.add(RoleGrant(role=role, permission=perm.name))


def bump_version(session: Session, municipality: Municipality) -> None:
    """Tell every worker that this municipality's plugin state, settings or branding changed."""
    from sqlalchemy import update

    session.execute(
        update(Municipality).where(Municipality.id == municipality.id)
        .values(state_version=Municipality.state_version + 1)
    )
