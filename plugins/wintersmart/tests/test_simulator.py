"""The demo simulator publishes a cooling night on the embedded broker (amqtt) at high speed;
a subscriber counts the messages and checks the payloads."""

import json
import threading
import time

import pytest

from mash_wintersmart.simulator import (SimContainer, SimStation, container_distance, demo_targets, dew_point,
                                        parse_broker, simulate, station_values)


def test_night_is_cooling_and_humid():
    import random
    s = SimStation("x", is_bridge=True)
    rng = random.Random(1)
    evening, morning = station_values(s, 0, 0.0, rng), station_values(s, 0, 12.0, rng)
    assert morning["rst_1"] < 0 < evening["rst_1"] and morning["t_air"] < evening["t_air"]
    assert morning["rh"] > evening["rh"]
    # the road starts above the dew point and ends below it
    assert evening["rst_1"] > dew_point(evening["t_air"], evening["rh"])
    assert morning["rst_1"] < dew_point(morning["t_air"], morning["rh"])
    c = SimContainer("b", 800, 200)
    assert container_distance(c, 3, 0, 12) < container_distance(c, 3, 12, 12) <= 800  # salt is used
    assert parse_broker("mqtt://u:p@h:1884?protocol=5") == {"host": "h", "port": 1884, "username": "u",
                                                             "password": "p", "tls": False, "protocol": 5}
    stations, containers = demo_targets()
    assert len(stations) == 20 and len(containers) == 52


@pytest.fixture
def broker():
    from mash_core.worker.broker import EmbeddedBroker
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    b = EmbeddedBroker(port=port).start()
    yield b
    b.stop()


def test_simulate_publishes_on_the_embedded_broker(broker):
    import paho.mqtt.client as paho

    got, lock, ready = [], threading.Lock(), threading.Event()
    sub = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id="ws-sim-counter")
    sub.on_connect = lambda c, u, f, rc, p=None: (c.subscribe("mash/heidelberg/wintersmart/#", qos=1), ready.set())

    def on_message(c, u, msg):
        with lock:
            got.append((msg.topic, json.loads(msg.payload)))
    sub.on_message = on_message
    host, port = broker.url.rsplit(":", 1)
    sub.connect("127.0.0.1", int(port))
    sub.loop_start()
    try:
        assert ready.wait(10)
        time.sleep(0.3)
        stations, containers = demo_targets()
        progress = []
        t0 = time.monotonic()
        result = simulate(broker.url, "heidelberg", stations, containers, speed=12 * 3600 / 2.0, hours=12,
                          progress=lambda step, steps, n: progress.append((step, steps, n)))
        elapsed = time.monotonic() - t0
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(got) < result.messages:
            time.sleep(0.05)
    finally:
        sub.disconnect()
        sub.loop_stop()
    assert 1.5 < elapsed < 15  # bounded: 12 h at ×21600 ≈ 2 s
    # 73 steps × 20 stations + 25 bin rounds × 52 containers
    assert result.messages == 73 * 20 + 25 * 52
    assert len(got) == result.messages
    assert progress[-1][0] == progress[-1][1] == 73
    topics = {t for t, _ in got}
    assert "mash/heidelberg/wintersmart/obs/hd-rws-01" in topics and "mash/heidelberg/wintersmart/obs/hd-bin-50" in topics
    first = next(p for t, p in got if t.endswith("/hd-rws-01"))
    assert set(first["obs"]) == {"rst_1", "t_air", "rh", "wind_speed", "surface_state"} and first["t"].endswith("Z")
    bin_values = [p["obs"]["distance"] for t, p in got if t.endswith("/hd-bin-07")]
    assert bin_values == sorted(bin_values) and bin_values[0] < bin_values[-1]


@pytest.mark.mash_plugins("wintersmart")
def test_simulated_messages_pass_the_plugin_schema(mash_app):
    """What the simulator sends is accepted by the plugin's own subscription (no dead letters)."""
    from wintersmart_support import feed
    from mash_wintersmart import simulator
    import random
    stations, containers = demo_targets()
    rng = random.Random(2)
    msgs = [(f"mash/heidelberg/wintersmart/obs/{s.key}", {"t": "2026-01-15T03:10:00Z",
                                                          "obs": simulator.station_values(s, i, 9, rng)})
            for i, s in enumerate(stations)]
    msgs += [(f"mash/heidelberg/wintersmart/obs/{c.key}", {"t": "2026-01-15T03:10:00Z",
                                                           "obs": {"distance": container_distance(c, i, 9, 12),
                                                                   "battery": 97.5}})
             for i, c in enumerate(containers)]
    assert feed(mash_app, msgs) == []
