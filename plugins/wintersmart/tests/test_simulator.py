"""The demo simulator publishes a cooling night on the embedded broker (amqtt) at high speed;
a subscriber counts the messages and checks the payloads. Demo mode: job ``demo`` runs the night
in the worker (through the outbox, the embedded broker and the plugin's own subscription) while
the setting is on, and stops when it is switched off or no longer renewed."""

import json
import threading
import time

import pytest

from mash_core.testing import wait_for
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


# -- demo mode (job ``demo``) ------------------------------------------------------------------
def _station_values(app, key="hd-rws-01", ds="rst_1"):
    from wintersmart_support import rows
    return [v for (v,) in rows(app, "SELECT o.value FROM wintersmart_observation o "
                                    "JOIN wintersmart_datastream d ON d.id = o.datastream_id "
                                    "JOIN wintersmart_thing t ON t.id = d.thing_id "
                                    "WHERE t.key = :k AND d.key = :ds ORDER BY o.phenomenon_time", k=key, ds=ds)]


@pytest.mark.mash_plugins("wintersmart")
def test_demo_job_runs_the_night_through_the_worker(mash_app, broker, monkeypatch):
    from mash_core.worker.runner import Worker
    from wintersmart_support import in_municipality, rows
    from mash_wintersmart import simulator
    from mash_wintersmart.demo import load

    with in_municipality(mash_app):
        load()
        assert simulator.demo_job() == "off"  # the default: never without the setting
    assert simulator.demo_runner(1, app=mash_app) is None
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_DEMO_SIMULATOR", "true")
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_DEMO_SIMULATOR_SPEED", "2400")  # 40 simulated minutes a second
    worker = Worker(mash_app, mqtt_url=broker.url, name="wintersmart-demo-test")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: worker.ingest is not None and worker.ingest.connected.is_set(), 30, "the worker")
        with in_municipality(mash_app):
            assert simulator.demo_job() == "started"
            runner = simulator.demo_runner()
            assert runner.tick_s == 1.0
        # observations arrive over MQTT: broker → worker → the plugin's subscription → database
        wait_for(lambda: len(_station_values(mash_app)) >= 4, 30, "station observations")
        wait_for(lambda: rows(mash_app, "SELECT count(*) FROM wintersmart_observation o JOIN wintersmart_datastream d "
                                         "ON d.id = o.datastream_id WHERE d.key = 'distance'")[0][0] >= 52,
                  30, "bin and silo distances")
        with in_municipality(mash_app):
            assert simulator.demo_job().startswith("running: ")  # renewed, not started twice
        rst = _station_values(mash_app)
        assert rst[-1] < rst[0]  # the night cools
        assert rows(mash_app, "SELECT count(*) FROM core_dead_letter")[0][0] == 0
        assert rows(mash_app, "SELECT count(*) FROM wintersmart_assessment WHERE thing_id IS NOT NULL")[0][0] > 0
        # switched off: the runner notices at its next step and ends
        monkeypatch.setenv("MASH_SETTING_WINTERSMART_DEMO_SIMULATOR", "false")
        runner.join(10)
        assert not runner.is_alive() and simulator.demo_runner(1, app=mash_app) is None
        with in_municipality(mash_app):
            assert simulator.demo_job() == "off"
    finally:
        simulator.stop_demo()
        worker.stop()
        thread.join(40)


@pytest.mark.mash_plugins("wintersmart")
def test_demo_runner_stops_without_its_job(mash_app, monkeypatch):
    """When the worker stops its scheduler (Ctrl-C, lost leadership) the job no longer renews the
    runner, which then ends by itself; stop_demo (at exit) ends it at once."""
    from wintersmart_support import in_municipality, rows
    from mash_wintersmart import simulator
    from mash_wintersmart.demo import load

    with in_municipality(mash_app):
        load()
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_DEMO_SIMULATOR", "1")
    monkeypatch.setattr(simulator, "LEASE_S", 1.5)
    with in_municipality(mash_app):
        assert simulator.demo_job() == "started"
        runner = simulator.demo_runner()
    runner.join(10)
    assert not runner.is_alive() and 1 <= runner.steps <= 3
    # what it sent waits in the outbox for a worker (none runs here)
    assert rows(mash_app, "SELECT count(*) FROM core_outbox WHERE topic LIKE 'mash/heidelberg/wintersmart/obs/%'"
                )[0][0] == runner.messages >= 72
    monkeypatch.setattr(simulator, "LEASE_S", 60)
    with in_municipality(mash_app):
        assert simulator.demo_job() == "started"
        runner = simulator.demo_runner()
    t0 = time.monotonic()
    assert simulator.stop_demo() == 1 and not runner.is_alive() and time.monotonic() - t0 < 5
