"""The embedded MQTT broker (amqtt) for `mash run` when no broker is configured: bound to
127.0.0.1 only, so the demo needs nothing installed but the project."""

from __future__ import annotations

import asyncio
import logging
import threading

log = logging.getLogger("mash.broker")
EMBEDDED_PORT = 18830  # not 1883: a real Mosquitto may already listen there


class EmbeddedBroker:
    def __init__(self, port: int = EMBEDDED_PORT):
        self.port = port
        self.url = f"mqtt://127.0.0.1:{port}"
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker = None
        self._error: BaseException | None = None

    def start(self) -> "EmbeddedBroker":
        threading.Thread(target=self._run, name="mash-broker", daemon=True).start()
        if not self._ready.wait(15) or self._error:
            raise RuntimeError(f"embedded MQTT broker did not start: {self._error}")
        log.info("embedded MQTT broker on %s", self.url)
        return self

    def _run(self) -> None:
        from amqtt.broker import Broker

        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        config = {"listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}}}
        self._broker = Broker(config, loop=self._loop)
        try:
            self._loop.run_until_complete(self._broker.start())
        except BaseException as exc:  # port taken etc.: report to start()
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()

    def stop(self) -> None:
        if self._loop and self._broker:
            fut = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                fut.result(10)
            finally:
                self._loop.call_soon_threadsafe(self._loop.stop)
