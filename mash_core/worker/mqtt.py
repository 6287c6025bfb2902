"""MQTT ingest and outbox drain (aiomqtt), the worker's messaging half.

QoS 1 with a persistent session (fixed client id, no clean session), so that the broker keeps
messages while the worker is away. Messages are acknowledged only after their batch was
committed (paho's manual acknowledgement), so a crash between receipt and commit means
redelivery, never loss; handlers are idempotent, so redelivery never means duplicates.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
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
from .payloads import DEAD_LETTER_PAYLOAD_CAP, Rejected, parse_json_object, split_topic

log = logging.getLogger("mash.worker.mqtt")


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
    items: list = field(default_factory=list)   # (Received, mid)
    first_at: float = 0.0


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
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mash-db-writer")
        self.municipalities: dict[str, tuple[int, frozenset]] = {}
        self._municipalities_at = 0.0
        self.client: Optional[aiomqtt.Client] = None
        self.stats = {"received": 0, "stored": 0, "dead": 0, "published": 0}
        self.stopping = asyncio.Event()
        self.connected = asyncio.Event()
        self._flush_lock = asyncio.Lock()

    # -- connection ----------------------------------------------------------------------
    def _client(self) -> aiomqtt.Client:
        b = self.broker
        kwargs = dict(hostname=b.host, port=b.port, username=b.username, password=b.password,
                      identifier=b.client_id, keepalive=30, max_queued_incoming_messages=20000)
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
        flusher = asyncio.create_task(self._flush_loop())
        drain = asyncio.create_task(self._outbox_loop())
        try:
            while not self.stopping.is_set():
                try:
                    async with self._client() as client:
                        self.client = client
                        for topic in self.topic_filters():
                            await client.subscribe(topic, qos=1)
                        log.info("connected to %s, %d subscriptions", self.broker.redacted(),
                                 len(self.topic_filters()))
                        self.connected.set()
                        backoff = 1.0
                        stop = asyncio.create_task(self.stopping.wait())
                        async for message in self._messages(client, stop):
                            self.accept(message)
                            if len(self.buffers) and self._any_full():
                                await self.flush(force=False)
                except aiomqtt.MqttError as exc:
                    self.connected.clear()
                    self.client = None
                    if self.stopping.is_set():
                        break
                    log.warning("broker %s unavailable (%s); retrying in %.0f s", self.broker.redacted(), exc, backoff)
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 30.0)
                finally:
                    # messages not yet committed are not acknowledged: the broker redelivers them
                    self.buffers.clear()
        finally:
            flusher.cancel()
            drain.cancel()
            self.connected.clear()
            self.writer.shutdown(wait=True)

    async def _messages(self, client, stop):
        iterator = client.messages.__aiter__()
        while True:
            nxt = asyncio.ensure_future(iterator.__anext__())
            done, _ = await asyncio.wait({nxt, stop}, return_when=asyncio.FIRST_COMPLETED)
            if stop in done:
                nxt.cancel()
                await self.flush(force=True)
                return
            yield nxt.result()

    # -- accepting -------------------------------------------------------------------------
    def _municipality(self, slug: str) -> Optional[tuple[int, frozenset]]:
        now = time.monotonic()
        if now - self._municipalities_at > 2.0:
            with Session(self.mash.engine) as session:
                rows = session.exec(select(Municipality), execution_options=UNSCOPED).all()
                fresh = {}
                for m in rows:
                    with municipality_context(m.id):
                        fresh[m.slug] = (m.id, self.mash.states.enabled(session, m))
            self.municipalities, self._municipalities_at = fresh, now
        return self.municipalities.get(slug)

    def accept(self, message) -> None:
        self.stats["received"] += 1
        topic = str(message.topic)
        payload = message.payload if isinstance(message.payload, (bytes, bytearray)) else str(message.payload).encode()
        mid_info = None
        try:
            m_slug, slug, rest = split_topic(topic)
            found = self._municipality(m_slug)
            if found is None:
                raise Rejected(f"unknown municipality {m_slug!r}")
            mid_info = found[0]
            if slug not in found[1]:
                raise Rejected(f"plugin {slug!r} is not enabled in {m_slug}")
            route = next((r for r in self.routes.get(slug, []) if paho.topic_matches_sub(r.filter, rest)), None)
            if route is None:
                raise Rejected(f"no subscription of {slug} matches {rest!r}")
            raw = route.sub.adapter(topic, bytes(payload)) if route.sub.adapter else parse_json_object(bytes(payload))
            data = route.schema.load(raw)
        except Rejected as exc:
            return self._dead(topic, payload, str(exc), mid_info, message.mid)
        except ma.ValidationError as exc:
            return self._dead(topic, payload, f"invalid: {exc.messages}"[:2000], mid_info, message.mid)
        except Exception as exc:  # an adapter bug must not stop ingestion
            return self._dead(topic, payload, f"rejected: {type(exc).__name__}: {exc}"[:2000], mid_info, message.mid)
        key = (route.slug, id(route), mid_info)
        buf = self.buffers.get(key)
        if buf is None:
            buf = self.buffers[key] = Buffer(first_at=time.monotonic())
        buf.items.append((Received(topic, data, mid_info, time.time()), message.mid, route))

    def _dead(self, topic: str, payload: bytes, reason: str, municipality_id, mid) -> None:
        self.stats["dead"] += 1
        self.dead.append((DeadLetter(topic=topic[:500], payload=bytes(payload[:DEAD_LETTER_PAYLOAD_CAP]),
                                     size=len(payload), reason=reason, municipality_id=municipality_id), mid))

    def _any_full(self) -> bool:
        return any(len(b.items) >= b.items[0][2].sub.batch_size for b in self.buffers.values() if b.items) \
            or len(self.dead) >= 500

    # -- flushing --------------------------------------------------------------------------
    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(0.05)
            try:
                await self.flush(force=False)
            except Exception:
                log.exception("flush failed; will retry")

    async def flush(self, force: bool) -> None:
        async with self._flush_lock:
            now = time.monotonic()
            due = []
            for key, buf in list(self.buffers.items()):
                if not buf.items:
                    continue
                sub = buf.items[0][2].sub
                if force or len(buf.items) >= sub.batch_size or now - buf.first_at >= sub.batch_delay:
                    due.append(buf)
                    del self.buffers[key]
            dead, self.dead = self.dead, []
            if not due and not dead:
                return
            loop = asyncio.get_running_loop()
            acks = await loop.run_in_executor(self.writer, self._write, due, dead)
            client = self.client
            if client is not None:
                for mid in acks:
                    if mid:  # QoS 0 messages carry mid 0 and need no acknowledgement
                        client._client.ack(mid, 1)

    def _write(self, due: list[Buffer], dead: list) -> list[int]:
        """Runs on the writer thread: handlers per batch, then dead letters; returns mids to ack."""
        acks = []
        for buf in due:
            route = buf.items[0][2]
            batch = [item[0] for item in buf.items]
            if self._handle(route, batch):
                acks += [item[1] for item in buf.items]
                self.stats["stored"] += len(batch)
            else:  # find the poison message(s): one by one, dead-lettering the failures
                for received, mid, _ in buf.items:
                    if self._handle(route, [received]):
                        self.stats["stored"] += 1
                    else:
                        dead.append((DeadLetter(topic=received.topic, payload=repr(received.data).encode()[:DEAD_LETTER_PAYLOAD_CAP],
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
        try:
            with self.app.app_context(), municipality_context(municipality_id):
                g.user = None
                g.municipality = None
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
                    except aiomqtt.MqttError as exc:
                        await loop.run_in_executor(self.writer, self._outbox_failed, row.id, str(exc))
                        break
                    sent.append(row.id)
                if sent:
                    await loop.run_in_executor(self.writer, self._outbox_sent, sent)
                    self.stats["published"] += len(sent)
            except Exception:
                log.exception("outbox drain failed; will retry")

    def _pending_outbox(self) -> list[OutboxMessage]:
        with Session(self.mash.engine, expire_on_commit=False) as session:
            return list(session.exec(select(OutboxMessage).where(OutboxMessage.sent_at == None)  # noqa: E711
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
