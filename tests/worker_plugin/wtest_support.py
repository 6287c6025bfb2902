"""Helpers for the worker tests and ``bench/ingest.py``: a private Mosquitto, worker
subprocesses, a publisher that retries until PUBACK, polling with deadlines."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, Optional

from mash_core.testing import wait_for  # noqa: F401 - re-exported for the worker tests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
MOSQUITTO = "/usr/sbin/mosquitto"
EXTRA_PLUGINS = "wtest=mash_wtest.plugin"

if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with contextlib.closing(socket.socket()) as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Mosquitto:
    """A private Mosquitto on a free port: unlimited queues and in-flight messages, persistence
    in ``folder`` so that a restart keeps sessions and queued messages."""

    def __init__(self, folder: Path, port: Optional[int] = None):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf = self.folder / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence true\n"
            f"persistence_location {self.folder}/\n"
            "autosave_interval 1\n"
            "max_queued_messages 0\n"
            "max_queued_bytes 0\n"
            "max_inflight_messages 0\n"
            "max_inflight_bytes 0\n"
            # started as root, Mosquitto would switch to user "mosquitto", which may not write here
            + ("user root\n" if os.geteuid() == 0 else "")
            + "log_dest stderr\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        self.proc: Optional[subprocess.Popen] = None

    @staticmethod
    def available() -> bool:
        return os.access(MOSQUITTO, os.X_OK)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}?protocol=5"

    def start(self) -> "Mosquitto":
        log = open(self.folder / "mosquitto.log", "ab")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log, stderr=log)
        wait_for(lambda: port_open(self.port) or self.proc.poll() is not None, 10, "mosquitto to listen", interval=0.05)
        if self.proc.poll() is not None:
            raise RuntimeError(f"mosquitto exited: {(self.folder / 'mosquitto.log').read_text()[-2000:]}")
        return self

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def installed_plugin_slugs() -> list[str]:
    import importlib.metadata

    return sorted({ep.name for ep in importlib.metadata.entry_points(group="mash.plugins")})


def worker_env(database_url: str, instance: Path, mqtt_url: Optional[str] = None, **extra) -> dict:
    """Environment for a ``mash worker`` subprocess on the test database with only ``wtest``."""
    env = dict(os.environ)
    env.update(
        MASH_DATABASE_URL=database_url,
        MASH_INSTANCE=str(instance),
        MASH_SECRET_KEY="worker-test-secret",
        MASH_EXTRA_PLUGINS=EXTRA_PLUGINS,
        MASH_DISABLE_PLUGINS=",".join(installed_plugin_slugs()),
        PYTHONPATH=os.pathsep.join([str(HERE), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        PYTHONUNBUFFERED="1",
    )
    env.pop("MASH_MQTT_URL", None)
    if mqtt_url:
        env["MASH_MQTT_URL"] = mqtt_url
    env.update({k: str(v) for k, v in extra.items()})
    return env


class WorkerProcess:
    """``mash worker --name NAME`` in a subprocess, its log in ``log``."""

    def __init__(self, env: dict, name: str, log: Path):
        self.env, self.name, self.log = env, name, Path(log)
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> "WorkerProcess":
        out = open(self.log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "mash_core.cli", "worker", "--name", self.name],
                                     env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=str(REPO))
        return self

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(10)

    def terminate(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


class Publisher:
    """A paho client (MQTT 5, clean start) that publishes QoS 1 messages and retries each one —
    across disconnects and broker restarts — until the broker acknowledged it."""

    def __init__(self, port: int, client_id: str = "wtest-publisher"):
        import paho.mqtt.client as paho

        self.port = port
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=paho.MQTTv5)
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(0.1, 1)
        self.connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p=None: self.connected.set() if not rc.is_failure else None
        self.client.on_disconnect = lambda *a: self.connected.clear()
        self.client.connect_async("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        wait_for(self.connected.is_set, 10, "publisher to connect", interval=0.05)

    def publish_all(self, messages: Iterable[tuple[str, bytes]], rate: Optional[float] = None,
                    timeout: float = 120.0, on_progress: Optional[Callable[[int], None]] = None) -> int:
        """Publish every (topic, payload) with QoS 1; returns how many. ``rate`` limits msg/s.
        A message that is not acknowledged within 10 s is published again."""
        pending: list[tuple[str, bytes, object, float]] = []
        sent = 0
        start = time.monotonic()
        deadline = start + timeout
        for topic, payload in messages:
            if rate:
                ahead = start + sent / rate - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            pending.append((topic, payload, self._send(topic, payload), time.monotonic()))
            sent += 1
            if on_progress:
                on_progress(sent)
            if len(pending) >= 2000:
                pending = self._settle(pending, deadline, final=False)
        while pending:
            pending = self._settle(pending, deadline, final=True)
        return sent

    def _send(self, topic: str, payload: bytes):
        wait_for(self.connected.is_set, 60, "publisher to reconnect", interval=0.02)
        return self.client.publish(topic, payload, qos=1)

    def _settle(self, pending, deadline, final: bool):
        still = []
        now = time.monotonic()
        for topic, payload, info, at in pending:
            # rc first: is_published() raises for a message handed over while the client was
            # (already) disconnected — paho keeps it, but the test publishes it again instead
            if info.rc == 0 and info.is_published():
                continue
            if now - at > 10.0 or info.rc != 0:  # not acknowledged in time: publish it again
                still.append((topic, payload, self._send(topic, payload), time.monotonic()))
            else:
                still.append((topic, payload, info, at))
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(still)} messages were never acknowledged by the broker")
        if final and still:
            time.sleep(0.05)
        return still

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# -- apps, databases and workers for the tests --------------------------------------------
PG_SERVER = os.environ.get("MASH_TEST_DATABASE_URL", "") or "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_available() -> bool:
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_SERVER if PG_SERVER.startswith("postgresql") else "postgresql://postgres@127.0.0.1:5432/postgres",
                               connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def make_wtest_app(factory, monkeypatch, backend: str = "default", municipalities=("heidelberg",)):
    """An app with only the ``wtest`` plugin, enabled everywhere, migrated, on ``backend``:
    ``"sqlite"``, ``"postgresql"`` (a fresh database on the server) or ``"default"`` (whatever
    ``MASH_TEST_DATABASE_URL`` selects)."""
    import mash_wtest.plugin as wplugin

    if backend == "sqlite":
        monkeypatch.delenv("MASH_TEST_DATABASE_URL", raising=False)
    elif backend == "postgresql":
        monkeypatch.setenv("MASH_TEST_DATABASE_URL", PG_SERVER)
    return factory(plugins=(), extra={"wtest": wplugin}, municipalities=municipalities)


def database_url(app) -> str:
    return app.extensions["mash"].settings.database_url


def scalar(app, sql: str, **params):
    from sqlalchemy import text

    with app.extensions["mash"].engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


def rows(app, sql: str, **params) -> list:
    from sqlalchemy import text

    with app.extensions["mash"].engine.connect() as conn:
        return conn.execute(text(sql), params).all()


def set_enabled(app, municipality: str, slug: str, enabled: bool) -> None:
    from sqlmodel import Session, select

    from mash_core.db import UNSCOPED
    from mash_core.models import Municipality

    mash = app.extensions["mash"]
    with Session(mash.engine) as session:
        m = session.exec(select(Municipality).where(Municipality.slug == municipality),
                         execution_options=UNSCOPED).one()
        mash.states.set_enabled(session, m, slug, enabled)


@contextlib.contextmanager
def running_worker(app, mqtt_url: Optional[str] = None, name: str = "inproc"):
    """A :class:`~mash_core.worker.runner.Worker` on a thread of this process."""
    from mash_core.worker.runner import Worker

    worker = Worker(app, mqtt_url=mqtt_url, name=name)
    thread = threading.Thread(target=worker.run, name=f"worker-{name}", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(40)
        assert not thread.is_alive(), "the worker did not stop"


def wait_connected(worker, timeout: float = 20.0) -> None:
    wait_for(lambda: worker.ingest is not None and worker.ingest.connected.is_set(), timeout,
             "the worker to connect to the broker", interval=0.05)


def obs_message(municipality: str, sensor: str, seq: int, value: float = 1.0, **extra) -> tuple[str, bytes]:
    import json

    body = {"sensor": sensor, "seq": seq, "value": value, "sent_at": time.time(), **extra}
    return f"mash/{municipality}/wtest/obs/{sensor}", json.dumps(body).encode()


class BackgroundPublisher(threading.Thread):
    """Publishes ``messages`` with a :class:`Publisher` at ``rate`` msg/s on a thread;
    ``progress`` is the number handed to the client so far. With ``hold_at``, publishing pauses
    at each of those counts until :meth:`release` — so that a test can be sure messages are still
    to come however slow the machine is."""

    def __init__(self, port: int, messages: list, rate: Optional[float] = None, client_id: str = "wtest-bg",
                 hold_at: Iterable[int] = ()):
        super().__init__(daemon=True)
        self.publisher = Publisher(port, client_id=client_id)
        self.messages, self.rate = messages, rate
        self.progress = 0
        self.error: Optional[BaseException] = None
        self._holds = sorted(hold_at)
        self._released = threading.Semaphore(0)

    def _on_progress(self, n: int) -> None:
        self.progress = n
        while self._holds and n >= self._holds[0]:
            self._holds.pop(0)
            if not self._released.acquire(timeout=120):
                raise AssertionError(f"publisher held at {n} messages was never released")

    def release(self) -> None:
        """Let the publisher go on past its next hold point."""
        self._released.release()

    def run(self) -> None:
        try:
            self.publisher.publish_all(self.messages, rate=self.rate, timeout=180,
                                       on_progress=self._on_progress)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self, timeout: float = 120) -> None:
        self.join(timeout)
        self.publisher.close()
        if self.is_alive():
            raise AssertionError("publisher did not finish")
        if self.error:
            raise self.error
