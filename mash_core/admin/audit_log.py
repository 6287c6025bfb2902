"""Admin: the audit log of the current municipality, newest first, filterable by action prefix."""

from __future__ import annotations

import re

from flask import render_template, request

from ..identity.permissions import require_permission
from ..models import AuditEntry
from . import bp
from .common import paginate

#: details are written without secrets; this is a second line of defence for careless callers
SECRETISH = re.compile(r"pass|secret|hash|plain|credential|api_key|private", re.I)


def safe_details(details) -> list[tuple[str, str]]:
    if not isinstance(details, dict):
        return []
    out = []
    for key, value in sorted(details.items()):
        if SECRETISH.search(str(key)):
            value = "•••"
        elif isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        elif isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        out.append((str(key), "–" if value is None else str(value)))
    return out


@bp.get("/protokoll")
@require_permission("core.admin")
def audit_log():
    prefix = request.args.get("aktion", "").strip()[:100]
    conditions = [AuditEntry.action.startswith(prefix, autoescape=True)] if prefix else []
    page = paginate(AuditEntry, conditions, [AuditEntry.at.desc(), AuditEntry.id.desc()], per_page=50)
    return render_template("admin/audit_log.html", page=page, prefix=prefix, details=safe_details)
