"""Demo data for Heidelberg: branding, districts, one user per role, every plugin enabled.

Idempotent: running it again changes nothing that is already there. Demo passwords are random
and written once to ``instance/demo-credentials.txt`` (mode 0600), never to a log or page.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from typing import Iterator

from flask import Flask, g
from sqlmodel import Session, select

from .db import UNSCOPED
from .identity.passwords import hash_password
from .identity.permissions import CORE_PERMISSIONS
from .migrations_runner import upgrade
from .models import District, Municipality, User, UserRole
from .plugins.state import seed_default_grants
from .tenancy import municipality_context

HEIDELBERG = dict(
    slug="heidelberg", name="Stadt Heidelberg", hosts="127.0.0.1,localhost",
    primary_color="#8a1538", accent_color="#1d4f91",
    contact_email="buergeramt@heidelberg.de", contact_phone="06221 58-0",
    address="Marktplatz 10, 69117 Heidelberg",
)
#: Heidelberg's 15 districts (Stadtteile)
DISTRICTS = ["Altstadt", "Bergheim", "Bahnstadt", "Boxberg", "Emmertsgrund", "Handschuhsheim",
             "Kirchheim", "Neuenheim", "Pfaffengrund", "Rohrbach", "Schlierbach", "Südstadt",
             "Weststadt", "Wieblingen", "Ziegelhausen"]
DEMO_USERS = [("admin@heidelberg.example", "Demo Admin", ["admin", "staff"]),
              ("staff@heidelberg.example", "Demo Mitarbeiterin", ["staff"]),
              ("buerger@heidelberg.example", "Demo Bürger", ["citizen"])]


def load(app: Flask) -> Iterator[str]:
    mash = app.extensions["mash"]
    upgrade(mash)
    with app.app_context():
        from .db import get_session
        session: Session = get_session()
        municipality = session.exec(select(Municipality).where(Municipality.is_default == True),  # noqa: E712
                                    execution_options=UNSCOPED).first()
        if municipality is None:
            municipality = Municipality(is_default=True, **HEIDELBERG)
            session.add(municipality)
            session.commit()
            yield f"created municipality {municipality.slug}"
        g.municipality = municipality
        g.user = None
        with municipality_context(municipality.id):
            yield from _load_into(app, session, municipality)


def _load_into(app, session: Session, municipality: Municipality) -> Iterator[str]:
    mash = app.extensions["mash"]
    seed_default_grants(session, CORE_PERMISSIONS)
    have = set(session.exec(select(District.name)).all())
    for name in DISTRICTS:
        if name not in have:
            session.add(District(name=name))
    session.commit()
    creds = mash.settings.instance / "demo-credentials.txt"
    lines = []
    for email, name, roles in DEMO_USERS:
        if session.exec(select(User).where(User.email == email)).first():
            continue
        password = secrets.token_urlsafe(12)
        user = User(email=email, name=name, password_hash=hash_password(password),
                    confirmed_at=datetime.now(timezone.utc))
        session.add(user)
        session.flush()
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        lines.append(f"{email}\t{password}\t{','.join(roles)}\n")
    session.commit()
    if lines:
        creds.parent.mkdir(parents=True, exist_ok=True)
        with creds.open("a") as fh:
            fh.writelines(lines)
        creds.chmod(0o600)
        yield f"demo users created; credentials in {creds}"
    enabled = mash.states.enabled(session, municipality)
    for record in sorted(mash.registry.active(), key=lambda r: len(r.manifest.requires)):
        if record.slug not in enabled:
            mash.states.set_enabled(session, municipality, record.slug, True)
            session.refresh(municipality)
            enabled = mash.states.enabled(session, municipality)
            yield f"enabled plugin {record.slug}"
    g.enabled_plugins = enabled
    for slug, _ in mash.registry.call("mash_load_demo", enabled, municipality=municipality):
        pass
    session.commit()
    yield "demo data loaded"
