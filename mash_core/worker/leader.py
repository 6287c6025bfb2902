"""Exactly one active worker: a PostgreSQL advisory lock, or a lease row on SQLite.

The advisory lock lives as long as the holder's connection, so a killed worker frees it at
once. The SQLite lease expires ``LEASE_SECONDS`` after the holder's last renewal; a standby
polls every ``POLL_SECONDS``, so it takes over within LEASE + POLL < 30 s.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Optional

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

LEASE_SECONDS = 20.0
POLL_SECONDS = 2.0
ADVISORY_KEY = 0x6D617368  # "mash"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Leadership:
    def __init__(self, engine: Engine, name: str = "worker", holder: Optional[str] = None,
                 lease_seconds: float = LEASE_SECONDS):
        self.engine, self.name = engine, name
        self.holder = holder or worker_name()
        self.lease_seconds = lease_seconds
        self._conn = None
        self.is_postgres = engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        if self.is_postgres:
            return self._pg_acquire()
        return self._lease(take=True)

    def renew(self) -> bool:
        """Keep leadership; False when it was lost (the caller must stop working at once)."""
        if self.is_postgres:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:
                self._conn = None
                return False
        return self._lease(take=False)

    def release(self) -> None:
        if self.is_postgres:
            if self._conn is not None:
                try:
                    self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
                    self._conn.close()
                finally:
                    self._conn = None
            return
        with self.engine.begin() as conn:
            conn.execute(text("DELETE FROM core_worker_lease WHERE name = :n AND holder = :h"),
                         {"n": self.name, "h": self.holder})

    def wait(self, stop=lambda: False) -> bool:
        """Block until leadership is acquired (True) or ``stop()`` says so (False)."""
        while not stop():
            if self.try_acquire():
                return True
            time.sleep(POLL_SECONDS)
        return False

    def _pg_acquire(self) -> bool:
        if self._conn is None:
            self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        if not got:
            self._conn.close()
            self._conn = None
        return bool(got)

    def _lease(self, take: bool) -> bool:
        # single conditional statements, so two standbys can never both win
        now = time.time()
        params = {"n": self.name, "h": self.holder, "e": now + self.lease_seconds, "now": now}
        cond = "holder = :h OR expires_at < :now" if take else "holder = :h"
        try:
            with self.engine.begin() as conn:
                updated = conn.execute(text(
                    f"UPDATE core_worker_lease SET holder = :h, expires_at = :e WHERE name = :n AND ({cond})"),
                    params).rowcount
                if updated:
                    return True
                if not take:
                    return False
                inserted = conn.execute(text(
                    "INSERT INTO core_worker_lease (name, holder, expires_at) VALUES (:n, :h, :e) "
                    "ON CONFLICT (name) DO NOTHING"), params).rowcount
                return bool(inserted)
        except OperationalError:  # database busy: try again on the next poll
            return False
