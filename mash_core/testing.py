"""pytest plugin shipped with the core (entry point ``pytest11``): isolated apps for tests.

Fixtures
--------
``mash_database_url``
    A fresh, empty database for one test: a SQLite file in ``tmp_path``, or — when
    ``MASH_TEST_DATABASE_URL`` points at a PostgreSQL server — a new database on that server,
    dropped afterwards.
``mash_app_factory``
    ``mash_app_factory(plugins=("lotsen",), municipalities=("heidelberg",))`` builds an app with
    exactly those plugins discovered and enabled, all migrations applied and the municipalities
    created (the first is the default). Everything is torn down after the test.
``mash_app``
    ``mash_app_factory()`` with every installed plugin, or those named by
    ``@pytest.mark.mash_plugins("slug", ...)``.
``client_as``
    ``client_as("staff")`` returns a Flask test client signed in as a new confirmed user with
    that role (``None``: anonymous) in the default municipality.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import time
import uuid
from datetime import datetime, timezone
from typing import Callable, Iterable, Optional

import pytest
from flask.testing import EnvironBuilder, FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.wrappers import Request as BaseRequest
from sqlmodel import Session, select

from . import builtin
from .app import create_app
from .config import Settings
from .db import UNSCOPED, make_engine
from .identity.passwords import hash_password
from .identity.permissions import CORE_PERMISSIONS
from .migrations_runner import upgrade
from .models import Municipality, User, UserRole
from .plugins.registry import ENTRY_POINT_GROUP, PluginRegistry
from .plugins.state import seed_default_grants
from .tenancy import municipality_context

TEST_PASSWORD = "correct horse battery staple"


def wait_for(predicate: Callable[[], object], timeout: float, what: str = "condition", *,
             interval: float = 0.1):
    """Poll ``predicate`` until it returns a truthy value (which is returned) or ``timeout``
    seconds pass (AssertionError naming ``what`` and the last value) — for tests of background
    work: the worker, the broker, a job."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {value!r})")
        time.sleep(interval)


def pytest_configure(config):
    config.addinivalue_line("markers", "mash_plugins(*slugs): plugins for the mash_app fixture")


@contextlib.contextmanager
def fresh_database(tmp_path) -> Iterable[str]:
    server = os.environ.get("MASH_TEST_DATABASE_URL", "")
    if not server.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'mash-test.db'}"
        return
    name = f"mash_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def build_registry(plugins: Optional[Iterable[str]], extra: dict | None = None,
                   disabled: Iterable[str] = ()) -> PluginRegistry:
    """A registry with the core, the installed plugins named in ``plugins`` (all when None) and
    ``extra`` plugins given as ``{slug: module}`` without entry points."""
    registry = PluginRegistry(disabled=disabled)
    registry.add_builtin(builtin)
    wanted = None if plugins is None else set(plugins)
    for ep in sorted(importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        if wanted is None or ep.name in wanted:
            registry.add(ep.name, ep.load, version=ep.dist.version if ep.dist else "0")
    for slug, module in (extra or {}).items():
        registry.add(slug, module, version="0.0.test")
    registry.resolve_requirements()
    return registry


@functools.lru_cache(maxsize=8)
def _test_hash(password: str) -> str:
    """argon2 is slow on purpose; test users share one hash per password (salts do not matter here)."""
    return hash_password(password)


def make_user(app, email: str, roles: Iterable[str], municipality_slug: Optional[str] = None,
              password: str = TEST_PASSWORD) -> User:
    engine = app.extensions["mash"].engine
    with Session(engine, expire_on_commit=False) as session:
        q = select(Municipality)
        q = q.where(Municipality.slug == municipality_slug) if municipality_slug else q.where(Municipality.is_default == True)  # noqa: E712
        m = session.exec(q, execution_options=UNSCOPED).one()
        with municipality_context(m.id):
            user = User(email=email, name=email.split("@")[0], password_hash=_test_hash(password),
                        confirmed_at=datetime.now(timezone.utc))
            session.add(user)
            session.flush()
            for role in roles:
                session.add(UserRole(user_id=user.id, role=role))
            session.commit()
            session.refresh(user)
    return user


class MashClient(FlaskClient):
    """A Flask test client bound to one host name, which selects the municipality.

    (Setting ``environ_base["HTTP_HOST"]`` has no effect: werkzeug derives ``HTTP_HOST`` from
    the request's base URL.) Pass ``base_url`` to one request to override the host for it.
    """

    host = "localhost"

    def open(self, *args, **kwargs):
        if not (len(args) == 1 and isinstance(args[0], (EnvironBuilder, dict, BaseRequest))):
            kwargs.setdefault("base_url", f"http://{self.host}")
        return super().open(*args, **kwargs)

    def session_transaction(self, *args, **kwargs):
        kwargs.setdefault("base_url", f"http://{self.host}")
        return super().session_transaction(*args, **kwargs)


def host_client(app, host: str = "localhost") -> MashClient:
    """An anonymous test client of ``app`` that requests as host ``host``."""
    client = MashClient(app, app.response_class, use_cookies=True)
    client.host = host
    return client


def login_client(app, user: User, host: str = "localhost"):
    client = host_client(app, host)
    with client.session_transaction() as sess:
        sess.update(uid=user.id, mid=user.municipality_id, epoch=user.session_epoch)
    return client


def build_app(url: str, folder, plugins: Optional[Iterable[str]] = None, extra: dict | None = None,
              municipalities: Iterable[str] = ("heidelberg",), enable: bool = True, disabled: Iterable[str] = ()):
    """An app on the empty database ``url``: migrations applied, ``municipalities`` created (the
    first is the default one, answering on localhost), the chosen plugins enabled in each.
    Used by the fixtures and by the benchmarks."""
    settings = Settings.from_env(instance=folder, database_url=url, secret_key="test-secret-" + uuid.uuid4().hex)
    settings.notifier = "file"
    settings.disabled_plugins = list(disabled)
    registry = build_registry(plugins, extra, disabled)
    engine = make_engine(url)
    app = create_app(settings=settings, registry=registry, engine=engine)
    mash = app.extensions["mash"]
    upgrade(mash)
    with Session(engine) as session:
        for i, slug in enumerate(municipalities):
            m = Municipality(slug=slug, name=f"Stadt {slug.title()}", is_default=(i == 0),
                             hosts=("localhost,127.0.0.1," if i == 0 else "") + f"{slug}.test")
            session.add(m)
            session.commit()
            with municipality_context(m.id):
                seed_default_grants(session, CORE_PERMISSIONS)
                session.commit()
                if enable:
                    for record in sorted(registry.active(), key=lambda r: len(r.manifest.requires)):
                        session.refresh(m)
                        mash.states.set_enabled(session, m, record.slug, True)
    return app


@pytest.fixture
def mash_database_url(tmp_path):
    with fresh_database(tmp_path) as url:
        yield url


@pytest.fixture
def mash_app_factory(tmp_path):
    created = []
    stack = contextlib.ExitStack()

    def factory(plugins: Optional[Iterable[str]] = None, municipalities: Iterable[str] = ("heidelberg",),
                extra: dict | None = None, enable: bool = True, disabled: Iterable[str] = ()):
        folder = tmp_path / f"instance{len(created)}"
        url = stack.enter_context(fresh_database(folder if folder.mkdir() is None else folder))
        app = build_app(url, folder, plugins, extra, municipalities, enable, disabled)
        app.config.update(TESTING=True)
        app.test_client_class = MashClient
        created.append(app)
        stack.callback(app.extensions["mash"].engine.dispose)
        return app

    yield factory
    stack.close()


@pytest.fixture
def mash_app(request, mash_app_factory):
    marker = request.node.get_closest_marker("mash_plugins")
    return mash_app_factory(plugins=marker.args if marker else None)


@pytest.fixture
def client_as(mash_app):
    counter = iter(range(10_000))

    def make(role: Optional[str] = "citizen", app=None):
        app = app or mash_app
        if role is None:
            return host_client(app)
        user = make_user(app, f"{role}{next(counter)}@example.org", [role])
        return login_client(app, user)

    return make
