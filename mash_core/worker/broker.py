"""The embedded MQTT broker (amqtt) for `mash run` when no broker is configured: bound to
127.0.0.1 only, so the demo needs nothing installed but the project."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading

log = logging.getLogger("mash.broker")
EMBEDDED_PORT = 18830  # not 1883: a real Mosquitto may already listen there


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _pick_port(preferred: int) -> int:
    """The preferred port, or any free one (a second `mash run`, or tests, may hold it)."""
    if _free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedBroker:
    def __init__(self, port: int | None = None):
        port = port or int(os.environ.get("MASH_EMBEDDED_BROKER_PORT", EMBEDDED_PORT))
        self.port = _pick_port(port)
        self.url = f"mqtt://127.0.0.1:{self.port}"  # the port actually picked
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker = None
        self._error: BaseException | None = None

    def start(self) -> "EmbeddedBroker":
        threading.Thread(target=self._run, name="mash-broker", daemon=True).start()
        if not self._ready.wait(30) or self._error:
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
