"""Signed-in state in Flask's signed session cookie, bound to user, municipality and epoch."""

from __future__ import annotations

from flask import g, session
from sqlmodel import select

from ..db import get_session
from ..models import User


def login_user(user: User) -> None:
    session.clear()  # a fresh session on login prevents session fixation
    session["uid"] = user.id
    session["mid"] = user.municipality_id
    session["epoch"] = user.session_epoch
    session["lang"] = user.locale
    session.permanent = True
    g.user = user


def logout_user() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.user = None


def load_user(municipality_id: int) -> User | None:
    """The signed-in user of this request; a cookie of another municipality signs nobody in."""
    uid = session.get("uid")
    if uid is None or session.get("mid") != municipality_id:
        return None
    user = get_session().exec(select(User).where(User.id == uid)).first()
    if user is None or not user.active or user.session_epoch != session.get("epoch"):
        session.pop("uid", None)
        return None
    return user
