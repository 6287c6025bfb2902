"""argon2id password hashing (argon2-cffi defaults follow RFC 9106's recommendations)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10

#: verified against when the e-mail is unknown, so that timing does not reveal accounts
DUMMY_HASH = _hasher.hash("mash-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str) -> str | None:
    """A reason the password is unacceptable, or None (BSI: length beats composition rules)."""
    if len(password) < MIN_LENGTH:
        return f"too_short:{MIN_LENGTH}"
    if len(password) > 1024:
        return "too_long"
    return None
