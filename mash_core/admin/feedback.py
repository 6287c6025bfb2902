"""Admin: accessibility feedback sent through the accessibility statement (BITV 2.0 § 7)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from ..db import get_session
from ..identity.audit import audit
from ..identity.permissions import require_permission
from ..models import Feedback
from . import bp
from .common import paginate


@bp.get("/rueckmeldungen")
@require_permission("core.admin")
def feedback():
    show_all = request.args.get("alle") == "1"
    conditions = [] if show_all else [Feedback.handled == False]  # noqa: E712
    page = paginate(Feedback, conditions, [Feedback.handled, Feedback.at.desc(), Feedback.id.desc()])
    return render_template("admin/feedback.html", page=page, show_all=show_all)


@bp.post("/rueckmeldungen/<int:feedback_id>/status")
@require_permission("core.admin")
def feedback_handled(feedback_id: int):
    session = get_session()
    row = session.exec(select(Feedback).where(Feedback.id == feedback_id)).first()
    if row is None:
        abort(404)
    handled = request.form.get("handled", "1") == "1"
    if row.handled != handled:
        row.handled = handled
        audit("feedback.handled" if handled else "feedback.reopened", target=f"feedback:{row.id}")
        session.commit()
        flash(_("Die Rückmeldung ist als erledigt markiert.") if handled else
              _("Die Rückmeldung ist wieder offen."), "success")
    return redirect(url_for("admin.feedback", alle=request.form.get("alle") or None))
