"""Notifications through the driver that configuration picks (stevedore group ``mash.notifiers``)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from stevedore import driver

GROUP = "mash.notifiers"


@dataclass
class Message:
    to: str
    subject: str
    body: str


@lru_cache(maxsize=None)
def _load(name: str, options: tuple) -> object:
    manager = driver.DriverManager(GROUP, name, invoke_on_load=True, invoke_kwds=dict(options))
    return manager.driver


def get_notifier(name: str, **options):
    """The notifier driver ``name`` (``log``, ``file``, ``smtp`` or a plugin's), configured."""
    return _load(name, tuple(sorted(options.items())))


def send(settings, message: Message) -> None:
    options = {
        "log": {},
        "file": {"folder": str(settings.instance / "outbox")},
        "smtp": {"host": settings.smtp_host, "port": settings.smtp_port, "sender": settings.mail_from},
    }.get(settings.notifier, {})
    get_notifier(settings.notifier, **options).send(message)
