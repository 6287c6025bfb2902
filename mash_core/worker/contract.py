"""What plugins declare to the worker: jobs, subscriptions and event handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional

import marshmallow as ma


@dataclass(frozen=True)
class Job:
    """A scheduled job. The worker registers it as ``<slug>.<id>`` (per municipality when
    ``per_municipality``) and calls ``func()`` inside the municipality's context.

    :param trigger: ``"interval"`` (``trigger_args`` like ``{"minutes": 5}``) or ``"cron"``
        (``{"hour": "3", "minute": "0"}``), as in APScheduler 3.
    :param misfire_grace_time: seconds a late run may still start; later runs are skipped.
    :param coalesce: run once when several runs were missed.
    """

    id: str
    func: Callable[[], Any]
    trigger: str = "interval"
    trigger_args: dict[str, Any] = field(default_factory=lambda: {"minutes": 5})
    misfire_grace_time: int = 60
    coalesce: bool = True
    per_municipality: bool = True
    description: str = ""


@dataclass(frozen=True)
class Received:
    """One validated message handed to a subscription handler."""

    topic: str
    data: dict
    municipality_id: int
    #: time the worker received it (UTC, seconds since epoch)
    received_at: float


@dataclass(frozen=True)
class Subscription:
    """An MQTT subscription below ``mash/<municipality>/<slug>/``.

    :param topic: filter relative to the plugin's prefix, e.g. ``"obs/+"``; ``+``/``#`` allowed.
    :param schema: marshmallow schema class; each payload (a JSON object) is loaded with it,
        unknown fields rejected. Invalid messages go to the dead-letter table.
    :param handler: ``handler(batch: list[Received])`` runs in the municipality's context and
        must be idempotent (a redelivered message must not create a second row); commit in it.
    :param batch_size: flush after this many messages …
    :param batch_delay: … or after this many seconds, whichever comes first.
    :param adapter: optional ``adapter(topic, payload_bytes) -> dict`` that maps a foreign
        payload (e.g. a The Things Stack uplink) to the schema's input before validation.
    """

    topic: str
    schema: type[ma.Schema]
    handler: Callable[[list[Received]], None]
    batch_size: int = 500
    batch_delay: float = 0.2
    adapter: Optional[Callable[[str, bytes], dict]] = None
    id: str = ""


@dataclass(frozen=True)
class EventHandler:
    """Handles domain event ``event`` (``<slug>.<name>``): ``handler(payload: dict)`` runs in
    the publishing municipality's context."""

    event: str
    handler: Callable[[dict], None]


@dataclass(frozen=True)
class EventType:
    """A domain event a plugin publishes. ``bridge`` also publishes it over MQTT on
    ``mash/<municipality>/<slug>/events/<name>`` through the outbox."""

    name: str
    description: str
    bridge: bool = False
