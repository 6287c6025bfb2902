"""Sign drivers: stevedore entry-point group ``mash_wintersmart.signs``.

A driver is a class with ``name``, ``supports_readback`` and ``send(command: dict) -> str``; it
returns the command's first status: ``"pending"`` (sent, an acknowledgement will follow) or
``"sent"`` (the transport has no readback). Drivers run inside the caller's transaction, so a
driver that talks to the outside must go through the outbox (``publish``).

The command dict: ``command_id`` (idempotency key: a device that saw it already ignores it),
``sign``, ``content`` (pictogram code such as ``VZ101-51``, or ``blank``), ``text``, ``level``,
``priority`` (manual 100, automatic 50), ``duration_s``, ``valid_until``, ``issued_at``,
``origin``.
"""

from __future__ import annotations

import logging
from functools import lru_cache

from stevedore import driver as _driver

from mash_core.api import publish

GROUP = "mash_wintersmart.signs"
log = logging.getLogger("mash.wintersmart.signs")


class LogSignDriver:
    """Writes commands to the log only (development, signs without a connection)."""

    name = "log"
    supports_readback = False

    def send(self, command: dict) -> str:
        log.info("sign %s: %s %r (command %s, until %s)", command["sign"], command["content"], command["text"],
                 command["command_id"], command["valid_until"])
        return "sent"


class MqttSignDriver:
    """Publishes ``wintersmart/signs/<sign>/set`` (QoS 1) through the outbox; the controller
    answers on ``wintersmart/signs/<sign>/ack`` with the command id and what it now shows."""

    name = "mqtt"
    supports_readback = True

    def send(self, command: dict) -> str:
        publish(f"wintersmart/signs/{command['sign']}/set", command, qos=1)
        return "pending"


@lru_cache(maxsize=None)
def get_driver(name: str):
    """The sign driver ``name`` of the entry-point group (``log``, ``mqtt`` or another package's)."""
    return _driver.DriverManager(GROUP, name, invoke_on_load=True).driver
