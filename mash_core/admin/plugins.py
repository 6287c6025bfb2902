"""Admin: plugins — state, version, API range, dependencies, hooks, slots, migrations, errors,
enable/disable and the settings form rendered from the plugin's marshmallow schema."""

from __future__ import annotations

import marshmallow as ma
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlmodel import select

from .. import settings as plugin_settings
from ..db import get_session
from ..form_errors import localise
from ..identity.audit import audit
from ..identity.permissions import require_permission
from ..migrations_runner import pending_by_branch
from ..models import PluginError
from ..plugins.state import PluginStateError, bump_version
from . import bp


def plugin_rows():
    """One dict per discovered plugin with everything the admin list and the CLI show."""
    mash = current_app.extensions["mash"]
    session = get_session()
    enabled = mash.states.enabled(session, g.municipality)
    pending = pending_by_branch(mash)
    errors = {e.slug: e for e in session.exec(select(PluginError).order_by(PluginError.at))}
    rows = []
    for slug, record in sorted(mash.registry.records.items()):
        if record.builtin:
            continue
        rows.append(dict(
            slug=slug, record=record, enabled=slug in enabled, pending=pending.get(slug, []),
            last_error=errors[slug] if slug in errors else None,
        ))
    return rows


@bp.get("/")
@require_permission("core.admin")
def index():
    return redirect(url_for("admin.plugins"))


@bp.get("/module")
@require_permission("core.admin")
def plugins():
    return render_template("admin/plugins.html", rows=plugin_rows())


@bp.get("/module/<slug>")
@require_permission("core.admin")
def plugin_detail(slug: str):
    row = next((r for r in plugin_rows() if r["slug"] == slug), None)
    if row is None:
        abort(404)
    record = row["record"]
    values = {}
    if record.manifest and record.manifest.settings:
        values = plugin_settings.resolve(get_session(), slug, record.manifest.settings)
    return render_template("admin/plugin_detail.html", row=row, record=record, values=values,
                           errors={}, sections=_sections(slug))


def _sections(slug: str) -> list:
    """(item, html) of the plugin's ``admin.plugin.sections``; an item that raises is left out."""
    registry = current_app.extensions["mash"].registry
    out = []
    for slug_, items in registry.call("mash_slot_items", {slug}, slot="admin.plugin.sections", request=request):
        for item in items if slug_ == slug else ():
            try:
                out.append((item, Markup(item.render())))
            except Exception as exc:
                registry.record_error(slug, "slot admin.plugin.sections", exc)
    return out


@bp.post("/module/<slug>/status")
@require_permission("core.admin")
def plugin_toggle(slug: str):
    mash = current_app.extensions["mash"]
    enable = request.form.get("enabled") == "1"
    try:
        mash.states.set_enabled(get_session(), g.municipality, slug, enable,
                                pending_migrations=set(pending_by_branch(mash)))
    except PluginStateError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.plugins"))
    audit("plugin.enabled" if enable else "plugin.disabled", target=slug)
    get_session().commit()
    flash(_("Modul %(slug)s ist jetzt %(state)s.", slug=slug,
            state=_("aktiviert") if enable else _("deaktiviert")), "success")
    return redirect(url_for("admin.plugins"))


@bp.post("/module/<slug>/einstellungen")
@require_permission("core.admin")
def plugin_settings_save(slug: str):
    record = current_app.extensions["mash"].registry.get(slug)
    if record is None or not record.manifest or not record.manifest.settings:
        abort(404)
    schema_cls = record.manifest.settings
    session = get_session()
    current = plugin_settings.resolve(session, slug, schema_cls)
    data = {}
    for key, value in current.items():
        if value.source == "locked":
            continue
        if isinstance(value.field, ma.fields.Boolean):
            data[key] = request.form.get(key) == "on"
        elif key in request.form:
            raw = request.form[key].strip()
            if raw == "" and not value.secret and not value.field.required:
                data[key] = None if value.field.allow_none else raw
            else:
                data[key] = raw
    try:
        changed = plugin_settings.save(session, slug, schema_cls, data)
    except ma.ValidationError as exc:
        session.rollback()
        row = next(r for r in plugin_rows() if r["slug"] == slug)
        return render_template("admin/plugin_detail.html", row=row, record=record,
                               values=current, errors=localise(exc.messages), sections=[]), 400
    if changed:
        bump_version(session, g.municipality)
        audit("plugin.settings_changed", target=slug, keys=changed)
    session.commit()
    flash(_("Einstellungen gespeichert."), "success")
    return redirect(url_for("admin.plugin_detail", slug=slug))
