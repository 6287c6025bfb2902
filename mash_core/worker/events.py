"""The domain event bus: declared events, in-process handlers, optional MQTT bridge.

Core events (``docs/events.md``): ``core.plugin_enabled`` / ``core.plugin_disabled``
(payload ``{"slug"}``), ``core.user_registered`` (``{"user_id"}``), ``core.user_deleted``
(``{"user_id"}``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import Any

from flask import current_app, g

from ..db import get_session
from .contract import EventHandler, EventType
from .models import OutboxMessage

log = logging.getLogger("mash.events")

CORE_EVENTS = (
    EventType("plugin_enabled", "A plugin was enabled in the municipality. Payload: slug."),
    EventType("plugin_disabled", "A plugin was disabled in the municipality. Payload: slug."),
    EventType("user_registered", "A citizen registered (not yet confirmed). Payload: user_id."),
    EventType("user_deleted", "An account was deleted; delete what you keep about it. Payload: user_id."),
)
MAX_PAYLOAD = 256 * 1024


class EventBus:
    def __init__(self, registry):
        self.registry = registry
        self.types: dict[str, EventType] = {f"core.{e.name}": e for e in CORE_EVENTS}
        self.handlers: dict[str, list[tuple[str, EventHandler]]] = defaultdict(list)
        for slug, types in registry.call("mash_register_events"):
            for event in types:
                self.types[f"{slug}.{event.name}"] = event
        for slug, handlers in registry.call("mash_register_event_handlers"):
            for handler in handlers:
                self.handlers[handler.event].append((slug, handler))

    def publish(self, name: str, payload: dict[str, Any]) -> int:
        """Deliver ``name`` to the enabled handlers; returns how many ran without error."""
        event = self.types.get(name)
        if event is None:
            raise ValueError(f"undeclared event {name!r}; declare it with mash_register_events")
        body = json.dumps(payload, default=str).encode()
        if len(body) > MAX_PAYLOAD:
            raise ValueError(f"event payload of {len(body)} bytes exceeds {MAX_PAYLOAD}")
        enabled = g.get("enabled_plugins", frozenset())
        ran = 0
        for slug, handler in self.handlers.get(name, []):
            if slug != "core" and slug not in enabled:
                continue
            try:
                handler.handler(dict(payload))
                ran += 1
            except Exception as exc:
                self.registry.record_error(slug, f"event {name}", exc)
        if event.bridge:
            slug, _, short = name.partition(".")
            enqueue(f"{slug}/events/{short}", body)
        return ran


def bus() -> EventBus:
    ext = current_app.extensions
    if "mash_events" not in ext:
        ext["mash_events"] = EventBus(ext["mash"].registry)
    return ext["mash_events"]


def enqueue(relative_topic: str, payload: bytes | str | dict, qos: int = 1, retain: bool = False) -> OutboxMessage:
    """Add a message for ``mash/<municipality>/<relative_topic>`` to the outbox, in the
    caller's transaction: it is published by the worker once the transaction commits."""
    if isinstance(payload, dict):
        payload = json.dumps(payload, default=str)
    if isinstance(payload, str):
        payload = payload.encode()
    if qos not in (0, 1, 2):
        raise ValueError("qos must be 0, 1 or 2")
    if any(c in relative_topic for c in "+#\0") or relative_topic.startswith("/"):
        raise ValueError(f"invalid topic {relative_topic!r}")
    topic = f"mash/{g.municipality.slug}/{relative_topic}"
    row = OutboxMessage(topic=topic, payload=payload, qos=qos, retain=retain)
    get_session().add(row)
    return row
