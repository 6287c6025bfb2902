"""Demo simulator: a clear, cooling winter night over MQTT (``mash wintersmart simulate``).

Publishes with the plugin's documented payload (README "Station record") on the core's topic
convention ``mash/<municipality>/wintersmart/obs/<thing>``:

* every road-weather station every ``station_step_min`` simulated minutes: ``rst_1`` (road
  surface falls faster than the air, bridges faster still), ``t_air``, ``rh`` (rising towards
  saturation, so the dew point comes up to the road surface and the road falls below it),
  ``wind_speed`` and ``surface_state`` (``dry``, ``moist`` once the road is at the dew point);
* every grit bin and silo every ``bin_step_min`` simulated minutes: ``distance`` (mm) — salt is
  taken out, so the level falls and the distance from the sensor at the top grows — and
  ``battery``.

The simulated night (``hours``, default 12) ends at the wall-clock time the run ends, so that
every timestamp is in the past (the ingest rejects messages from the future). A run takes
``hours × 3600 / speed`` seconds (bounded by ``max_seconds``).

**Demo mode** (setting ``demo_simulator``, which ``make demo`` switches on; off by default, so
never in production unless an operator switches it on): job ``demo`` (every minute) keeps a
:class:`DemoRunner` thread going in the active worker. It replays the night in a loop at
``demo_simulator_speed`` (default ×60: a 12-hour night in 12 minutes) — one station step per
``10 min / speed`` of real time (at least 1 s), the bins every 30 simulated minutes — with
*real* timestamps (the values follow the accelerated night, the times are when they are sent),
so that the ice-risk engine, warnings and signs react live. It publishes through the core's
outbox (:func:`mash_core.api.publish`), so the messages take the real MQTT path over whatever
broker the worker uses — the embedded one of ``mash run`` or ``$MASH_MQTT_URL`` — and wait while
it is not up yet. It only publishes for the stations and containers in the database (``mash demo
load``). The thread stops when the setting is switched off (checked every step), when the job has
not renewed it for :data:`LEASE_S` (the worker stopped its scheduler or lost leadership), and at
process exit (Ctrl-C on ``mash run``: an ``atexit`` hook stops and joins it). A new start begins a
new night.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Callable, Optional
from urllib.parse import parse_qs, unquote, urlparse

DEFAULT_BROKER = "mqtt://127.0.0.1:18830"
SLUG = "wintersmart"
#: demo mode: the runner stops when job ``demo`` has not renewed it for this long (seconds)
LEASE_S = 150.0
#: demo mode: at most one station step per this many real seconds (timestamps are whole seconds)
MIN_TICK_S = 1.0
log = logging.getLogger("mash.wintersmart.simulator")


@dataclass
class SimStation:
    key: str
    is_bridge: bool = False


@dataclass
class SimContainer:
    key: str
    d_empty_mm: float
    d_full_mm: float
    silo: bool = False


@dataclass
class SimResult:
    messages: int = 0
    steps: int = 0
    seconds: float = 0.0
    topics: set = field(default_factory=set)


def dew_point(t: float, rh: float) -> float:
    """Magnus, WMO coefficients over water (brief §1.2)."""
    g = math.log(max(rh, 1.0) / 100.0) + 17.62 * t / (243.12 + t)
    return 243.12 * g / (17.62 - g)


def station_values(s: SimStation, i: int, h: float, rng: random.Random) -> dict:
    """Values of station number ``i`` ``h`` hours into the night."""
    offset = ((i * 37) % 11 - 5) / 10.0  # −0.5…0.5 K site difference
    cool = 1.0 - math.exp(-h / 4.0)       # radiative cooling, fast first, then levelling off
    t_air = 3.5 + offset - 6.0 * cool + rng.gauss(0, 0.05)
    rst = 5.0 + offset - (9.0 + (1.5 if s.is_bridge else 0.0)) * cool + rng.gauss(0, 0.05)
    rh = min(99.0, 72.0 + 26.0 * cool + rng.gauss(0, 0.3))
    td = dew_point(t_air, rh)
    state = "moist" if rst - td <= 0.5 and rst > 0 else "dry"
    if rst <= 0 and rst <= td:
        state = "frost"
    return {"rst_1": round(rst, 2), "t_air": round(t_air, 2), "rh": round(rh, 1),
            "wind_speed": round(max(0.0, 1.5 + rng.gauss(0, 0.3)), 1), "surface_state": state}


def container_distance(c: SimContainer, i: int, h: float, hours: float) -> float:
    """Distance (mm) of container number ``i``: a start level between 35 and 95 % and a steady use."""
    height = c.d_empty_mm - c.d_full_mm
    start = 0.35 + ((i * 53) % 61) / 100.0
    use = (0.01 if c.silo else 0.02 + ((i * 29) % 7) / 100.0) * h  # share of the full height used
    fill = max(0.0, start - use)
    return round(c.d_empty_mm - fill * height, 1)


def station_records(stations: list[SimStation], h: float, rng: random.Random) -> list[tuple[str, dict]]:
    """(thing key, ``obs``) of every station ``h`` hours into the night."""
    return [(s.key, station_values(s, i, h, rng)) for i, s in enumerate(stations)]


def container_records(containers: list[SimContainer], h: float, hours: float) -> list[tuple[str, dict]]:
    """(thing key, ``obs``) of every bin and silo ``h`` hours into the night."""
    return [(c.key, {"distance": container_distance(c, i, h, hours), "battery": round(98 - h * 0.05, 1)})
            for i, c in enumerate(containers)]


def stamp_of(t: datetime) -> str:
    return t.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_broker(url: str) -> dict:
    u = urlparse(url)
    if u.scheme not in ("mqtt", "mqtts"):
        raise ValueError(f"broker URL must start with mqtt:// or mqtts://, got {url!r}")
    q = parse_qs(u.query)
    return {"host": u.hostname or "127.0.0.1", "port": u.port or (8883 if u.scheme == "mqtts" else 1883),
            "username": unquote(u.username) if u.username else None,
            "password": unquote(u.password) if u.password else None, "tls": u.scheme == "mqtts",
            "protocol": int(q.get("protocol", ["4"])[0])}


def simulate(broker_url: str, municipality: str, stations: list[SimStation], containers: list[SimContainer],
             speed: float = 60.0, hours: float = 12.0, station_step_min: float = 10.0, bin_step_min: float = 30.0,
             max_seconds: Optional[float] = None, seed: int = 1, qos: int = 1,
             progress: Optional[Callable[[int, int, int], None]] = None,
             end: Optional[datetime] = None) -> SimResult:
    """Publish the night; ``progress(step, steps, messages)`` after every step."""
    import paho.mqtt.client as paho

    if speed <= 0:
        raise ValueError("speed must be positive")
    cfg = parse_broker(broker_url)
    rng = random.Random(seed)
    client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=f"mash-wintersmart-sim-{rng.randrange(10**6)}",
                         protocol=paho.MQTTv5 if cfg["protocol"] == 5 else paho.MQTTv311)
    if cfg["username"]:
        client.username_pw_set(cfg["username"], cfg["password"])
    if cfg["tls"]:
        client.tls_set()
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.connect(cfg["host"], cfg["port"])
    client.loop_start()
    result = SimResult()
    prefix = f"mash/{municipality}/wintersmart/obs"
    step_s = station_step_min * 60.0
    steps = int(hours * 60 / station_step_min)
    run_s = hours * 3600.0 / speed
    if max_seconds is not None:
        run_s = min(run_s, max_seconds)
    end = end or datetime.now(timezone.utc) + timedelta(seconds=run_s)
    start = end - timedelta(hours=hours)
    t0 = time.monotonic()
    infos = []
    bin_every = max(1, round(bin_step_min / station_step_min))
    try:
        for k in range(steps + 1):
            due = t0 + k * step_s / speed
            if max_seconds is not None and due - t0 > max_seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            h = k * step_s / 3600.0
            stamp = stamp_of(start + timedelta(seconds=k * step_s))
            records = station_records(stations, h, rng)
            if k % bin_every == 0:
                records += container_records(containers, h, hours)
            for key, obs in records:
                infos.append(client.publish(f"{prefix}/{key}", json.dumps({"t": stamp, "obs": obs}), qos=qos))
                result.messages += 1
            result.steps = k + 1
            if progress:
                progress(k + 1, steps + 1, result.messages)
        for info in infos:
            info.wait_for_publish(30)
    finally:
        client.disconnect()
        client.loop_stop()
    result.seconds = time.monotonic() - t0
    return result


def targets_from_db() -> tuple[list[SimStation], list[SimContainer]]:
    """Stations and level-sensor containers of the current municipality (the demo's when loaded)."""
    from mash_core.api import db_session, select

    from .models import Thing
    from .models_bins import Container

    session = db_session()
    stations = [SimStation(t.key, t.is_bridge) for t in session.exec(
        select(Thing).where(Thing.kind == "road_weather_station").order_by(Thing.key)).all()]
    rows = session.exec(select(Container, Thing.key).join(Thing, Thing.id == Container.thing_id)
                        .order_by(Container.key)).all()
    containers = [SimContainer(key, c.d_empty_mm, c.d_full_mm, c.kind == "silo") for c, key in rows]
    return stations, containers


def demo_targets() -> tuple[list[SimStation], list[SimContainer]]:
    """The demo's stations and containers without a database (bridges from the demo network)."""
    from .demo_network import BIN_BOX, BIN_CYLINDER, N_BINS, SILO, SILOS, STATIONS

    stations = [SimStation(k, "bruecke" in seg) for k, seg, _ in STATIONS]
    containers = [SimContainer(f"hd-bin-{i + 1:02d}", **{k: v for k, v in (BIN_CYLINDER if i % 5 == 4 else BIN_BOX).items()
                                                          if k in ("d_empty_mm", "d_full_mm")})
                  for i in range(N_BINS)]
    containers += [SimContainer(k, SILO["d_empty_mm"], SILO["d_full_mm"], True) for k, *_ in SILOS]
    return stations, containers


# -- demo mode: the night in a loop, in the worker (job ``demo``) ------------------------------
class DemoRunner(threading.Thread):
    """Replays the night in a loop for one municipality; see the module docstring."""

    def __init__(self, app, municipality_id: int, speed: float = 60.0, hours: float = 12.0,
                 station_step_min: float = 10.0, bin_step_min: float = 30.0, seed: int = 1):
        super().__init__(name=f"wintersmart-demo-{municipality_id}", daemon=True)
        self.app, self.municipality_id = app, municipality_id
        self.speed, self.hours = float(speed), float(hours)
        self.station_step_min, self.bin_step_min = station_step_min, bin_step_min
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.renewed = time.monotonic()
        self.sim_s = 0.0          # simulated seconds since the start (all loops)
        self.steps = 0
        self.messages = 0
        self._bin_slot: Optional[int] = None

    @property
    def tick_s(self) -> float:
        return max(MIN_TICK_S, self.station_step_min * 60.0 / self.speed)

    def renew(self) -> None:
        self.renewed = time.monotonic()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        last = due = time.monotonic()
        try:
            while not self.stopping.is_set():
                now = time.monotonic()
                if now - self.renewed > LEASE_S:
                    log.info("demo simulator of municipality %s: job no longer renews it; stopping",
                             self.municipality_id)
                    break
                if now < due:
                    self.stopping.wait(min(due, self.renewed + LEASE_S + 0.01) - now)
                    continue
                self.sim_s += (now - last) * self.speed
                last = now
                try:
                    if not self.step():
                        break
                except Exception:  # a failed step (database busy …) is logged; the next one tries again
                    log.exception("demo simulator step failed")
                # at least a second apart: the timestamps are whole seconds
                due = max(due + self.tick_s, now + MIN_TICK_S)
        finally:
            _forget(self)

    def step(self) -> bool:
        """Publish one step (False: the setting is off, stop)."""
        from flask import g

        from mash_core.api import Municipality, db_session, get_settings, municipality_context, publish

        night_s = self.hours * 3600.0
        h = (self.sim_s % night_s) / 3600.0
        slot = int(self.sim_s // (self.bin_step_min * 60.0))
        with self.app.app_context(), municipality_context(self.municipality_id):
            session = db_session()
            g.user, g.municipality = None, session.get(Municipality, self.municipality_id)
            settings = get_settings(SLUG)
            if not settings.get("demo_simulator"):
                return False
            self.speed = float(settings.get("demo_simulator_speed") or self.speed)
            stations, containers = targets_from_db()
            records = station_records(stations, h, self.rng)
            if slot != self._bin_slot:
                records += container_records(containers, h, self.hours)
            stamp = stamp_of(datetime.now(timezone.utc))
            for key, obs in records:
                publish(f"{SLUG}/obs/{key}", {"t": stamp, "obs": obs})
            session.commit()
        self._bin_slot = slot
        self.steps += 1
        self.messages += len(records)
        return True


_RUNNERS: dict[tuple[int, int], DemoRunner] = {}
_LOCK = threading.Lock()


def _forget(runner: DemoRunner) -> None:
    with _LOCK:
        key = (id(runner.app), runner.municipality_id)
        if _RUNNERS.get(key) is runner:
            del _RUNNERS[key]


def demo_runner(municipality_id: Optional[int] = None, app=None) -> Optional[DemoRunner]:
    """The running demo simulator of a municipality (default: the current one), if any."""
    from flask import current_app

    from mash_core.api import current_municipality_id

    app = app or current_app._get_current_object()
    mid = municipality_id if municipality_id is not None else current_municipality_id()
    with _LOCK:
        return _RUNNERS.get((id(app), mid))


def demo_job() -> str:
    """Job ``demo`` (every minute): start or renew the demo simulator of the current municipality
    while the setting ``demo_simulator`` is on; stop it when it is off. Returns what it did."""
    from flask import current_app

    from mash_core.api import current_municipality_id, get_settings

    settings = get_settings(SLUG)
    app, mid = current_app._get_current_object(), current_municipality_id()
    with _LOCK:
        runner = _RUNNERS.get((id(app), mid))
        if not settings.get("demo_simulator"):
            if runner is not None:
                runner.stop()
                return "stopped"
            return "off"
        if runner is not None and runner.is_alive() and not runner.stopping.is_set():
            runner.renew()
            return f"running: {runner.steps} steps, {runner.messages} messages"
        runner = DemoRunner(app, mid, speed=settings.get("demo_simulator_speed") or 60.0)
        _RUNNERS[(id(app), mid)] = runner
    runner.start()
    log.info("demo simulator started for municipality %s (×%g)", mid, runner.speed)
    return "started"


def stop_demo(timeout: float = 10.0) -> int:
    """Stop every demo simulator of this process and wait for them (at exit; tests)."""
    with _LOCK:
        runners = list(_RUNNERS.values())
    for r in runners:
        r.stop()
    for r in runners:
        if r is not threading.current_thread():
            r.join(timeout)
    return len(runners)


atexit.register(stop_demo)
