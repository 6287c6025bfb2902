"""MQTT in the worker against a real broker: nothing accepted is lost, nothing invalid is
stored as valid, duplicates are harmless.

Each test starts its own Mosquitto (unlimited queues and in-flight messages, persistence in
the test's folder) on a free port — the system broker's limits (1000 queued, 20 in flight)
would be the thing under test otherwise — and the ``wtest`` plugin's subscription
``mash/<municipality>/wtest/obs/<sensor>`` (idempotent: unique sensor + seq). The database is
SQLite or, with ``MASH_TEST_DATABASE_URL``, PostgreSQL.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "worker_plugin"))

from wtest_support import (BackgroundPublisher, Mosquitto, Publisher, WorkerProcess, database_url,  # noqa: E402
                           make_wtest_app, obs_message, rows, running_worker, scalar, set_enabled,
                           wait_connected, wait_for, worker_env)

needs_mosquitto = pytest.mark.skipif(not Mosquitto.available(), reason="mosquitto is not installed")


@pytest.fixture
def mosquitto(tmp_path):
    broker = Mosquitto(tmp_path / "mosquitto").start()
    yield broker
    broker.stop()


def stored(app) -> int:
    return scalar(app, "SELECT count(*) FROM wtest_obs")


def dead(app) -> int:
    return scalar(app, "SELECT count(*) FROM core_dead_letter")


def assert_stored_exactly_once(app, expected: dict[str, int]) -> None:
    """``expected``: sensor -> number of messages (seq 0..n-1) that must each be one row."""
    got = rows(app, "SELECT sensor, count(*), count(DISTINCT seq), min(seq), max(seq) FROM wtest_obs GROUP BY sensor")
    assert {r[0]: (r[1], r[2], r[3], r[4]) for r in got} == {s: (n, n, 0, n - 1) for s, n in expected.items()}


# -- the hard cases -------------------------------------------------------------------------
@needs_mosquitto
def test_10000_messages_published_while_the_worker_is_killed_twice_are_stored_exactly_once(
        mash_app_factory, monkeypatch, mosquitto, tmp_path):
    app = make_wtest_app(mash_app_factory, monkeypatch)
    env = worker_env(database_url(app), tmp_path / "instance", mqtt_url=mosquitto.url)
    log = tmp_path / "worker.log"

    def start_worker() -> WorkerProcess:
        # same name: on SQLite the restarted worker takes its own lease over at once
        before = log.read_text().count("connected to") if log.exists() else 0
        worker = WorkerProcess(env, "ingest-worker", log).start()
        wait_for(lambda: worker.text().count("connected to") > before or not worker.alive(), 40,
                 "the worker to subscribe", interval=0.05)
        assert worker.alive(), worker.text()[-3000:]
        return worker

    worker = start_worker()  # creates the persistent session
    n = 10_000
    messages = [obs_message("heidelberg", f"s{i % 10}", i // 10, value=(i % 200) / 2 - 50) for i in range(n)]
    # the publisher pauses at 3,000 and 7,000 until the worker is down: on a slow machine it could
    # otherwise be done before the worker has stored the rows at which it is killed
    publisher = BackgroundPublisher(mosquitto.port, messages, rate=1500, hold_at=(3000, 7000))
    publisher.start()
    published_while_down = []
    try:
        for kill_at in (1500, 5000):
            wait_for(lambda: stored(app) >= kill_at, 60, f"{kill_at} rows", interval=0.05)
            worker.kill()  # SIGKILL mid-stream: batches in flight are neither committed nor acked
            progress = publisher.progress
            publisher.release()
            time.sleep(0.5)  # the worker stays dead while the publisher goes on
            worker = start_worker()
            published_while_down.append(publisher.progress - progress)
        publisher.finish()
        wait_for(lambda: stored(app) >= n, 90, f"all {n} rows", interval=0.2)
        time.sleep(0.5)  # redeliveries still under way would show up as a changed count
    finally:
        worker.terminate()
        print(worker.text()[-4000:])  # shown when the test fails
    assert all(count > 0 for count in published_while_down), published_while_down
    assert_stored_exactly_once(app, {f"s{k}": n // 10 for k in range(10)})
    assert dead(app) == 0
    assert "Traceback" not in worker.text()


def hostile_messages() -> list[tuple[str, bytes, str]]:
    """(topic, payload, expected reason fragment) — 1,000 messages that must be dead letters."""
    good = {"sensor": "h", "seq": 1, "value": 1.0}

    def obj(**changes) -> bytes:
        body = {**good, **changes}
        return json.dumps({k: v for k, v in body.items() if v is not ...}).encode()

    topic = "mash/heidelberg/wtest/obs/h"
    cases = [
        (topic, b"{", "invalid JSON"),
        (topic, b"not json at all", "invalid JSON"),
        (topic, b"\xff\xfe\x00garbage", "invalid JSON"),
        (topic, b"", "invalid JSON"),
        (topic, b"[1, 2, 3]", "must be a JSON object"),
        (topic, b"null", "must be a JSON object"),
        (topic, b'"a string"', "must be a JSON object"),
        (topic, b"[" * 100_00 + b"]" * 100_00, "invalid JSON"),          # deep nesting
        (topic, obj(seq="abc"), "seq"),
        (topic, obj(seq=1.5), "seq"),
        (topic, obj(seq=True), "seq"),
        (topic, obj(seq=-1), "seq"),
        (topic, obj(seq=2**31 + 1), "seq"),
        (topic, obj(seq=10**30), "seq"),
        (topic, obj(value="hot"), "value"),
        (topic, obj(value=True), "value"),
        (topic, obj(value=[1]), "value"),
        (topic, obj(value=100.5), "value"),
        (topic, obj(value=-1e300), "value"),
        (topic, obj(sensor=5), "sensor"),
        (topic, obj(sensor=""), "sensor"),
        (topic, obj(sensor="x" * 65), "sensor"),
        (topic, obj(sensor=...), "sensor"),
        (topic, obj(value=...), "value"),
        (topic, obj(extra="unknown field"), "extra"),
        (topic, b'{"sensor": "h", "seq": 1, "value": 1e400}', "out of range"),
        (topic, b'{"sensor": "h", "seq": 1, "value": -1e400}', "out of range"),
        (topic, b'{"sensor": "h", "seq": 1, "value": ' + b"9" * 400 + b"}", "Number too large"),  # int too big for a float
        (topic, b'{"sensor": "h", "seq": ' + b"9" * 5000 + b', "value": 1}', "invalid JSON"),  # int too long
        (topic, b'{"sensor": "h", "seq": 1, "value": NaN}', "non-finite"),
        (topic, b'{"sensor": "h", "seq": 1, "value": Infinity}', "non-finite"),
        (topic, b'{"sensor": "h", "seq": 1, "value": -Infinity}', "non-finite"),
        (topic, b'{"sensor": "h", "seq": 1, "value": 1.0, "sent_at": NaN}', "non-finite"),
        (topic, b'{"sensor": "h", "seq": 1, "value": 1.0}' + b" " * (64 * 1024), "oversized"),
        (topic, b"x" * (200 * 1024), "oversized"),
        ("mash//wtest/obs/h", obj(), "topic must be"),                    # empty level
        ("mash/nowhere/wtest/obs/h", obj(), "unknown municipality"),
        ("mash/ulm/wtest/obs/h", obj(), "not enabled in ulm"),            # plugin disabled there
    ]
    return [cases[i % len(cases)] for i in range(1000)]


@needs_mosquitto
def test_1000_hostile_payloads_become_dead_letters_and_valid_ones_keep_flowing(
        mash_app_factory, monkeypatch, mosquitto):
    app = make_wtest_app(mash_app_factory, monkeypatch, municipalities=("heidelberg", "ulm"))
    set_enabled(app, "ulm", "wtest", False)
    hostile = hostile_messages()
    stream = []
    for i, (topic, payload, _reason) in enumerate(hostile):  # valid and hostile interleaved
        stream.append((topic, payload))
        stream.append(obs_message("heidelberg", "good", i))
    with running_worker(app, mosquitto.url, name="inproc-hostile") as worker:
        wait_connected(worker)
        publisher = Publisher(mosquitto.port)
        try:
            publisher.publish_all(stream)
        finally:
            publisher.close()
        wait_for(lambda: dead(app) >= 1000 and stored(app) >= 1000, 60, "1000 dead letters and 1000 rows", interval=0.1)
        # the worker is unharmed: a later valid message is stored too
        publisher = Publisher(mosquitto.port, client_id="wtest-late")
        publisher.publish_all([obs_message("heidelberg", "late", 0)])
        publisher.close()
        wait_for(lambda: stored(app) == 1001, 20, "the late message", interval=0.1)
        assert worker.ingest.stats["dead"] == 1000
    assert_stored_exactly_once(app, {"good": 1000, "late": 1})
    letters = rows(app, "SELECT topic, payload, size, reason, municipality_id FROM core_dead_letter ORDER BY id")
    assert len(letters) == 1000
    heidelberg, ulm = (scalar(app, "SELECT id FROM core_municipality WHERE slug = :s", s=s) for s in ("heidelberg", "ulm"))
    # every hostile message is one dead letter with its reason (the broker keeps order per topic)
    by_topic: dict[str, list] = {}
    for letter in letters:
        by_topic.setdefault(letter.topic, []).append(letter)
    for topic in by_topic:
        expected = [(p, r) for t, p, r in hostile if t == topic]
        got = by_topic[topic]
        assert len(got) == len(expected), topic
        for letter, (payload, reason) in zip(got, expected):
            assert reason in letter.reason, (letter.reason, payload[:80])
            assert letter.size == len(payload)
            assert bytes(letter.payload) == payload[:4096]  # size-capped copy
    assert all(letter.municipality_id == ulm for letter in by_topic["mash/ulm/wtest/obs/h"])
    assert all(letter.municipality_id is None for letter in by_topic["mash/nowhere/wtest/obs/h"])
    assert all(letter.municipality_id == heidelberg for letter in by_topic["mash/heidelberg/wtest/obs/h"])
    # nothing of a hostile message was stored as valid
    assert scalar(app, "SELECT count(*) FROM wtest_obs WHERE sensor NOT IN ('good', 'late')") == 0


@needs_mosquitto
def test_a_broker_restart_mid_stream_loses_nothing(mash_app_factory, monkeypatch, mosquitto):
    app = make_wtest_app(mash_app_factory, monkeypatch)
    n = 6000
    messages = [obs_message("heidelberg", f"r{i % 3}", i // 3) for i in range(n)]
    with running_worker(app, mosquitto.url, name="inproc-restart") as worker:
        wait_connected(worker)
        publisher = BackgroundPublisher(mosquitto.port, messages, rate=1500)
        publisher.start()
        wait_for(lambda: stored(app) >= 1500, 30, "1500 rows", interval=0.05)
        mosquitto.stop()  # SIGTERM: Mosquitto saves sessions and queued messages
        wait_for(lambda: not worker.ingest.connected.is_set(), 10, "the worker to notice", interval=0.05)
        time.sleep(0.3)
        mosquitto.start()  # same port, same persistence folder
        wait_connected(worker, 30)
        publisher.finish()
        wait_for(lambda: stored(app) >= n, 60, f"all {n} rows", interval=0.1)
    assert_stored_exactly_once(app, {f"r{k}": n // 3 for k in range(3)})
    assert dead(app) == 0


# -- outbox and events ----------------------------------------------------------------------
class Collector:
    """A persistent MQTT 5 subscriber (session kept by the broker while it is down)."""

    def __init__(self, port: int, topic: str):
        import paho.mqtt.client as paho
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.received: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="wtest-collector", protocol=paho.MQTTv5)
        self.client.reconnect_delay_set(0.1, 0.5)

        def on_connect(client, _u, _f, rc, _p=None):
            if not rc.is_failure:
                client.subscribe(topic, qos=1)

        def on_message(_c, _u, message):
            with self.lock:
                self.received.append((message.topic, message.payload))

        self.client.on_connect = on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = on_message
        self.client.connect_async("127.0.0.1", port, keepalive=10, clean_start=False, properties=props)
        self.client.loop_start()
        wait_for(self.subscribed.is_set, 10, "the collector to subscribe", interval=0.05)

    def payloads(self, topic: str) -> list[dict]:
        with self.lock:
            return [json.loads(p) for t, p in self.received if t == topic]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def in_request(app, fn):
    """Run ``fn`` the way a view would: in a request for the default municipality, then commit."""
    from mash_core.db import get_session

    with app.test_request_context("/", base_url="http://localhost"):
        app.preprocess_request()
        result = fn()
        get_session().commit()
    return result


@needs_mosquitto
def test_outbox_messages_written_while_the_broker_is_down_are_published_when_it_is_back(
        mash_app_factory, monkeypatch, mosquitto):
    from mash_core.api import publish_event
    from mash_core.worker.events import enqueue

    app = make_wtest_app(mash_app_factory, monkeypatch)
    collector = Collector(mosquitto.port, "mash/heidelberg/wtest/#")
    try:
        with running_worker(app, mosquitto.url, name="inproc-outbox") as worker:
            wait_connected(worker)
            mosquitto.stop()
            wait_for(lambda: not worker.ingest.connected.is_set(), 10, "the worker to notice", interval=0.05)
            started = time.monotonic()
            for k in range(5):
                in_request(app, lambda k=k: enqueue("wtest/notices", {"k": k}))
            ran = in_request(app, lambda: publish_event("wtest.alarm", {"seq": 7, "value": 99.0}))
            assert time.monotonic() - started < 2, "web requests must not wait for the broker"
            assert ran == 1  # the in-process handler
            assert scalar(app, "SELECT count(*) FROM core_outbox WHERE sent_at IS NULL") == 6
            assert scalar(app, "SELECT count(*) FROM wtest_event_seen") == 1
            time.sleep(1.0)  # the drain finds no broker: nothing is marked sent
            assert scalar(app, "SELECT count(*) FROM core_outbox WHERE sent_at IS NULL") == 6

            mosquitto.start()
            wait_connected(worker, 40)
            wait_for(lambda: scalar(app, "SELECT count(*) FROM core_outbox WHERE sent_at IS NULL") == 0, 20,
                     what="the outbox to drain")
            wait_for(lambda: len(collector.payloads("mash/heidelberg/wtest/notices")) >= 5
                     and collector.payloads("mash/heidelberg/wtest/events/alarm"), 20, what="the collector")
            # an observation from sensor "alarm" publishes the event from inside a handler
            publisher = Publisher(mosquitto.port)
            publisher.publish_all([obs_message("heidelberg", "alarm", 1, value=42.0)])
            publisher.close()
            wait_for(lambda: len(collector.payloads("mash/heidelberg/wtest/events/alarm")) >= 2, 20,
                     what="the event published by the subscription handler")
    finally:
        collector.close()
    assert sorted(p["k"] for p in collector.payloads("mash/heidelberg/wtest/notices")) == [0, 1, 2, 3, 4]
    assert {"seq": 7, "value": 99.0} in collector.payloads("mash/heidelberg/wtest/events/alarm")
    assert {"seq": 1, "value": 42.0} in collector.payloads("mash/heidelberg/wtest/events/alarm")
    seen = [json.loads(r[0]) for r in rows(app, "SELECT payload FROM wtest_event_seen ORDER BY id")]
    assert seen == [{"seq": 7, "value": 99.0}, {"seq": 1, "value": 42.0}]


@needs_mosquitto
def test_messages_for_a_disabled_plugin_are_dead_lettered_until_it_is_enabled_again(
        mash_app_factory, monkeypatch, mosquitto):
    app = make_wtest_app(mash_app_factory, monkeypatch)
    publisher = Publisher(mosquitto.port)
    try:
        with running_worker(app, mosquitto.url, name="inproc-disable") as worker:
            wait_connected(worker)
            publisher.publish_all([obs_message("heidelberg", "d", 0)])
            wait_for(lambda: stored(app) == 1, 20, what="the first row")
            set_enabled(app, "heidelberg", "wtest", False)
            wait_for(lambda: worker.scheduler.get_job("wtest.tick@heidelberg") is None, 10,
                     what="the plugin's job to be removed")
            # the worker re-reads plugin states every 2 s: publish until one is refused
            seq = iter(range(1, 1000))
            wait_for(lambda: publisher.publish_all([obs_message("heidelberg", "d", next(seq))]) and dead(app) > 0,
                     15, "a dead letter", interval=0.3)
            assert "plugin 'wtest' is not enabled in heidelberg" in \
                rows(app, "SELECT reason FROM core_dead_letter")[0][0]
            set_enabled(app, "heidelberg", "wtest", True)
            before = stored(app)
            wait_for(lambda: publisher.publish_all([obs_message("heidelberg", "d", next(seq))]) and stored(app) > before,
                     15, "a row after re-enabling", interval=0.3)
            wait_for(lambda: worker.scheduler.get_job("wtest.tick@heidelberg") is not None, 10,
                     what="the job to come back")
    finally:
        publisher.close()


# -- the embedded broker of `mash run` -----------------------------------------------------
def test_the_worker_ingests_through_the_embedded_broker(mash_app_factory, monkeypatch):
    import paho.mqtt.client as paho

    from mash_core.worker.broker import EmbeddedBroker
    from wtest_support import free_port

    app = make_wtest_app(mash_app_factory, monkeypatch)
    broker = EmbeddedBroker(port=free_port()).start()
    try:
        assert broker.url == f"mqtt://127.0.0.1:{broker.port}"
        with running_worker(app, broker.url, name="inproc-embedded") as worker:
            wait_connected(worker)
            client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="wtest-embedded-pub")
            client.connect("127.0.0.1", broker.port)
            client.loop_start()
            infos = [client.publish(*obs_message("heidelberg", "e", i), qos=1) for i in range(200)]
            for info in infos:
                info.wait_for_publish(20)
            client.disconnect()
            client.loop_stop()
            wait_for(lambda: stored(app) >= 200, 30, "200 rows through the embedded broker", interval=0.1)
    finally:
        broker.stop()
    assert_stored_exactly_once(app, {"e": 200})
