"""Manifest and hook implementations of the worker test plugin ``wtest``.

- subscription ``obs/+`` (``mash/<municipality>/wtest/obs/<sensor>``): JSON observations,
  validated by :class:`ObsSchema`, stored idempotently with ``insert_ignore``; an observation
  from sensor ``alarm`` also publishes the domain event ``wtest.alarm``;
- job ``tick`` every second: one row in ``wtest_tick`` per run; job ``boom`` raises while
  :data:`BOOM` is switched on (to see failed runs recorded);
- event ``wtest.alarm`` (bridged to MQTT ``mash/<municipality>/wtest/events/alarm``) and an
  in-process handler that records it in ``wtest_event_seen``.
"""

from __future__ import annotations

import json
import os
import time

import marshmallow as ma
from marshmallow import fields, validate

from mash_core.api import (EventHandler, EventType, Job, Manifest, Subscription, db_session, hookimpl,
                           insert_ignore, publish_event)

manifest = Manifest(
    slug="wtest",
    title="Worker test",
    description="Exercises jobs, subscriptions and events of the worker in tests and benchmarks.",
    api=">=1.0,<2",
)

#: switch for the failing job (tests flip it in-process)
BOOM = {"on": False}
BATCH_SIZE = int(os.environ.get("MASH_WTEST_BATCH_SIZE", "500"))
BATCH_DELAY = float(os.environ.get("MASH_WTEST_BATCH_DELAY", "0.2"))


class ObsSchema(ma.Schema):
    """``{"sensor": "s1", "seq": 17, "value": 3.5, "sent_at": 1764300000.1}``."""

    class Meta:
        unknown = ma.RAISE

    sensor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    seq = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**31))
    value = fields.Float(required=True, allow_nan=False, validate=validate.Range(min=-100, max=100))
    #: publisher's clock (seconds since epoch), for latency measurements
    sent_at = fields.Float(load_default=None, allow_nan=False)


def store_obs(batch) -> None:
    from .models import Obs

    now = time.time()
    insert_ignore(Obs, [dict(sensor=r.data["sensor"], seq=r.data["seq"], value=r.data["value"],
                             sent_at=r.data["sent_at"], received_at=r.received_at, stored_at=now)
                        for r in batch])
    for r in batch:
        if r.data["sensor"] == "alarm":
            publish_event("wtest.alarm", {"seq": r.data["seq"], "value": r.data["value"]})
    db_session().commit()


def tick() -> None:
    from mash_core.worker import scheduler

    from .models import Tick

    session = db_session()
    session.add(Tick(run_id=getattr(scheduler._tick, "run_id", None), worker=scheduler.CTX.worker, at=time.time()))
    session.commit()


def boom() -> None:
    if BOOM["on"]:
        raise RuntimeError("boom: the test switched this job to fail")


def on_alarm(payload: dict) -> None:
    from .models import EventSeen

    db_session().add(EventSeen(name="wtest.alarm", payload=json.dumps(payload, sort_keys=True)))


@hookimpl
def mash_register_jobs():
    return [
        Job("tick", tick, trigger="interval", trigger_args={"seconds": 1}, misfire_grace_time=30,
            description="writes one wtest_tick row per run"),
        Job("boom", boom, trigger="interval", trigger_args={"seconds": 1}, misfire_grace_time=30,
            description="fails while wtest.plugin.BOOM is on"),
    ]


@hookimpl
def mash_register_subscriptions():
    return [Subscription("obs/+", ObsSchema, store_obs, batch_size=BATCH_SIZE, batch_delay=BATCH_DELAY, id="obs")]


@hookimpl
def mash_register_events():
    return [EventType("alarm", "An observation from sensor 'alarm' arrived. Payload: seq, value.", bridge=True)]


@hookimpl
def mash_register_event_handlers():
    return [EventHandler("wtest.alarm", on_alarm)]
