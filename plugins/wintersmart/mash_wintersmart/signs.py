"""Sign automation: the state each sign should show, idempotent commands through the
configured driver, expiry, manual override, acknowledgements.

* **Desired state** of a sign: an active manual override wins (automation is suppressed, brief
  §8.3); else the warning of the sign's segment when its level reaches the sign's ``min_level``
  (pictogram ``VZ101-51`` "Schnee- oder Eisglätte" with the level text); else blank — sent only
  when the sign still shows an automatic command.
* **Idempotent**: ``state_key`` = (sign, content, text, origin); the command id is a UUID5 of the
  state key and how many commands of that state went before. Reconciling again while the state
  holds finds the current command and sends nothing; a device de-duplicates redelivered
  messages by the id.
* **Expiry**: every command carries ``duration_s``/``valid_until`` (setting
  ``sign_command_min``; overrides: their until time). Job ``signs`` (every minute) expires
  commands and overrides that ran out and renews an automatic command shortly before it ends.
* **Audit**: every command, suppression, acknowledgement, expiry and override is audited.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Optional

import marshmallow as ma
import sqlalchemy as sa

from mash_core.api import audit, current_municipality_id, db_session, get_settings, select

from .sign_drivers import get_driver
from .warning_models import Sign, SignCommand, SignOverride, Warning

SLUG = "wintersmart"
PICTOGRAM = "VZ101-51"          # StVO Zeichen 101-51 "Schnee- oder Eisglätte" (brief §8.1)
BLANK = "blank"
CONTENTS = (PICTOGRAM, BLANK)
LIVE = ("pending", "sent", "acked")
PRIORITY_MANUAL, PRIORITY_AUTO = 100, 50
NAMESPACE = uuid.UUID("6f0b0e53-4d0c-5b3e-9d1a-3b7c0a2f9e11")
SIGN_TEXT = {1: "Glättegefahr", 2: "Glätte", 3: "Glatteis"}   # sign panel text, as on the road (German)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def aware(t: Optional[datetime]) -> Optional[datetime]:
    return t if t is None or t.tzinfo is not None else t.replace(tzinfo=timezone.utc)


def active_override(session, sign_id: int, now: Optional[datetime] = None) -> Optional[SignOverride]:
    now = now or utcnow()
    rows = session.exec(select(SignOverride).where(SignOverride.sign_id == sign_id,
                                                   SignOverride.cleared_at == None)  # noqa: E711
                        .order_by(SignOverride.id.desc())).all()
    return next((o for o in rows if aware(o.until) > now), None)


def current_command(session, sign_id: int) -> Optional[SignCommand]:
    return session.exec(select(SignCommand).where(SignCommand.sign_id == sign_id, SignCommand.status.in_(LIVE))
                        .order_by(SignCommand.id.desc()).limit(1)).first()


def desired_state(session, sign: Sign, now: datetime, settings: dict) -> Optional[dict]:
    """What the sign should show now, or None when automation has nothing to say (no warning
    and nothing automatic on the sign)."""
    override = active_override(session, sign.id, now)
    if override is not None:
        return {"content": override.content, "text": override.text, "level": 0, "priority": PRIORITY_MANUAL,
                "origin": f"manual:{override.created_by}", "valid_until": aware(override.until),
                "key": f"override:{override.id}"}
    warning = None
    if sign.road_segment_id is not None:
        warning = session.exec(select(Warning).where(Warning.road_segment_id == sign.road_segment_id,
                                                     Warning.valid_until == None)  # noqa: E711
                               .order_by(Warning.id.desc()).limit(1)).first()
    duration = timedelta(minutes=int(settings.get("sign_command_min", 60)))
    if warning is not None and warning.level >= sign.min_level:
        return {"content": PICTOGRAM, "text": SIGN_TEXT.get(warning.level, SIGN_TEXT[3]), "level": warning.level,
                "priority": PRIORITY_AUTO, "origin": f"auto:warning:{warning.id}", "valid_until": now + duration,
                "key": f"warning:{warning.id}"}
    return {"content": BLANK, "text": "", "level": 0, "priority": PRIORITY_AUTO, "origin": "auto:clear",
            "valid_until": now + duration, "key": "clear"}


def command_id(sign: Sign, state_key: str, seq: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{current_municipality_id()}/{sign.id}/{state_key}/{seq}"))


def reconcile(session, sign: Sign, settings: dict, now: Optional[datetime] = None, trigger: str = "job",
              renew: bool = False) -> Optional[SignCommand]:
    """Bring ``sign`` to its desired state; returns the command sent (None: nothing to do)."""
    now = now or utcnow()
    want = desired_state(session, sign, now, settings)
    current = current_command(session, sign.id)
    state_key = f"{sign.key}|{want['content']}|{want['text']}|{want['key']}"
    if current is not None and current.state_key == state_key and not renew:
        return None
    if want["key"] == "clear" and (current is None or current.content == BLANK):
        return None                                   # nothing automatic on the sign: leave it dark
    seq = session.exec(select(sa.func.count()).select_from(SignCommand)
                       .where(SignCommand.sign_id == sign.id, SignCommand.state_key == state_key)).one()
    if current is not None:
        current.status = "superseded"
        session.add(current)
    driver_name = settings.get("sign_driver") or "log"
    valid_until = want["valid_until"]
    cmd = SignCommand(command_id=command_id(sign, state_key, seq), state_key=state_key, sign_id=sign.id,
                      content=want["content"], text=want["text"], level=want["level"], priority=want["priority"],
                      driver=driver_name, issued_at=now, valid_until=valid_until, status="pending",
                      origin=want["origin"])
    payload = {"command_id": cmd.command_id, "sign": sign.key, "content": cmd.content, "text": cmd.text,
               "level": cmd.level, "priority": cmd.priority,
               "duration_s": max(0, int((valid_until - now).total_seconds())),
               "valid_until": valid_until.isoformat(), "issued_at": now.isoformat(), "origin": cmd.origin}
    try:
        cmd.status = get_driver(driver_name).send(payload)
    except Exception as exc:
        cmd.status, cmd.error = "failed", f"{type(exc).__name__}: {exc}"[:200]
    session.add(cmd)
    session.flush()
    audit("wintersmart.sign_command", f"sign:{sign.key}", command_id=cmd.command_id, content=cmd.content,
          text=cmd.text, origin=cmd.origin, driver=driver_name, status=cmd.status, trigger=trigger,
          valid_until=valid_until.isoformat(), renewal=renew)
    return cmd


def reconcile_segment(session, segment_id: int, settings: dict, trigger: str = "warning",
                      now: Optional[datetime] = None) -> list[SignCommand]:
    """Let the signs of a segment follow its warning; an override suppresses (and audits)."""
    now = now or utcnow()
    sent = []
    for sign in session.exec(select(Sign).where(Sign.road_segment_id == segment_id).order_by(Sign.id)).all():
        override = active_override(session, sign.id, now)
        if override is not None:
            audit("wintersmart.sign_command_suppressed", f"sign:{sign.key}", override_id=override.id,
                  until=aware(override.until).isoformat(), trigger=trigger)
            continue
        cmd = reconcile(session, sign, settings, now, trigger=trigger)
        if cmd is not None:
            sent.append(cmd)
    return sent


def set_override(session, sign: Sign, content: str, text: str, until: datetime, user: str, reason: str = "",
                 settings: Optional[dict] = None) -> SignOverride:
    now = utcnow()
    for old in session.exec(select(SignOverride).where(SignOverride.sign_id == sign.id,
                                                       SignOverride.cleared_at == None)).all():  # noqa: E711
        old.cleared_at, old.cleared_by = now, user
        session.add(old)
    override = SignOverride(sign_id=sign.id, content=content, text=text, until=until, reason=reason,
                            created_by=user, created_at=now)
    session.add(override)
    session.flush()
    audit("wintersmart.sign_override_set", f"sign:{sign.key}", override_id=override.id, content=content, text=text,
          until=aware(until).isoformat(), reason=reason)
    reconcile(session, sign, settings if settings is not None else get_settings(SLUG), now, trigger="override")
    return override


def clear_override(session, sign: Sign, user: str, settings: Optional[dict] = None, now: Optional[datetime] = None,
                   expired: bool = False) -> Optional[SignOverride]:
    now = now or utcnow()
    override = session.exec(select(SignOverride).where(SignOverride.sign_id == sign.id,
                                                       SignOverride.cleared_at == None)  # noqa: E711
                            .order_by(SignOverride.id.desc())).first()
    if override is None:
        return None
    override.cleared_at, override.cleared_by = now, user
    session.add(override)
    session.flush()
    audit("wintersmart.sign_override_expired" if expired else "wintersmart.sign_override_cleared",
          f"sign:{sign.key}", override_id=override.id)
    settings = settings if settings is not None else get_settings(SLUG)
    # automation resumes: the warning's command, or blank when the manual content was not blank
    reconcile(session, sign, settings, now, trigger="override_end")
    return override


def expire(now: Optional[datetime] = None) -> dict:
    """Job ``signs``: expire commands and overrides that ran out, then renew automatic commands
    that end within ``renew`` (a sixth of their duration, at most 10 minutes) and bring every
    sign to its desired state. Commits."""
    session = db_session()
    settings = get_settings(SLUG)
    now = now or utcnow()
    counts = {"expired": 0, "overrides_ended": 0, "sent": 0}
    for cmd in session.exec(select(SignCommand).where(SignCommand.status.in_(LIVE))).all():
        if aware(cmd.valid_until) <= now:
            cmd.status = "expired"
            session.add(cmd)
            audit("wintersmart.sign_command_expired", f"sign_command:{cmd.command_id}", sign_id=cmd.sign_id,
                  content=cmd.content, origin=cmd.origin)
            counts["expired"] += 1
    session.flush()
    signs = {s.id: s for s in session.exec(select(Sign)).all()}
    for override in session.exec(select(SignOverride).where(SignOverride.cleared_at == None)).all():  # noqa: E711
        if aware(override.until) <= now and override.sign_id in signs:
            override.cleared_at, override.cleared_by = aware(override.until), "expired"
            session.add(override)
            audit("wintersmart.sign_override_expired", f"sign:{signs[override.sign_id].key}",
                  override_id=override.id)
            counts["overrides_ended"] += 1
    session.flush()
    renew_margin = min(timedelta(minutes=10), timedelta(minutes=int(settings.get("sign_command_min", 60))) / 6)
    for sign in signs.values():
        current = current_command(session, sign.id)
        renew = (current is not None and current.origin.startswith("auto:") and current.content != BLANK
                 and aware(current.valid_until) - now <= renew_margin)
        if reconcile(session, sign, settings, now, trigger="job", renew=renew) is not None:
            counts["sent"] += 1
    session.commit()
    return counts


# -- acknowledgements (readback) ----------------------------------------------------------------
class SignAckSchema(ma.Schema):
    """``mash/<m>/wintersmart/signs/<sign>/ack``: ``{"command_id": "…", "status": "ok"|"error",
    "content": "VZ101-51", "text": "Glätte", "error": "…", "t": "…"}`` — ``content``/``text``
    are the readback of what the sign shows now (optional)."""

    class Meta:
        unknown = ma.EXCLUDE

    command_id = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))
    status = ma.fields.String(load_default="ok", validate=ma.validate.OneOf(("ok", "error")))
    content = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))
    text = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    error = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=200))
    t = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=40))


def handle_acks(batch) -> None:
    """Subscription ``signs/+/ack``: the controller confirms a command by its id and reads back
    what it shows. ``status`` "ok" with matching content → acked; "error" or a readback that
    differs → failed. Idempotent: an ack already applied changes nothing. Unknown ids and acks
    from another sign are ignored (logged in the audit as rejected)."""
    session = db_session()
    now = utcnow()
    for msg in batch:
        sign_key = msg.topic.split("/")[-2]
        data = msg.data
        cmd = session.exec(select(SignCommand).where(SignCommand.command_id == data["command_id"])).first()
        sign = session.exec(select(Sign).where(Sign.id == cmd.sign_id)).first() if cmd is not None else None
        if cmd is None or sign is None or sign.key != sign_key:
            audit("wintersmart.sign_ack_rejected", f"sign:{sign_key}", command_id=data["command_id"],
                  reason="unknown command" if cmd is None else "command of another sign")
            continue
        readback = data.get("content")
        ok = data.get("status", "ok") == "ok" and (readback is None or readback == cmd.content) and \
            (data.get("text") is None or data.get("text") == cmd.text)
        if cmd.acked_at is not None or cmd.status == "failed":
            continue                                              # redelivered: already applied
        if ok:
            cmd.acked_at = now
            if cmd.status in ("pending", "sent"):
                cmd.status = "acked"
        else:
            cmd.status = "failed"
            cmd.error = (data.get("error") or ("READBACK_MISMATCH" if data.get("status", "ok") == "ok"
                                               else "DEVICE_ERROR"))[:200]
        session.add(cmd)
        audit("wintersmart.sign_ack", f"sign:{sign.key}", command_id=cmd.command_id, status=cmd.status,
              readback=readback, error=cmd.error)
    session.commit()


def sign_state(session, sign: Sign, now: Optional[datetime] = None) -> dict:
    """A sign with what it shows (its current command) and its override (operators' API)."""
    now = now or utcnow()
    live = current_command(session, sign.id)
    cmd = session.exec(select(SignCommand).where(SignCommand.sign_id == sign.id)
                       .order_by(SignCommand.id.desc()).limit(1)).first()
    override = active_override(session, sign.id, now)
    return {
        "id": sign.id, "key": sign.key, "name": sign.name, "lat": sign.lat, "lon": sign.lon,
        "road_segment_id": sign.road_segment_id, "min_level": sign.min_level,
        # what the sign should show now (its live command; dark without one)
        "showing": {"content": live.content, "text": live.text} if live is not None else {"content": BLANK,
                                                                                           "text": ""},
        # the latest command, whatever its status (failed and expired ones too)
        "command": None if cmd is None else {
            "command_id": cmd.command_id, "status": cmd.status, "origin": cmd.origin, "driver": cmd.driver,
            "issued_at": aware(cmd.issued_at).isoformat(), "valid_until": aware(cmd.valid_until).isoformat(),
            "acked_at": aware(cmd.acked_at).isoformat() if cmd.acked_at else None, "error": cmd.error},
        "override": None if override is None else {
            "id": override.id, "content": override.content, "text": override.text,
            "until": aware(override.until).isoformat(), "reason": override.reason, "by": override.created_by},
    }


# -- shared by the operator dashboard (form) and the operator API (JSON) ------------------------
class OverrideFields(ma.Schema):
    """What an operator sets on a sign; the form adds a duration, the API an end time."""

    content = ma.fields.String(required=True, validate=ma.validate.OneOf(CONTENTS))
    text = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=300))


def actor() -> str:
    """Who acts, for the audit trail: the signed-in operator, or a device token."""
    from mash_core.api import current_user

    user = current_user()
    return user.email if user is not None else "token"


def sign_or_404(session, sign_id: int) -> Sign:
    import flask

    sign = session.exec(select(Sign).where(Sign.id == sign_id)).first()
    if sign is None:
        flask.abort(404)
    return sign
