"""MQTT end to end: broker → the worker's Ingest → stored observations → ice-risk assessment.

The first test uses the embedded broker of ``mash run`` (amqtt, MQTT 3.1.1) and runs
everywhere. The ``integration`` tests start private Mosquitto brokers on free ports (never the
system broker: its sessions and other users' topics would be part of the test) — one of them
behind a Mosquitto bridge that maps The Things Stack's ``v3/<app>@<tenant>/devices/<dev>/up``
into ``mash/<municipality>/wintersmart/ttn/…``, exactly as the README tells operators to.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest

from mash_core.testing import wait_for
from wintersmart_support import night, rows, scalar, station, utc

pytestmark = pytest.mark.mash_plugins("wintersmart")
T0 = utc(2026, 1, 15, 1, 0)
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
needs_mosquitto = pytest.mark.skipif(not os.access(MOSQUITTO, os.X_OK), reason="mosquitto is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_worker(app, url: str):
    from mash_core.worker.runner import Worker

    worker = Worker(app, mqtt_url=url, name="wintersmart-test")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker.ingest is not None and worker.ingest.connected.is_set(), 30, "the worker to connect")
        yield worker
    finally:
        worker.stop()
        thread.join(40)


def publish(port: int, messages, protocol: int = 4):
    import paho.mqtt.client as paho

    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"ws-pub-{port}",
                         protocol=paho.MQTTv5 if protocol == 5 else paho.MQTTv311)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos)
                 for topic, payload, qos in messages]
        for info in infos:
            info.wait_for_publish(20)
    finally:
        client.disconnect()
        client.loop_stop()


class Mosquitto:
    def __init__(self, folder: Path, extra: str = ""):
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.conf = folder / f"mosquitto-{self.port}.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                             + ("user root\n" if os.geteuid() == 0 else "") + extra)
        self.log = open(folder / f"mosquitto-{self.port}.log", "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=self.log, stderr=self.log)

        def listening():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0
        wait_for(lambda: listening() or self.proc.poll() is not None, 10, "mosquitto")
        assert self.proc.poll() is None, (folder / f"mosquitto-{self.port}.log").read_text()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()


def test_mqtt_to_stored_observation_to_assessment_through_the_embedded_broker(mash_app):
    from mash_core.worker.broker import EmbeddedBroker

    broker = EmbeddedBroker(port=free_port()).start()
    try:
        with running_worker(mash_app, broker.url):
            # a cold, wet road: level 2 (RST_LE_TCRIT_MOIST)
            publish(broker.port, [station("rws-1", T0, rst_1=-1.2, water_film=0.3) + (1,)])
            wait_for(lambda: scalar(mash_app, "SELECT count(*) FROM wintersmart_assessment") >= 1, 20, "an assessment")
            assert rows(mash_app, "SELECT level, reasons FROM wintersmart_assessment")[0][0] == 2
            publish(broker.port, [(t, p, 1) for t, p in night("rws-7", T0, minutes=60, water_film=0.2)] + [
                ("mash/heidelberg/wintersmart/obs/rws-7/rst_1", {"t": T0.isoformat(), "v": 999}, 1),
                ("mash/heidelberg/wintersmart/obs/rws-7/ice_film", {"t": (T0 + timedelta(minutes=61)).isoformat(),
                                                                    "v": 0.1, "u": "mm"}, 1)])
            wait_for(lambda: scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") >= 2 + 13 * 5 + 1, 20,
                     "the night's observations")
            wait_for(lambda: scalar(mash_app, "SELECT count(*) FROM core_dead_letter") == 1, 10, "the dead letter")
            latest = ("SELECT a.reasons FROM wintersmart_assessment a JOIN wintersmart_thing t "
                      "ON t.id = a.thing_id WHERE t.key = 'rws-7' ORDER BY a.valid_time DESC, a.id DESC LIMIT 1")
            wait_for(lambda: "ICE_FILM" in str(scalar(mash_app, latest)), 10, "level 3")
    finally:
        broker.stop()
    reason = scalar(mash_app, "SELECT reason FROM core_dead_letter")
    assert "rst_1" in reason and "outside the possible range" in reason
    last = rows(mash_app, "SELECT a.level, a.rst, a.trend_k_per_h FROM wintersmart_assessment a "
                          "JOIN wintersmart_thing t ON t.id = a.thing_id WHERE t.key = 'rws-7' "
                          "ORDER BY a.valid_time DESC, a.id DESC")[0]
    assert last[0] == 3 and last[1] == pytest.approx(1.5) and last[2] == pytest.approx(-1.5)
    # every message once: 13 station records × 5 values, the ice film, rws-1's two values
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") == 13 * 5 + 1 + 2


@pytest.mark.integration
@needs_mosquitto
def test_ttn_uplinks_reach_the_plugin_through_a_mosquitto_bridge(mash_app, tmp_path):
    """``v3/<app>@<tenant>/devices/<dev>/up`` on the "TTN" broker → Mosquitto bridge with topic
    remapping → ``mash/heidelberg/wintersmart/ttn/…`` on the local broker → the worker."""
    from test_sensing import uplink

    ttn = Mosquitto(tmp_path / "ttn")
    local = Mosquitto(tmp_path / "local", extra=(
        "connection ttn-heidelberg\n"
        f"address 127.0.0.1:{ttn.port}\n"
        "bridge_protocol_version mqttv311\n"
        "cleansession true\n"
        "topic +/devices/+/up in 0 mash/heidelberg/wintersmart/ttn/ v3/\n"))
    try:
        with running_worker(mash_app, f"mqtt://127.0.0.1:{local.port}?protocol=5"):
            body = json.loads(uplink(decoded={"battery": 88, "distance": 731}))
            body["uplink_message"]["received_at"] = T0.isoformat()
            # the bridge subscribes shortly after it connected: publish until it arrives
            deadline = time.monotonic() + 20
            while scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") == 0:
                assert time.monotonic() < deadline, "the bridged uplink never arrived"
                publish(ttn.port, [("v3/streugut@ttn/devices/bin-0042/up", json.dumps(body).encode(), 0)])
                time.sleep(0.3)
            wait_for(lambda: scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") == 4, 10, "4 values")
    finally:
        local.stop()
        ttn.stop()
    assert rows(mash_app, "SELECT key, kind FROM wintersmart_thing") == [("ttn:24e124713b421234", "grit_bin_sensor")]
    assert dict(rows(mash_app, "SELECT d.key, o.value FROM wintersmart_observation o JOIN wintersmart_datastream d "
                               "ON d.id = o.datastream_id"))["distance"] == 731.0
    assert scalar(mash_app, "SELECT count(*) FROM core_dead_letter") == 0


@pytest.mark.integration
@needs_mosquitto
def test_mosquitto_mqtt5_station_stream(mash_app, tmp_path):
    broker = Mosquitto(tmp_path / "broker", extra="max_inflight_messages 0\nmax_queued_messages 0\n")
    try:
        with running_worker(mash_app, f"mqtt://127.0.0.1:{broker.port}?protocol=5"):
            messages = []
            for k in range(10):
                messages += [(t, p, 1) for t, p in night(f"rws-{k}", T0, minutes=60, water_film=0.2)]
            publish(broker.port, messages, protocol=5)
            wait_for(lambda: scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") == 10 * 13 * 5, 30,
                     "650 observations")
            wait_for(lambda: scalar(mash_app, "SELECT count(DISTINCT thing_id) FROM wintersmart_assessment") == 10, 10,
                     "assessments of 10 stations")
    finally:
        broker.stop()
    latest = rows(mash_app, "SELECT a.thing_id, max(a.valid_time) FROM wintersmart_assessment a GROUP BY a.thing_id")
    assert len(latest) == 10
    assert scalar(mash_app, "SELECT count(*) FROM core_dead_letter") == 0
