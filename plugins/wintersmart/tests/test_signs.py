"""Signs: idempotent commands through the named drivers, expiry job, manual override
suppressing automation, acknowledgements (readback) through the subscription, audit, API
permissions."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from mash_core.api import Received
from wintersmart_support import api_headers, in_municipality, rows, scalar

pytestmark = pytest.mark.mash_plugins("wintersmart")
SEGMENT = {"key": "hd:ernst-walz-bruecke", "name": "Ernst-Walz-Brücke", "is_bridge": True,
           "geometry": [[8.6700, 49.4090], [8.6712, 49.4128]]}


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def setup(mash_app, monkeypatch):
    """A segment with a sign ``ews-1`` (mqtt driver); returns (segment id, sign id, auth header)."""
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_SIGN_DRIVER", "mqtt")
    monkeypatch.setattr("mash_wintersmart.warnings.notify", lambda *a: None)
    auth = api_headers(mash_app)
    client = mash_app.test_client()
    seg = client.post("/api/v1/wintersmart/segments", headers=auth, json=SEGMENT).get_json()["id"]
    r = client.post("/api/v1/wintersmart/signs", headers=auth,
                    json={"key": "ews-1", "name": "Ernst-Walz-Brücke Nord", "lat": 49.4128, "lon": 8.6712,
                          "road_segment_id": seg})
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["command"] is None                     # no warning, nothing shown: stays dark
    return seg, r.get_json()["id"], auth


def warn(app, segment_id, level, at=None, reasons=("RST_LE_TCRIT_MOIST",)):
    from mash_core.api import db_session
    from mash_wintersmart.warnings import update_warning

    with in_municipality(app):
        session = db_session()
        update_warning(session, segment_id, level, list(reasons), at or now())
        session.commit()


def commands(app):
    return rows(app, "SELECT command_id, content, text, status, origin, driver, valid_until, acked_at "
                     "FROM wintersmart_sign_command ORDER BY id")


def outbox(app):
    return [(r[0], json.loads(r[1])) for r in rows(app, "SELECT topic, payload FROM core_outbox "
                                                         "WHERE topic LIKE '%/signs/%' ORDER BY id")]


def test_drivers_are_named_entry_points():
    from mash_wintersmart.sign_drivers import LogSignDriver, MqttSignDriver, get_driver
    assert isinstance(get_driver("log"), LogSignDriver) and isinstance(get_driver("mqtt"), MqttSignDriver)
    assert get_driver("mqtt").supports_readback and not get_driver("log").supports_readback


def test_a_warning_switches_the_sign_once_via_mqtt_outbox(mash_app, setup):
    seg, sign, _ = setup
    warn(mash_app, seg, 2)
    got = commands(mash_app)
    assert len(got) == 1
    cid, content, text, status, origin, driver, valid_until, _ = got[0]
    assert (content, text, status, driver) == ("VZ101-51", "Glätte", "pending", "mqtt")
    assert origin.startswith("auto:warning:")
    topic, payload = outbox(mash_app)[0]
    assert topic == "mash/heidelberg/wintersmart/signs/ews-1/set"
    assert payload["command_id"] == cid and payload["content"] == "VZ101-51" and payload["priority"] == 50
    assert 3500 <= payload["duration_s"] <= 3600                  # expires on its own (60 min default)
    # reconciling again (job, same level again): idempotent, nothing new sent
    from mash_wintersmart.signs import expire
    with in_municipality(mash_app):
        expire()
    warn(mash_app, seg, 2, reasons=("FROST_RST_LE_TF",))
    assert len(commands(mash_app)) == 1 and len(outbox(mash_app)) == 1
    # audited
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = 'wintersmart.sign_command'") == 1
    # warning over: the sign is blanked, the old command superseded
    warn(mash_app, seg, 0)
    got = commands(mash_app)
    assert [(c[1], c[3]) for c in got] == [("VZ101-51", "superseded"), ("blank", "pending")]


def test_command_ids_are_stable_per_sign_and_state(mash_app, setup):
    from mash_core.api import db_session
    from mash_wintersmart.signs import command_id, reconcile
    from mash_wintersmart.warning_models import Sign

    seg, sign_id, _ = setup
    warn(mash_app, seg, 2)
    with in_municipality(mash_app):
        session = db_session()
        sign = session.get(Sign, sign_id)
        assert reconcile(session, sign, {"sign_driver": "mqtt"}) is None
        key = session.exec(__import__("sqlmodel").select(__import__("mash_wintersmart.warning_models",
                                                                   fromlist=["SignCommand"]).SignCommand)).one()
        assert command_id(sign, key.state_key, 0) == key.command_id
        assert command_id(sign, key.state_key, 1) != key.command_id


def test_the_expiry_job_expires_and_renews(mash_app, setup):
    from mash_wintersmart.signs import expire

    seg, sign, _ = setup
    warn(mash_app, seg, 3)
    with in_municipality(mash_app):
        counts = expire(now=now() + timedelta(minutes=55))      # ends within 10 min: renewed
    assert counts["sent"] == 1
    got = commands(mash_app)
    assert [c[3] for c in got] == ["superseded", "pending"] and got[0][0] != got[1][0]
    with in_municipality(mash_app):
        counts = expire(now=now() + timedelta(hours=3))         # the job was down: expired, then resent
    assert counts["expired"] == 1 and counts["sent"] == 1
    assert [c[3] for c in commands(mash_app)] == ["superseded", "expired", "pending"]
    assert len({c[0] for c in commands(mash_app)}) == 3
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = 'wintersmart.sign_command_expired'") == 1
    # without a warning an expired command is not renewed
    warn(mash_app, seg, 0)
    with in_municipality(mash_app):
        counts = expire(now=now() + timedelta(hours=6))
    assert counts["sent"] == 0 and commands(mash_app)[-1][3] == "expired"


def test_a_manual_override_suppresses_automatic_commands_until_it_ends(mash_app, setup):
    seg, sign, auth = setup
    client = mash_app.test_client()
    until = (now() + timedelta(hours=2)).isoformat()
    r = client.put(f"/api/v1/wintersmart/signs/{sign}/override", headers=auth,
                   json={"content": "blank", "text": "", "until": until, "reason": "Baustelle"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["override"]["content"] == "blank" and body["command"]["origin"] == "manual:operator@example.org"
    assert body["command"]["status"] == "pending"
    assert outbox(mash_app)[-1][1]["priority"] == 100
    warn(mash_app, seg, 2)                                     # automation is suppressed
    assert [c[4].split(":")[0] for c in commands(mash_app)] == ["manual"]
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = "
                            "'wintersmart.sign_command_suppressed'") == 1
    # the override ends on its own: the job hands back to automation, which shows the warning
    from mash_wintersmart.signs import expire
    with in_municipality(mash_app):
        expire(now=now() + timedelta(hours=2, minutes=1))
    got = commands(mash_app)
    assert got[-1][1] == "VZ101-51" and got[-1][4].startswith("auto:warning:")
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = 'wintersmart.sign_override_expired'") == 1


def test_clearing_an_override_returns_to_automation(mash_app, setup):
    seg, sign, auth = setup
    client = mash_app.test_client()
    warn(mash_app, seg, 2)
    r = client.put(f"/api/v1/wintersmart/signs/{sign}/override", headers=auth,
                   json={"content": "VZ101-51", "text": "Glatteis", "until": (now() + timedelta(hours=1)).isoformat()})
    assert r.get_json()["showing"] == {"content": "VZ101-51", "text": "Glatteis"}
    r = client.delete(f"/api/v1/wintersmart/signs/{sign}/override", headers=auth)
    assert r.status_code == 200
    body = r.get_json()
    assert body["override"] is None and body["showing"]["text"] == "Glätte"
    assert body["command"]["origin"].startswith("auto:warning:")
    assert client.delete(f"/api/v1/wintersmart/signs/{sign}/override", headers=auth).status_code == 404
    # validation
    for bad in ({"content": "ICE", "until": (now() + timedelta(hours=1)).isoformat()},
                {"content": "blank", "until": (now() - timedelta(hours=1)).isoformat()},
                {"content": "blank", "until": (now() + timedelta(days=8)).isoformat()}):
        assert client.put(f"/api/v1/wintersmart/signs/{sign}/override", headers=auth, json=bad).status_code == 422


def _ack(app, topic_sign, **data):
    from mash_wintersmart.signs import handle_acks
    with in_municipality(app) as m:
        handle_acks([Received(f"mash/heidelberg/wintersmart/signs/{topic_sign}/ack", data, m.id, time.time())])


def test_acknowledgement_with_readback_through_the_subscription_handler(mash_app, setup):
    seg, sign, auth = setup
    warn(mash_app, seg, 2)
    cid = outbox(mash_app)[0][1]["command_id"]                  # what the controller received
    _ack(mash_app, "ews-1", command_id=cid, status="ok", content="VZ101-51", text="Glätte")
    got = commands(mash_app)[0]
    assert got[3] == "acked" and got[7] is not None
    first_ack = got[7]
    _ack(mash_app, "ews-1", command_id=cid, status="ok", content="VZ101-51")   # redelivered: no change
    assert commands(mash_app)[0][7] == first_ack
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = 'wintersmart.sign_ack'") == 1
    # another sign's topic, an unknown id: rejected and audited, nothing changes
    _ack(mash_app, "other", command_id=cid)
    _ack(mash_app, "ews-1", command_id="no-such-command")
    assert scalar(mash_app, "SELECT count(*) FROM core_audit WHERE action = 'wintersmart.sign_ack_rejected'") == 2
    # a readback that differs marks the command failed
    warn(mash_app, seg, 3, reasons=("ICE_FILM",))
    cid3 = outbox(mash_app)[-1][1]["command_id"]
    _ack(mash_app, "ews-1", command_id=cid3, content="blank")
    assert commands(mash_app)[-1][3] == "failed"
    listed = mash_app.test_client().get("/api/v1/wintersmart/signs", headers=auth).get_json()
    assert listed[0]["key"] == "ews-1" and listed[0]["command"]["error"] == "READBACK_MISMATCH"


def test_the_ack_subscription_validates_payloads():
    from mash_wintersmart.plugin import mash_register_subscriptions
    sub = next(s for s in mash_register_subscriptions() if s.id == "sign_ack")
    assert sub.topic == "signs/+/ack"
    schema = sub.schema()
    assert schema.load({"command_id": "x", "extra": 1}) == {"command_id": "x", "status": "ok", "content": None,
                                                           "text": None, "error": None, "t": None}
    import marshmallow as ma
    with pytest.raises(ma.ValidationError):
        schema.load({"status": "ok"})
    with pytest.raises(ma.ValidationError):
        schema.load({"command_id": "x", "status": "maybe"})


def test_log_driver_needs_no_broker(mash_app, setup, monkeypatch):
    seg, sign, _ = setup
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_SIGN_DRIVER", "log")
    warn(mash_app, seg, 1, reasons=("NOWCAST_NEAR_TCRIT",))
    got = commands(mash_app)[-1]
    assert (got[1], got[2], got[3], got[5]) == ("VZ101-51", "Glättegefahr", "sent", "log")
    assert outbox(mash_app) == []


def test_sign_api_needs_the_operate_permission(mash_app, setup):
    seg, sign, _ = setup
    client = mash_app.test_client()
    assert client.get("/api/v1/wintersmart/signs").status_code == 401
    citizen = api_headers(mash_app, scopes=(), roles=("citizen",), email="buerger@example.org")
    assert client.get("/api/v1/wintersmart/signs", headers=citizen).status_code == 403
    assert client.put(f"/api/v1/wintersmart/signs/{sign}/override", headers=citizen,
                      json={"content": "blank", "until": (now() + timedelta(hours=1)).isoformat()}).status_code == 403
    assert client.delete(f"/api/v1/wintersmart/signs/{sign}/override", headers=citizen).status_code == 403
    assert client.post("/api/v1/wintersmart/signs", headers=citizen, json={"key": "x"}).status_code == 403
