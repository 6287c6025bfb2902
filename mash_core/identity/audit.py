"""The audit log: every admin action, with actor, target and non-secret details."""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context

from ..db import get_session
from ..models import AuditEntry


def audit(action: str, target: str = "", **details: Any) -> None:
    """Record ``action`` in the current municipality; committed with the caller's transaction."""
    user = g.get("user") if has_request_context() else None
    get_session().add(AuditEntry(
        action=action, target=target, details=details or None,
        actor_id=user.id if user else None, actor=user.email if user else "cli",
    ))
