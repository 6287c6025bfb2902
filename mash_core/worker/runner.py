"""The worker process: wait for leadership, then run the scheduler, MQTT ingest and outbox.

Leadership is renewed every few seconds; a worker that loses it stops its scheduler and
subscriber at once and goes back to waiting, so two workers never act together for long —
and ``core_job_run``'s unique tick key makes even that short overlap harmless.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Optional

from flask import Flask

from . import scheduler as jobs
from .leader import Leadership, worker_name
from .mqtt import BrokerConfig, Ingest

log = logging.getLogger("mash.worker")
TICK_SECONDS = 3.0


class Worker:
    def __init__(self, app: Flask, mqtt_url: Optional[str] = None, name: Optional[str] = None):
        self.app = app
        self.name = name or worker_name()
        self.mqtt_url = mqtt_url
        self.leadership = Leadership(app.extensions["mash"].engine, holder=self.name)
        self.stop_event = threading.Event()
        self.is_leader = threading.Event()
        self.ingest: Optional[Ingest] = None
        self.scheduler = None

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        while not self.stop_event.is_set():
            got = await asyncio.to_thread(self.leadership.wait, self.stop_event.is_set)
            if not got:
                return
            log.info("worker %s is active", self.name)
            self.is_leader.set()
            try:
                await self._lead()
            finally:
                self.is_leader.clear()
                await asyncio.to_thread(self._stop_services)
        await asyncio.to_thread(self.leadership.release)

    async def _lead(self) -> None:
        self.scheduler = jobs.build_scheduler(self.app, self.name)
        self.scheduler.start(paused=True)
        await asyncio.to_thread(jobs.reconcile, self.scheduler, self.app)
        self.scheduler.resume()
        ingest_task = None
        if self.mqtt_url:
            self.ingest = Ingest(self.app, BrokerConfig.from_url(self.mqtt_url))
            ingest_task = asyncio.create_task(self.ingest.run())
        while not self.stop_event.is_set():
            # wakes at once on stop(), so that a stopping worker frees leadership quickly
            if await asyncio.to_thread(self.stop_event.wait, TICK_SECONDS):
                break
            if not await asyncio.to_thread(self.leadership.renew):
                log.error("worker %s lost leadership; stopping jobs and subscriptions", self.name)
                break
            try:
                await asyncio.to_thread(jobs.reconcile, self.scheduler, self.app)
            except Exception:
                log.exception("could not reconcile jobs")
            if ingest_task is not None and ingest_task.done() and ingest_task.exception():
                log.error("MQTT ingest crashed: %s; restarting", ingest_task.exception())
                self.ingest = Ingest(self.app, BrokerConfig.from_url(self.mqtt_url))
                ingest_task = asyncio.create_task(self.ingest.run())
        if self.ingest is not None:
            self.ingest.stopping.set()
        if ingest_task is not None:
            try:
                await asyncio.wait_for(ingest_task, 15)
            except (asyncio.TimeoutError, Exception):
                log.warning("MQTT ingest did not stop cleanly")

    def _stop_services(self) -> None:
        if self.scheduler is not None:
            try:
                self.scheduler.shutdown(wait=True)
            except Exception:
                pass
            self.scheduler = None
