"""Scoped API tokens for devices and apps. Only a SHA-256 of each token is stored.

Tokens look like ``mash_<prefix>_<secret>``; the prefix finds the row, the hash is compared in
constant time. SHA-256 suffices because the secret has 256 bits of entropy (no dictionary).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timezone

from sqlmodel import Session, select

from ..models import ApiToken, User


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, name: str, scopes: list[str], user: User | None = None,
                expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plain token, which is shown once and never again."""
    prefix = secrets.token_hex(6)
    plain = f"mash_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(name=name, prefix=prefix, token_hash=_digest(plain), scopes=" ".join(sorted(set(scopes))),
                   user_id=user.id if user else None, expires_at=expires_at)
    session.add(row)
    return row, plain


def authenticate_token(session: Session, plain: str) -> ApiToken | None:
    parts = plain.split("_")
    if len(parts) < 3 or parts[0] != "mash":
        return None
    row = session.exec(select(ApiToken).where(ApiToken.prefix == parts[1])).first()
    if row is None or row.revoked or not hmac.compare_digest(row.token_hash, _digest(plain)):
        return None
    if row.expires_at is not None and row.expires_at < _now():
        return None
    row.last_used_at = _now()
    return row
