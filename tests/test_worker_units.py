"""Unit tests of the worker's building blocks: the MQTT fast path against paho's own decoder,
acknowledgements in receipt order, the broker URL, ``insert_ignore``, the SQLite lease."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
import threading
import struct
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "worker_plugin"))

from wtest_support import make_wtest_app, scalar  # noqa: E402


def publish_packet(topic: bytes, payload: bytes, qos: int, mid: int, v5: bool, properties: bytes = b"") -> dict:
    """paho's ``_in_packet`` after reading one PUBLISH (fixed header byte + the rest)."""
    body = struct.pack("!H", len(topic)) + topic
    if qos:
        body += struct.pack("!H", mid)
    if v5:
        body += bytes([len(properties)]) + properties
    return {"command": 0x30 | (qos << 1), "packet": body + payload}


def with_connection(protocol: int, check) -> None:
    import aiomqtt

    from mash_core.worker.mqtt import _Connection

    async def main():
        version = aiomqtt.ProtocolVersion.V5 if protocol == 5 else aiomqtt.ProtocolVersion.V311
        client = aiomqtt.Client(hostname="127.0.0.1", port=1, protocol=version)
        check(_Connection(client, protocol))

    # a thread of its own: Playwright's sync API (e2e tests, same session) keeps a loop running
    # in the main thread, where asyncio.run() refuses to start
    failure = []

    def run():
        try:
            asyncio.run(main())
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]


@pytest.mark.parametrize("protocol", [4, 5])
def test_the_fast_publish_path_decodes_what_paho_decodes(protocol):
    v5 = protocol == 5

    def check(conn):
        cases = [(b"mash/a/wtest/obs/s1", b'{"x": 1}', 1, 17), (b"mash/a/wtest/obs/s2", b"", 0, 0),
                 (b"t", b"\x00\x01binary", 1, 65535)]
        for topic, payload, qos, mid in cases:
            conn.paho._in_packet.update(publish_packet(topic, payload, qos, mid, v5))
            conn.paho._handle_publish()
        assert conn.inbox == [(t, p, m) for t, p, _, m in cases]
        if v5:  # with properties (here: content type) paho's own decoder runs, same result
            conn.inbox.clear()
            props = bytes([3]) + struct.pack("!H", 4) + b"json"
            conn.paho._in_packet.update(publish_packet(b"mash/a/wtest/obs/s3", b"{}", 1, 5, True, props))
            conn.paho._handle_publish()
            assert conn.inbox == [(b"mash/a/wtest/obs/s3", b"{}", 5)]

    with_connection(protocol, check)


def test_acknowledgements_leave_in_receipt_order_in_one_write():
    sent = []

    def check(conn):
        conn.paho._sock = object()  # "connected"
        conn.paho._packet_queue = lambda command, packet, mid, qos, info=None: sent.append((command, packet))
        conn.track([(b"t", b"", mid) for mid in (5, 6, 7, 0, 8)])
        conn.ack([6, 7])          # 5 is not committed yet: nothing may leave
        assert sent == []
        conn.ack([5, 0])          # now 5, 6 and 7, in receipt order, as one packet
        assert sent == [(0x40, b"\x40\x02\x00\x05\x40\x02\x00\x06\x40\x02\x00\x07")]
        conn.closed = True
        conn.ack([8])             # never on a closed connection: the broker redelivers instead
        assert len(sent) == 1
        conn.paho._sock = None

    with_connection(5, check)


def test_broker_url():
    from mash_core.worker.mqtt import BrokerConfig

    b = BrokerConfig.from_url("mqtts://user:s%40cret@broker.example?protocol=5&client_id=w1")
    assert (b.host, b.port, b.tls, b.protocol, b.username, b.password, b.client_id) == \
        ("broker.example", 8883, True, 5, "user", "s@cret", "w1")
    assert "cret" not in b.redacted() and "user" not in b.redacted()
    assert BrokerConfig.from_url("mqtt://127.0.0.1").protocol == 4
    for bad in ("http://x", "mqtt://x?protocol=3"):
        with pytest.raises(ValueError):
            BrokerConfig.from_url(bad)


def test_insert_ignore_skips_duplicates_and_stamps_the_municipality(mash_app_factory, monkeypatch):
    from mash_core.api import db_session, insert_ignore, municipality_context
    from mash_core.db import TenantViolation
    from mash_wtest.models import Obs

    app = make_wtest_app(mash_app_factory, monkeypatch, municipalities=("heidelberg", "ulm"))
    ids = {slug: scalar(app, "SELECT id FROM core_municipality WHERE slug = :s", s=slug) for slug in ("heidelberg", "ulm")}

    def row(seq, value=1.0):
        return dict(sensor="s", seq=seq, value=value, sent_at=None, received_at=time.time(), stored_at=time.time())

    with app.app_context():
        with municipality_context(ids["heidelberg"]):
            assert insert_ignore(Obs, [row(1), row(2)]) == 2
            db_session().commit()
            # a redelivered batch: the known rows are skipped, the new one is stored
            insert_ignore(Obs, [row(1, 5.0), row(2, 5.0), row(3)])
            db_session().commit()
        with municipality_context(ids["ulm"]):  # the same key in another municipality is another row
            insert_ignore(Obs, [row(1)])
            db_session().commit()
        with pytest.raises(TenantViolation):
            insert_ignore(Obs, [row(9)])
    assert scalar(app, "SELECT count(*) FROM wtest_obs WHERE municipality_id = :m", m=ids["heidelberg"]) == 3
    assert scalar(app, "SELECT sum(value) FROM wtest_obs WHERE municipality_id = :m", m=ids["heidelberg"]) == 3.0
    assert scalar(app, "SELECT count(*) FROM wtest_obs WHERE municipality_id = :m", m=ids["ulm"]) == 1


def test_the_sqlite_lease_has_one_holder_and_expires(tmp_path):
    from sqlalchemy import text

    from mash_core.db import make_engine
    from mash_core.worker.leader import Leadership

    engine = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE core_worker_lease (name VARCHAR(50) PRIMARY KEY, holder VARCHAR(200) NOT NULL, "
                          "expires_at FLOAT NOT NULL)"))
    a = Leadership(engine, holder="a", lease_seconds=0.5)
    b = Leadership(engine, holder="b", lease_seconds=0.5)
    assert a.try_acquire() and not b.try_acquire()
    assert a.renew() and not b.renew()
    time.sleep(0.6)  # a stopped renewing
    assert b.try_acquire()
    assert not a.renew(), "a lost the lease and must notice"
    assert Leadership(engine, holder="b", lease_seconds=0.5).try_acquire(), "a restarted b takes its own lease at once"
    b.release()
    assert a.try_acquire()


def test_insert_ignore_stores_json_columns(mash_app_factory):
    # PostgreSQL's one-statement path cannot carry dicts in array parameters: it must fall back
    from mash_core.api import db_session, insert_ignore, municipality_context, select
    from mash_core.models import AuditEntry

    app = mash_app_factory(plugins=())
    with app.app_context(), municipality_context(1):
        assert insert_ignore(AuditEntry, [{"action": "test.json", "details": {"a": [1, 2]}, "actor": "t",
                                           "target": "", "at": datetime.now(timezone.utc)}]) == 1
        db_session().commit()
        row = db_session().exec(select(AuditEntry).where(AuditEntry.action == "test.json")).one()
    assert row.details == {"a": [1, 2]}
