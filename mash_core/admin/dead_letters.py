"""Admin: messages the worker could not accept (dead letters), with the reason for each."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import ngettext
from sqlalchemy import delete

from ..db import get_session
from ..identity.audit import audit
from ..identity.permissions import require_permission
from ..worker.models import DeadLetter
from . import bp
from .common import paginate


def _scope(prefix: str):
    """Dead letters are not a TenantModel (a message may name no known municipality):
    admins see their municipality's and those that could not be attributed."""
    from flask import g
    conditions = [(DeadLetter.municipality_id == g.municipality.id) | (DeadLetter.municipality_id == None)]  # noqa: E711
    if prefix:
        conditions.append(DeadLetter.topic.startswith(prefix, autoescape=True))
    return conditions


def preview(payload: bytes, limit: int = 300) -> str:
    text = bytes(payload or b"").decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "…"


@bp.get("/abgewiesen")
@require_permission("core.admin")
def dead_letters():
    prefix = request.args.get("thema", "").strip()[:200]
    page = paginate(DeadLetter, _scope(prefix), [DeadLetter.at.desc(), DeadLetter.id.desc()], per_page=50)
    return render_template("admin/dead_letters.html", page=page, prefix=prefix, preview=preview)


@bp.post("/abgewiesen/loeschen")
@require_permission("core.admin")
def dead_letters_purge():
    prefix = request.form.get("thema", "").strip()[:200]
    count = get_session().execute(delete(DeadLetter).where(*_scope(prefix))).rowcount
    audit("dead_letters.purged", target=prefix or "*", count=count)
    get_session().commit()
    flash(ngettext("%(num)d abgewiesene Nachricht gelöscht.", "%(num)d abgewiesene Nachrichten gelöscht.", count), "success")
    return redirect(url_for("admin.dead_letters"))
