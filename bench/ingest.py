"""MQTT ingest benchmark: observations per second from the broker into the database through
the real subscription path, against the raw aiomqtt receive rate measured in the same run.

    python bench/ingest.py [--database-url URL] [--messages N] [--broker-url URL]

Method
------
1. Broker: a private Mosquitto (unlimited queues and in-flight messages) on a free port,
   unless ``--broker-url`` names one.
2. Baseline: one plain aiomqtt subscriber (QoS 1, automatic acknowledgements, nothing else)
   receives N QoS 1 messages that a separate publisher process sends at full speed;
   ``raw_receive_per_s`` = N / (first publish → last receipt).
3. Real path: the worker's :class:`mash_core.worker.mqtt.Ingest` (MQTT 5, persistent session,
   manual acknowledgements after commit) with the ``wtest`` plugin's subscription ``obs/+``:
   every message is parsed, validated against its marshmallow schema and stored with
   ``insert_ignore`` in batches, into a fresh SQLite file (default) or a fresh database on the
   PostgreSQL server of ``--database-url`` (dropped afterwards). The same publisher sends N
   messages; ``obs_per_s`` = N / (first publish → last batch committed).
4. Latency per observation = ``stored_at`` (the worker's clock when its batch is written) −
   ``sent_at`` (the publisher's clock, in the payload); p50 and p95 over all N.
   ``lost`` = N − distinct rows stored.

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "worker_plugin"))

SENSORS = 50


def log(msg: str) -> None:
    print(f"[ingest-bench] {msg}", file=sys.stderr, flush=True)


# -- publisher (a separate process) --------------------------------------------------------
def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publisher_main(args) -> None:
    """Publish ``--messages`` QoS 1 observations at full speed; print timing JSON.

    A minimal MQTT 3.1.1 publisher on a plain socket (paho's Python publisher tops out far
    below what one subscriber receives, so it would measure itself): packets are written in
    chunks, at most ``--inflight`` unacknowledged; a reader thread counts the PUBACKs (the
    broker sends nothing else: keep-alive is off). Every message is acknowledged or the run
    fails."""
    import socket
    import struct
    import threading

    sock = socket.create_connection((args.host, args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cid = f"bench-pub-{os.getpid()}".encode()
    variable = b"\x00\x04MQTT\x04\x02\x00\x00"  # level 4, clean session, no keep-alive
    body = variable + struct.pack("!H", len(cid)) + cid
    sock.sendall(b"\x10" + _varint(len(body)) + body)
    connack = b""
    while len(connack) < 4:
        connack += sock.recv(4 - len(connack))
    if connack[0] != 0x20 or connack[3] != 0:
        raise SystemExit(f"broker refused the publisher: {connack!r}")
    acked = [0]
    stray = [0]

    def read_acks():
        rest = b""
        while acked[0] < args.messages:
            data = sock.recv(65536)
            if not data:
                return
            data = rest + data
            whole = len(data) // 4 * 4
            if data[:whole:4].count(0x40) != whole // 4:
                stray[0] += 1
            acked[0] += whole // 4
            rest = data[whole:]

    reader = threading.Thread(target=read_acks, daemon=True)
    reader.start()
    topics = [f"mash/{args.municipality}/wtest/obs/s{k}".encode() for k in range(SENSORS)]
    heads = [struct.pack("!H", len(t)) + t for t in topics]
    dumps, now, pack = json.dumps, time.time, struct.pack
    first = now()
    i, mid, chunk = 0, 0, 100
    while i < args.messages:
        while i - acked[0] >= args.inflight:
            time.sleep(0.0002)
        if args.rate:  # paced: never ahead of rate × elapsed
            ahead = first + i / args.rate - now()
            if ahead > 0:
                time.sleep(ahead)
        k = min(chunk, args.messages - i, args.inflight - (i - acked[0]))
        buf = bytearray()
        for j in range(i, i + k):
            mid = mid % 65535 + 1
            s = j % SENSORS
            payload = dumps({"sensor": f"s{s}", "seq": j, "value": (j % 2000) / 20.0 - 50.0,
                             "sent_at": now()}, separators=(",", ":")).encode()
            packet = heads[s] + pack("!H", mid) + payload
            buf += b"\x32" + _varint(len(packet)) + packet
        sock.sendall(buf)
        i += k
    published = now()
    reader.join(120)
    acked_at = now()
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    print(json.dumps({"first": first, "published": published, "acked": acked_at,
                      "unacked": args.messages - acked[0], "stray_packets": stray[0]}), flush=True)


def start_publisher(host: str, port: int, n: int, municipality: str, rate: float = 0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--publisher", "--host", host, "--port", str(port),
                             "--messages", str(n), "--municipality", municipality, "--rate", str(rate)],
                            stdout=subprocess.PIPE, text=True)


def publisher_result(proc: subprocess.Popen) -> dict:
    out, _ = proc.communicate(timeout=300)
    return json.loads(out.strip().splitlines()[-1])


# -- baseline ------------------------------------------------------------------------------
async def raw_baseline(host: str, port: int, n: int, protocol: int = 4) -> dict:
    """One plain aiomqtt subscriber, nothing else: ``protocol`` 4 (aiomqtt's default, MQTT
    3.1.1) or 5."""
    import aiomqtt

    version = aiomqtt.ProtocolVersion.V5 if protocol == 5 else aiomqtt.ProtocolVersion.V311
    async with aiomqtt.Client(hostname=host, port=port, identifier=f"bench-raw-{uuid.uuid4().hex[:8]}",
                              protocol=version) as client:
        await client.subscribe(f"mash/rawbench{protocol}/wtest/obs/+", qos=1)
        proc = start_publisher(host, port, n, f"rawbench{protocol}")
        cpu0 = time.process_time()
        got, last = 0, 0.0
        async with asyncio.timeout(120 + n / 1000):
            async for _message in client.messages:
                got += 1
                if got >= n:
                    last = time.time()
                    break
    cpu = time.process_time() - cpu0
    pub = await asyncio.to_thread(publisher_result, proc)
    return {"received": got, "cpu_us_per_msg": cpu / n * 1e6, "seconds": last - pub["first"], "per_s": n / (last - pub["first"]),
            "publisher_per_s": n / (pub["published"] - pub["first"])}


# -- the real path -------------------------------------------------------------------------
class Database:
    """A fresh SQLite file, or a fresh database on the PostgreSQL server of ``url``."""

    def __init__(self, url: str | None, folder: Path):
        self.server, self.name = None, None
        if url and url.startswith("postgresql"):
            from sqlalchemy import create_engine, text

            self.server = create_engine(url, isolation_level="AUTOCOMMIT")
            self.name = f"mash_bench_{uuid.uuid4().hex[:10]}"
            with self.server.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{self.name}"'))
            self.url = f"{url.rpartition('/')[0]}/{self.name}"
            self.backend = "postgresql"
        else:
            self.url = url or f"sqlite:///{folder / 'bench.db'}"
            self.backend = "sqlite"

    def drop(self) -> None:
        if self.server is not None:
            from sqlalchemy import text

            with self.server.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            self.server.dispose()


def build_app(url: str, folder: Path):
    import mash_wtest.plugin as wplugin

    from mash_core.testing import build_app as build

    return build(url, folder, plugins=(), extra={"wtest": wplugin}, municipalities=("bench",))

async def real_path(app, host: str, port: int, n: int, rate: float = 0) -> dict:
    from sqlalchemy import text

    from mash_core.worker.mqtt import BrokerConfig, Ingest

    broker = BrokerConfig.from_url(f"mqtt://{host}:{port}?protocol=5", client_id=f"bench-worker-{uuid.uuid4().hex[:8]}")
    ingest = Ingest(app, broker)
    task = asyncio.create_task(ingest.run())
    await asyncio.wait_for(ingest.connected.wait(), 30)
    proc = start_publisher(host, port, n, "bench", rate)
    cpu0 = time.process_time()
    done_at = None
    deadline = time.monotonic() + 120 + n / 500
    while time.monotonic() < deadline:
        if ingest.stats["stored"] + ingest.stats["dead"] >= n:
            done_at = time.time()
            break
        if task.done():
            raise RuntimeError(f"ingest stopped: {task.exception()!r}")
        await asyncio.sleep(0.005)
    cpu = time.process_time() - cpu0
    pub = await asyncio.to_thread(publisher_result, proc)
    ingest.stopping.set()
    await asyncio.wait_for(task, 30)
    engine = app.extensions["mash"].engine
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT stored_at - sent_at, stored_at FROM wtest_obs")).all()
        dead = conn.execute(text("SELECT count(*) FROM core_dead_letter")).scalar()
    if done_at is None:  # timed out: report what arrived
        done_at = max((r[1] for r in rows), default=time.time())
    latencies = sorted(r[0] * 1000.0 for r in rows)

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1) if latencies else None

    return {"stored": len(rows), "dead_letters": dead, "cpu_us_per_msg": cpu / n * 1e6, "seconds": done_at - pub["first"],
            "per_s": n / (done_at - pub["first"]), "p50_ms": pct(0.50), "p95_ms": pct(0.95),
            "publisher_unacked": pub["unacked"],
            "max_ms": round(latencies[-1], 1) if latencies else None,
            "publisher_per_s": n / (pub["published"] - pub["first"]), "stats": dict(ingest.stats)}


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(),
            "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL server URL (default: a temporary SQLite file)")
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--broker-url", default=None, help="mqtt://host:port (default: a private Mosquitto)")
    parser.add_argument("--rate", type=float, default=0,
                        help="publish the real path's messages at this rate (msg/s) instead of full speed, "
                             "for latency at a given load")
    parser.add_argument("--profile", default=None, help="write a pyinstrument profile of the real path here (.html or text)")
    # publisher mode (internal)
    parser.add_argument("--publisher", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=1883, help=argparse.SUPPRESS)
    parser.add_argument("--municipality", default="bench", help=argparse.SUPPRESS)
    parser.add_argument("--inflight", type=int, default=5000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.publisher:
        return publisher_main(args)

    import logging
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    folder = Path(tempfile.mkdtemp(prefix="mash-ingest-bench-"))
    mosquitto = None
    try:
        if args.broker_url:
            from urllib.parse import urlparse
            u = urlparse(args.broker_url)
            host, port, broker_desc = u.hostname or "127.0.0.1", u.port or 1883, args.broker_url
        else:
            from wtest_support import Mosquitto
            mosquitto = Mosquitto(folder / "mosquitto").start()
            host, port = "127.0.0.1", mosquitto.port
            version = subprocess.run(["/usr/sbin/mosquitto", "-h"], capture_output=True, text=True).stdout.split("\n")[0]
            broker_desc = f"private {version.strip()} (max_queued_messages 0, max_inflight_messages 0)"
        n = args.messages
        log(f"raw aiomqtt baseline with {n} messages (MQTT 3.1.1, then 5)")
        raw = asyncio.run(raw_baseline(host, port, n, protocol=4))
        raw5 = asyncio.run(raw_baseline(host, port, n, protocol=5))
        log(f"raw: {raw['per_s']:.0f} msg/s (MQTT 5: {raw5['per_s']:.0f} msg/s)")
        db = Database(args.database_url, folder)
        try:
            app = build_app(db.url, folder)
            import mash_wtest.plugin as wplugin
            log(f"real path into {db.backend} with {n} messages")
            if args.profile:
                from pyinstrument import Profiler
                profiler = Profiler(async_mode="disabled")
                profiler.start()
            real = asyncio.run(real_path(app, host, port, n, args.rate))
            if args.profile:
                profiler.stop()
                out = profiler.output_html() if args.profile.endswith(".html") else \
                    profiler.output_text(unicode=False, color=False, show_all=False)
                Path(args.profile).write_text(out)
                log(f"profile written to {args.profile}")
            app.extensions["mash"].engine.dispose()
        finally:
            db.drop()
        result = {
            "backend": db.backend,
            "messages": n,
            "obs_per_s": round(real["per_s"]),
            "raw_receive_per_s": round(raw["per_s"]),
            "raw_receive_per_s_mqtt5": round(raw5["per_s"]),
            "ratio": round(real["per_s"] / raw["per_s"], 3),
            "p50_ms": real["p50_ms"],
            "p95_ms": real["p95_ms"],
            "max_ms": real["max_ms"],
            "lost": n - real["stored"],
            "publisher_unacked": real["publisher_unacked"],  # must be 0: every message reached the broker
            "dead_letters": real["dead_letters"],
            "validated": real["stats"]["received"],
            # CPU time of the receiving process per message (robust when the machine is busy)
            "cpu_us_per_msg": {"raw": round(raw["cpu_us_per_msg"], 1), "raw_mqtt5": round(raw5["cpu_us_per_msg"], 1),
                               "real": round(real["cpu_us_per_msg"], 1)},
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "publisher_per_s": {"raw": round(raw["publisher_per_s"]), "real": round(real["publisher_per_s"])},
            "offered_rate": args.rate or "full speed",
            "batch_size": wplugin.BATCH_SIZE,
            "batch_delay_s": wplugin.BATCH_DELAY,
            "broker": broker_desc,
            "mqtt": "5 (QoS 1, persistent session, ReceiveMaximum 65535, manual acks after commit)",
            "machine": machine(),
        }
        print(json.dumps(result), flush=True)
    finally:
        if mosquitto is not None:
            mosquitto.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
