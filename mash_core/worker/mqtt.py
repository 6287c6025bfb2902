"""MQTT ingest and outbox drain (aiomqtt), the worker's messaging half.

QoS 1 with a persistent session (fixed client id, no clean session), so that the broker keeps
messages while the worker is away. Messages are acknowledged only after their batch was
committed (paho's manual acknowledgement), so a crash between receipt and commit means
redelivery, never loss; handlers are idempotent, so redelivery never means duplicates.

The hot path, per connection (:class:`_Connection`): aiomqtt manages the connection,
subscriptions and publishing, but incoming messages bypass its one-task-per-message iterator —
paho's ``on_message`` appends to a plain inbox, socket reads are buffered (paho reads a packet
a few bytes per system call) and the acknowledgements of a whole batch leave in one write.
Parsing and validation run on the event loop, database writes on one writer thread, so the two
overlap; acknowledgements are only ever sent on the connection that received the messages.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
import struct
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Optional
from urllib.parse import parse_qs, unquote, urlparse

import aiomqtt
import marshmallow as ma
import paho.mqtt.client as paho
from flask import Flask, g
from sqlmodel import Session, select

from ..db import UNSCOPED
from ..models import Municipality
from ..tenancy import municipality_context
from .contract import Received, Subscription
from .models import DeadLetter, OutboxMessage
from .payloads import DEAD_LETTER_PAYLOAD_CAP, MAX_PAYLOAD, Rejected, parse_json_object, split_topic

log = logging.getLogger("mash.worker.mqtt")
MAX_OUTBOX_ATTEMPTS = 20

#: bytes read from the socket at once (paho itself reads a packet in 3–4 small reads)
READ_CHUNK = 256 * 1024
#: batches handed to the writer thread but not yet committed (back-pressure beyond this)
MAX_WRITES_IN_FLIGHT = 2
#: dead letters are written at the latest with the next flush, or when this many wait
DEAD_BATCH = 500
#: topic → route lookups remembered (topic filters are matched once per distinct topic)
ROUTE_CACHE_SIZE = 50_000
_PUBACK = 0x40


@dataclass
class BrokerConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    username: Optional[str] = None
    password: Optional[str] = None
    tls: bool = False
    protocol: int = 4  # 4 = MQTT 3.1.1, 5 = MQTT 5
    client_id: str = "mash-worker"

    @classmethod
    def from_url(cls, url: str, client_id: str = "mash-worker") -> "BrokerConfig":
        """``mqtt://user:pass@host:1883?protocol=5`` or ``mqtts://...`` (TLS)."""
        u = urlparse(url)
        if u.scheme not in ("mqtt", "mqtts"):
            raise ValueError(f"MASH_MQTT_URL must start with mqtt:// or mqtts://, got {u.scheme!r}")
        query = parse_qs(u.query)
        protocol = int(query.get("protocol", ["4"])[0])
        if protocol not in (4, 5):
            raise ValueError("protocol must be 4 (MQTT 3.1.1) or 5")
        return cls(host=u.hostname or "127.0.0.1", port=u.port or (8883 if u.scheme == "mqtts" else 1883),
                   username=unquote(u.username) if u.username else None,
                   password=unquote(u.password) if u.password else None,
                   tls=u.scheme == "mqtts", protocol=protocol,
                   client_id=query.get("client_id", [client_id])[0])

    def redacted(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port} (MQTT {'5' if self.protocol == 5 else '3.1.1'})"


@dataclass
class Route:
    slug: str
    sub: Subscription
    schema: ma.Schema
    filter: str  # relative topic filter


@dataclass
class Buffer:
    """Accepted messages of one route and municipality waiting for their batch."""

    route: Route
    municipality_id: int
    first_at: float
    items: list = field(default_factory=list)   # Received
    mids: list = field(default_factory=list)    # packet ids to acknowledge after the commit


@dataclass
class _Municipality:
    id: int
    enabled: frozenset
    row: Municipality


class _Connection:
    """One broker connection: the inbox fed by paho, buffered reads and batched acknowledgements.

    Everything here runs on the event loop thread (aiomqtt calls paho's read and write
    handlers from the loop's reader and writer callbacks).
    """

    def __init__(self, client: aiomqtt.Client, protocol: int):
        self.client = client
        self.paho = client._client
        self.v5 = protocol == 5
        self.inbox: list[tuple[bytes, bytes, int]] = []   # (topic, payload, packet id)
        #: the consumer's future while it waits for messages (one cheap future per wait)
        self.waiter: Optional[asyncio.Future] = None
        self.closed = False
        # MQTT wants PUBACKs in the order the PUBLISHes came [MQTT-4.6.0-2]; batches of
        # different routes commit in any order, so acknowledgements wait for their turn
        self.unacked: collections.deque[int] = collections.deque()
        self.committed: set[int] = set()
        self.paho.on_message = self._on_message  # instead of aiomqtt's per-message queue
        self._data, self._pos = b"", 0
        # paho internals used below; without them (another paho version) the plain path works
        if all(hasattr(self.paho, name) for name in ("_sock_recv", "_in_packet", "_handle_publish")):
            self._raw_recv = self.paho._sock_recv
            self._raw_loop_read = self.paho.loop_read
            self._raw_handle_publish = self.paho._handle_publish
            self.paho._sock_recv = self._sock_recv
            self.paho.loop_read = self._loop_read
            self.paho._handle_publish = self._handle_publish

    def wake(self, _future=None) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _on_message(self, _client, _userdata, message) -> None:
        self.inbox.append((message._topic, message.payload, message.mid))
        self.wake()

    def _handle_publish(self):
        """paho's PUBLISH handler, short-cut for QoS 0/1 messages without MQTT 5 properties
        (the common case): paho builds a ``Properties`` object per message under MQTT 5,
        which costs more than validating the payload. Everything else goes the long way."""
        header, packet = self.paho._in_packet["command"], self.paho._in_packet["packet"]
        qos = (header & 0x06) >> 1
        end = 2 + int.from_bytes(packet[:2], "big")
        pos = end + (2 if qos else 0)
        if qos == 2 or end <= 2 or pos + self.v5 > len(packet) or (self.v5 and packet[pos] != 0):
            return self._raw_handle_publish()
        mid = int.from_bytes(packet[end:end + 2], "big") if qos else 0
        self.inbox.append((packet[2:end], packet[pos + self.v5:], mid))
        self.wake()
        return paho.MQTT_ERR_SUCCESS

    def _sock_recv(self, bufsize: int) -> bytes:
        data, pos = self._data, self._pos
        if pos >= len(data):
            data = self._raw_recv(READ_CHUNK)  # raises BlockingIOError when nothing is there
            if not data:
                return data
            self._data, pos = data, 0
        self._pos = pos + bufsize
        return data[pos:pos + bufsize]

    def _loop_read(self, max_packets: int = 1):
        # paho handles one packet per call: go on while whole packets wait in the buffer
        rc = self._raw_loop_read(max_packets)
        while rc == paho.MQTT_ERR_SUCCESS and self._pos < len(self._data) and self.paho._sock is not None:
            rc = self._raw_loop_read(max_packets)
        return rc

    def track(self, batch: list) -> None:
        """Remember the receipt order of ``batch``'s packet ids (QoS 0 has none)."""
        self.unacked.extend(mid for _, _, mid in batch if mid)

    def ack(self, mids: list[int]) -> None:
        """PUBACK the committed ``mids`` that are next in receipt order, in one write."""
        if self.closed or self.paho._sock is None:
            return  # the connection is gone: the broker redelivers them to the next one
        committed, unacked = self.committed, self.unacked
        committed.update(mid for mid in mids if mid)
        mids = []
        while unacked and unacked[0] in committed:
            mid = unacked.popleft()
            committed.discard(mid)
            mids.append(mid)
        if not mids:
            return
        packet = b"".join(struct.pack("!BBH", _PUBACK, 2, mid) for mid in mids)
        queue = getattr(self.paho, "_packet_queue", None)
        if queue is None:  # a paho without the internal: one acknowledgement at a time
            for mid in mids:
                self.paho.ack(mid, 1)
            return
        queue(_PUBACK, packet, 0, 0)


class Ingest:
    """One subscriber for all plugins' subscriptions; run :meth:`run` in an event loop."""

    def __init__(self, app: Flask, broker: BrokerConfig):
        self.app, self.broker = app, broker
        self.mash = app.extensions["mash"]
        self.routes: dict[str, list[Route]] = {}
        for slug, subs in self.mash.registry.call("mash_register_subscriptions"):
            for sub in subs:
                self.routes.setdefault(slug, []).append(Route(slug, sub, sub.schema(), sub.topic))
        self.buffers: dict[tuple, Buffer] = {}
        self.dead: list[tuple[DeadLetter, int]] = []
        self.full = False
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mash-db-writer")
        self.municipalities: dict[str, _Municipality] = {}
        self._municipalities_at = -1e9
        self._route_cache: dict[tuple[str, str], Optional[Route]] = {}
        self.conn: Optional[_Connection] = None
        self.stats = {"received": 0, "stored": 0, "dead": 0, "published": 0}
        self.stopping = asyncio.Event()
        self.connected = asyncio.Event()
        self._flush_lock = asyncio.Lock()
        self._writes: set[asyncio.Future] = set()
        self._write_slots: Optional[asyncio.Semaphore] = None
        self._write_failed: Optional[asyncio.Event] = None

    @property
    def client(self) -> Optional[aiomqtt.Client]:
        conn = self.conn
        return conn.client if conn is not None and not conn.closed else None

    # -- connection ----------------------------------------------------------------------
    def _client(self) -> aiomqtt.Client:
        b = self.broker
        # the inbox of _Connection replaces aiomqtt's queue; a bounded queue would drop
        # messages (never acknowledged, so stuck until the next reconnect)
        kwargs = dict(hostname=b.host, port=b.port, username=b.username, password=b.password,
                      identifier=b.client_id, keepalive=30, max_queued_incoming_messages=0)
        if b.protocol == 5:
            from paho.mqtt.packettypes import PacketTypes
            from paho.mqtt.properties import Properties
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 7 * 24 * 3600  # keep the session for a week
            # unacknowledged messages the broker may send at once: acks wait for the batch commit
            props.ReceiveMaximum = 65535
            kwargs.update(protocol=aiomqtt.ProtocolVersion.V5, clean_start=False, properties=props)
        else:
            kwargs.update(protocol=aiomqtt.ProtocolVersion.V311, clean_session=False)
        if b.tls:
            kwargs["tls_context"] = ssl.create_default_context()
        client = aiomqtt.Client(**kwargs)
        # aiomqtt has no public switch for this; paho acknowledges only when told to
        client._client.manual_ack_set(True)
        return client

    def topic_filters(self) -> list[str]:
        return sorted({f"mash/+/{slug}/{r.filter}" for slug, routes in self.routes.items() for r in routes})

    async def run(self) -> None:
        backoff = 1.0
        self._write_slots = asyncio.Semaphore(MAX_WRITES_IN_FLIGHT)
        self._write_failed = asyncio.Event()
        flusher = asyncio.create_task(self._flush_loop())
        drain = asyncio.create_task(self._outbox_loop())
        try:
            while not self.stopping.is_set():
                conn = None
                try:
                    client = self._client()
                    # before connecting: a persistent session delivers right after CONNACK
                    conn = _Connection(client, self.broker.protocol)
                    async with client:
                        self.conn = conn
                        for topic in self.topic_filters():
                            await client.subscribe(topic, qos=1)
                        log.info("connected to %s, %d subscriptions", self.broker.redacted(),
                                 len(self.topic_filters()))
                        self.connected.set()
                        backoff = 1.0
                        await self._consume(conn)
                except aiomqtt.MqttError as exc:
                    if self.stopping.is_set():
                        break
                    log.warning("broker %s unavailable (%s); retrying in %.0f s", self.broker.redacted(), exc, backoff)
                    await self._sleep_unless_stopping(backoff)
                    backoff = min(backoff * 2, 30.0)
                finally:
                    # messages not yet committed are not acknowledged: the broker redelivers them
                    self.connected.clear()
                    if conn is not None:
                        conn.closed = True
                    self.conn = None
                    self.buffers.clear()
                    self.dead.clear()
                    self.full = False
        finally:
            flusher.cancel()
            drain.cancel()
            self.connected.clear()
            await asyncio.to_thread(self.writer.shutdown, wait=True)

    async def _sleep_unless_stopping(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except asyncio.TimeoutError:
            pass

    async def _consume(self, conn: _Connection) -> None:
        """Accept what the inbox holds, batch after batch, until stopped or disconnected."""
        loop = asyncio.get_running_loop()
        disconnected = conn.client._disconnected
        stop = asyncio.ensure_future(self.stopping.wait())
        failed = asyncio.ensure_future(self._write_failed.wait())
        for future in (disconnected, stop, failed):
            future.add_done_callback(conn.wake)
        try:
            while True:
                if not conn.inbox and not (stop.done() or failed.done() or disconnected.done()):
                    conn.waiter = loop.create_future()
                    try:
                        await conn.waiter
                    finally:
                        conn.waiter = None
                if stop.done():
                    await self._accept_inbox(conn)
                    await self.flush(force=True)
                    await self._wait_writes()
                    return
                if failed.done():
                    self._write_failed.clear()
                    raise aiomqtt.MqttError("a batch could not be written; reconnecting for redelivery")
                if disconnected.done():
                    exc = disconnected.exception() if not disconnected.cancelled() else None
                    raise aiomqtt.MqttError(f"disconnected: {exc}")
                await self._accept_inbox(conn)
                await asyncio.sleep(0)  # let the reader fill the inbox
        finally:
            stop.cancel()
            failed.cancel()

    async def _accept_inbox(self, conn: _Connection) -> None:
        batch, conn.inbox = conn.inbox, []
        conn.track(batch)
        accept = self.accept
        for topic, payload, mid in batch:
            accept(topic, payload, mid)
            if self.full:
                await self.flush(force=False)

    # -- accepting -------------------------------------------------------------------------
    def _municipality(self, slug: str) -> Optional[_Municipality]:
        now = time.monotonic()
        if now - self._municipalities_at > 2.0:
            with Session(self.mash.engine) as session:
                rows = session.exec(select(Municipality), execution_options=UNSCOPED).all()
                fresh = {}
                for m in rows:
                    with municipality_context(m.id):
                        fresh[m.slug] = _Municipality(m.id, self.mash.states.enabled(session, m), m)
            self.municipalities, self._municipalities_at = fresh, now
        return self.municipalities.get(slug)

    def _route(self, slug: str, rest: str) -> Optional[Route]:
        key = (slug, rest)
        try:
            return self._route_cache[key]
        except KeyError:
            pass
        route = next((r for r in self.routes.get(slug, []) if paho.topic_matches_sub(r.filter, rest)), None)
        if len(self._route_cache) >= ROUTE_CACHE_SIZE:
            self._route_cache.clear()
        self._route_cache[key] = route
        return route

    def accept(self, topic: bytes | str, payload: bytes, mid: int) -> None:
        """Validate one message and buffer it for its batch, or dead-letter it."""
        self.stats["received"] += 1
        municipality_id = None
        try:
            try:
                topic = topic.decode() if isinstance(topic, (bytes, bytearray)) else topic
            except UnicodeDecodeError:
                topic = topic.decode(errors="replace")
                raise Rejected("topic is not valid UTF-8") from None
            m_slug, slug, rest = split_topic(topic)
            found = self._municipality(m_slug)
            if found is None:
                raise Rejected(f"unknown municipality {m_slug!r}")
            municipality_id = found.id
            if slug not in found.enabled:
                raise Rejected(f"plugin {slug!r} is not enabled in {m_slug}")
            route = self._route(slug, rest)
            if route is None:
                raise Rejected(f"no subscription of {slug} matches {rest!r}")
            if len(payload) > MAX_PAYLOAD:  # before any adapter sees it
                raise Rejected(f"oversized payload: {len(payload)} bytes (limit {MAX_PAYLOAD})")
            raw = route.sub.adapter(topic, bytes(payload)) if route.sub.adapter else parse_json_object(payload)
            data = route.schema.load(raw)
        except Rejected as exc:
            return self._dead(topic, payload, str(exc), municipality_id, mid)
        except ma.ValidationError as exc:
            return self._dead(topic, payload, f"invalid: {exc.messages}"[:2000], municipality_id, mid)
        except Exception as exc:  # an adapter bug must not stop ingestion
            return self._dead(topic, payload, f"rejected: {type(exc).__name__}: {exc}"[:2000], municipality_id, mid)
        key = (id(route), municipality_id)
        buf = self.buffers.get(key)
        if buf is None:
            buf = self.buffers[key] = Buffer(route, municipality_id, time.monotonic())
        buf.items.append(Received(topic, data, municipality_id, time.time()))
        buf.mids.append(mid)
        if len(buf.items) >= route.sub.batch_size:
            self.full = True

    def _dead(self, topic: str, payload: bytes, reason: str, municipality_id, mid) -> None:
        self.stats["dead"] += 1
        self.dead.append((DeadLetter(topic=str(topic)[:500], payload=bytes(payload[:DEAD_LETTER_PAYLOAD_CAP]),
                                     size=len(payload), reason=reason, municipality_id=municipality_id), mid))
        if len(self.dead) >= DEAD_BATCH:
            self.full = True

    # -- flushing --------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            try:
                await self.flush(force=False)
            except Exception:
                log.exception("flush failed; will retry")

    async def flush(self, force: bool) -> None:
        """Hand due batches (and waiting dead letters) to the writer thread; their messages are
        acknowledged on their connection once committed."""
        async with self._flush_lock:
            now = time.monotonic()
            due = []
            for key, buf in list(self.buffers.items()):
                sub = buf.route.sub
                if force or len(buf.items) >= sub.batch_size or now - buf.first_at >= sub.batch_delay:
                    due.append(buf)
                    del self.buffers[key]
            dead, self.dead = self.dead, []
            self.full = False
            if not due and not dead:
                return
            conn = self.conn
            await self._write_slots.acquire()
            future = asyncio.get_running_loop().run_in_executor(self.writer, self._write, due, dead)
            self._writes.add(future)
            future.add_done_callback(lambda f: self._written(f, conn))

    def _written(self, future: asyncio.Future, conn: Optional[_Connection]) -> None:
        self._writes.discard(future)
        self._write_slots.release()
        try:
            acks = future.result()
        except Exception:
            log.exception("could not write a batch; its messages stay unacknowledged")
            self._write_failed.set()
            return
        if conn is not None:
            conn.ack(acks)

    async def _wait_writes(self) -> None:
        if self._writes:
            await asyncio.wait(set(self._writes))

    def _write(self, due: list[Buffer], dead: list) -> list[int]:
        """Runs on the writer thread: handlers per batch, then dead letters; returns mids to ack."""
        acks = []
        for buf in due:
            if self._handle(buf.route, buf.items):
                acks += buf.mids
                self.stats["stored"] += len(buf.items)
            else:  # find the poison message(s): one by one, dead-lettering the failures
                for received, mid in zip(buf.items, buf.mids):
                    if self._handle(buf.route, [received]):
                        self.stats["stored"] += 1
                    else:
                        dead.append((DeadLetter(topic=received.topic[:500],
                                                payload=repr(received.data).encode()[:DEAD_LETTER_PAYLOAD_CAP],
                                                size=0, reason="handler failed; see plugin's last error",
                                                municipality_id=received.municipality_id), mid))
                        continue
                    acks.append(mid)
        if dead:
            with Session(self.mash.engine) as session:
                session.add_all([d for d, _ in dead])
                session.commit()
            acks += [mid for _, mid in dead]
        return acks

    def _handle(self, route: Route, batch: list[Received]) -> bool:
        municipality_id = batch[0].municipality_id
        found = next((m for m in self.municipalities.values() if m.id == municipality_id), None)
        try:
            with self.app.app_context(), municipality_context(municipality_id):
                g.user = None
                # handlers may publish events or outbox messages, which need both
                g.municipality = found.row if found is not None else None
                g.enabled_plugins = found.enabled if found is not None else frozenset()
                route.sub.handler(batch)
            return True
        except Exception as exc:
            self.mash.registry.record_error(route.slug, f"subscription {route.filter}", exc)
            return False

    # -- outbox ----------------------------------------------------------------------------
    async def _outbox_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(0.5)
            client = self.client
            if client is None:
                continue
            try:
                rows = await loop.run_in_executor(self.writer, self._pending_outbox)
                sent = []
                for row in rows:
                    try:
                        await client.publish(row.topic, row.payload, qos=row.qos, retain=row.retain, timeout=10)
                    except aiomqtt.MqttError as exc:  # the connection: retry this row first, later
                        await loop.run_in_executor(self.writer, self._outbox_failed, row.id, str(exc))
                        break
                    except Exception as exc:  # this row itself: count it, do not block the others
                        log.error("outbox message %s to %s failed: %s", row.id, row.topic, exc)
                        await loop.run_in_executor(self.writer, self._outbox_failed, row.id,
                                                   f"{type(exc).__name__}: {exc}")
                        continue
                    sent.append(row.id)
                if sent:
                    await loop.run_in_executor(self.writer, self._outbox_sent, sent)
                    self.stats["published"] += len(sent)
            except Exception:
                log.exception("outbox drain failed; will retry")

    def _pending_outbox(self) -> list[OutboxMessage]:
        with Session(self.mash.engine, expire_on_commit=False) as session:
            # a row that failed MAX_OUTBOX_ATTEMPTS times stays in the table with its last error
            # (shown on /admin/health) instead of being retried for ever
            return list(session.exec(select(OutboxMessage).where(OutboxMessage.sent_at == None,  # noqa: E711
                                                                 OutboxMessage.attempts < MAX_OUTBOX_ATTEMPTS)
                                     .order_by(OutboxMessage.id).limit(500)).all())

    def _outbox_sent(self, ids: list[int]) -> None:
        from datetime import datetime, timezone

        from sqlalchemy import update
        with Session(self.mash.engine) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                            .values(sent_at=datetime.now(timezone.utc)))
            session.commit()

    def _outbox_failed(self, row_id: int, error: str) -> None:
        from sqlalchemy import update
        with Session(self.mash.engine) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == row_id)
                            .values(attempts=OutboxMessage.attempts + 1, last_error=error[:500]))
            session.commit()
