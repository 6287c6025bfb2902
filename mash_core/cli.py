"""The ``mash`` command line. Run from the repository root it acts on ``./instance``."""

from __future__ import annotations

import contextlib
import json
import sys

import click
from flask import Flask, g
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from .db import UNSCOPED
from .models import Municipality, User, UserRole
from .tenancy import municipality_context


def _app() -> Flask:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        from .app import create_app
        root.obj = create_app()
    return root.obj


@contextlib.contextmanager
def acting_on(slug: str | None):
    """App context with the municipality ``slug`` (default: the default one) as the current one."""
    app = _app()
    with app.app_context():
        from .db import get_session
        session = get_session()
        query = select(Municipality)
        query = query.where(Municipality.slug == slug) if slug else query.where(Municipality.is_default == True)  # noqa: E712
        try:
            municipality = session.exec(query, execution_options=UNSCOPED).first()
        except SQLAlchemyError as exc:
            raise click.ClickException(f"database not initialised ({type(exc).__name__}); run `mash init` first")
        if municipality is None:
            raise click.ClickException(f"municipality {slug or '(default)'} not found; run `mash init` first")
        g.municipality = municipality
        g.user = None
        with municipality_context(municipality.id):
            g.enabled_plugins = app.extensions["mash"].states.enabled(session, municipality)
            yield app, session, municipality


municipality_option = click.option("--municipality", "municipality", default=None,
                                   help="slug of the municipality (default: the default one)")


class MashGroup(click.Group):
    """Adds plugins' command groups (hook ``mash_register_commands``) lazily."""

    def _plugin_groups(self, ctx) -> dict:
        if getattr(self, "_groups", None) is None:
            self._groups = {}
            try:
                app = _app_for(ctx)
            except Exception as exc:  # a broken instance must not break `mash --help`
                click.echo(f"warning: plugins' commands unavailable: {exc}", err=True)
                return self._groups
            for slug, group in app.extensions["mash"].registry.call("mash_register_commands"):
                if slug != "core" and isinstance(group, click.Command):
                    self._groups[slug] = _in_municipality(group)
        return self._groups

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._plugin_groups(ctx)))

    def get_command(self, ctx, name):
        return super().get_command(ctx, name) or self._plugin_groups(ctx).get(name)


def _in_municipality(group: click.Command) -> click.Command:
    """Run a plugin's commands inside the app context with the municipality of ``--municipality``
    (the core adds the option unless the group declares it) as the current one."""
    if getattr(group, "_mash_wrapped", False):
        return group
    if not any(p.name == "municipality" for p in group.params):
        def remember(ctx, _param, value):
            ctx.meta["mash.municipality"] = value

        group.params.append(click.Option(["--municipality"], default=None, expose_value=False,
                                         callback=remember,
                                         help="slug of the municipality (default: the default one)"))
    original = group.invoke

    def invoke(ctx):
        with acting_on(ctx.params.get("municipality", ctx.meta.get("mash.municipality"))):
            return original(ctx)

    group.invoke = invoke
    group._mash_wrapped = True
    return group


def _app_for(ctx) -> Flask:
    root = ctx.find_root()
    if root.obj is None:
        from .app import create_app
        root.obj = create_app()
    return root.obj


@click.group(cls=MashGroup)
def main():
    """MAsH — the municipal services platform."""
    import logging
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        for noisy in ("alembic", "amqtt", "transitions", "apscheduler.scheduler"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@main.command()
@click.option("--name", default="Stadt Heidelberg", show_default=True, help="name of the default municipality")
@click.option("--slug", default="heidelberg", show_default=True)
def init(name: str, slug: str):
    """Create the instance folder, run all migrations and create the default municipality."""
    from .migrations_runner import upgrade
    app = _app()
    upgrade(app.extensions["mash"])
    with Session(app.extensions["mash"].engine) as session:
        existing = session.exec(select(Municipality), execution_options=UNSCOPED).all()
        if not existing:
            session.add(Municipality(slug=slug, name=name, is_default=True, hosts="127.0.0.1,localhost"))
            session.commit()
            click.echo(f"created municipality {slug} ({name})")
        from .identity.permissions import CORE_PERMISSIONS
        from .plugins.state import seed_default_grants
        for m in session.exec(select(Municipality), execution_options=UNSCOPED).all():
            with municipality_context(m.id):
                seed_default_grants(session, CORE_PERMISSIONS)
                session.commit()
    click.echo(f"instance ready at {app.instance_path}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-worker", is_flag=True, help="serve the portal only")
def run(host: str, port: int, no_worker: bool):
    """Development: portal + worker + an embedded MQTT broker (when MASH_MQTT_URL is unset)."""
    import os
    import threading

    from .worker.broker import EmbeddedBroker
    from .worker.runner import Worker
    app = _app()
    worker = None
    if not no_worker:
        url = os.environ.get("MASH_MQTT_URL")
        broker = None
        if not url:
            broker = EmbeddedBroker().start()
            url = broker.url
            click.echo(f"embedded MQTT broker on {url}")
        worker = Worker(app, mqtt_url=url)
        threading.Thread(target=worker.run, name="mash-worker", daemon=True).start()
    click.echo(f"MAsH portal on http://{host}:{port}")
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False, debug=False)
    finally:
        if worker is not None:
            worker.stop()


@main.command()
@click.option("--mqtt-url", envvar="MASH_MQTT_URL", default=None,
              help="broker, e.g. mqtt://user:pass@host:1883?protocol=5 (default: $MASH_MQTT_URL)")
@click.option("--name", default=None, help="worker name shown in job runs (default: host:pid)")
def worker(mqtt_url: str | None, name: str | None):
    """Run jobs, MQTT subscriptions and the outbox; one of several stays active (DB lock)."""
    import signal

    from .worker.runner import Worker
    app = _app()
    if not mqtt_url:
        click.echo("MASH_MQTT_URL is not set: running jobs only, no MQTT", err=True)
    w = Worker(app, mqtt_url=mqtt_url, name=name)
    signal.signal(signal.SIGTERM, lambda *_: w.stop())
    signal.signal(signal.SIGINT, lambda *_: w.stop())
    click.echo(f"worker {w.name} waiting for leadership")
    w.run()


@main.group()
def db():
    """Database migrations (core and one branch per plugin)."""


@db.command("upgrade")
def db_upgrade():
    """Apply all pending migrations of the core and every active plugin."""
    from .migrations_runner import upgrade
    upgrade(_app().extensions["mash"])
    click.echo("database is up to date")


@db.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def db_status(fmt: str):
    """Show current and pending migrations per branch (core and each plugin)."""
    from .migrations_runner import status
    report = status(_app().extensions["mash"])
    if fmt == "json":
        click.echo(json.dumps(report, indent=2))
        return
    for branch, info in sorted(report.items()):
        state = f"{len(info['pending'])} pending" if info["pending"] else "up to date"
        click.echo(f"{branch:<16} current={info['current'] or '-':<14} head={info['head']:<14} {state}")


@main.group()
def plugins():
    """List, inspect, enable and disable plugins."""


def _plugin_dicts(app, session, municipality) -> list[dict]:
    from .migrations_runner import pending_by_branch
    mash = app.extensions["mash"]
    enabled = mash.states.enabled(session, municipality)
    pending = pending_by_branch(mash)
    out = []
    for slug, record in sorted(mash.registry.records.items()):
        if record.builtin:
            continue
        m = record.manifest
        out.append(dict(slug=slug, title=str(record.title), version=record.version, enabled=slug in enabled,
                        state=record.state, reason=record.reason, api=m.api if m else None,
                        requires=list(m.requires) if m else [], hooks=record.hooks,
                        tables=record.tables, pending_migrations=pending.get(slug, [])))
    return out


@plugins.command("list")
@municipality_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def plugins_list(municipality, fmt):
    """List discovered plugins with version, state and whether they are enabled."""
    with acting_on(municipality) as (app, session, m):
        rows = _plugin_dicts(app, session, m)
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    for r in rows:
        flag = "enabled " if r["enabled"] else "disabled"
        click.echo(f"{r['slug']:<16} {r['version']:<10} {flag} {r['state']}{': ' + r['reason'] if r['reason'] else ''}")


@plugins.command("info")
@click.argument("slug")
@municipality_option
def plugins_info(slug, municipality):
    """Everything known about one plugin, as JSON."""
    with acting_on(municipality) as (app, session, m):
        rows = [r for r in _plugin_dicts(app, session, m) if r["slug"] == slug]
    if not rows:
        raise click.ClickException(f"no plugin {slug!r}")
    click.echo(json.dumps(rows[0], indent=2))


def _set_enabled(slug: str, municipality: str | None, enabled: bool) -> None:
    from .identity.audit import audit
    from .migrations_runner import pending_by_branch
    from .plugins.state import PluginStateError
    with acting_on(municipality) as (app, session, m):
        mash = app.extensions["mash"]
        try:
            mash.states.set_enabled(session, m, slug, enabled, pending_migrations=set(pending_by_branch(mash)))
        except PluginStateError as exc:
            raise click.ClickException(str(exc))
        audit("plugin.enabled" if enabled else "plugin.disabled", target=slug, via="cli")
        session.commit()
    click.echo(f"{slug} {'enabled' if enabled else 'disabled'} in {m.slug}")


@plugins.command("enable")
@click.argument("slug")
@municipality_option
def plugins_enable(slug, municipality):
    """Enable a plugin (checks required plugins, API range and migrations)."""
    _set_enabled(slug, municipality, True)


@plugins.command("disable")
@click.argument("slug")
@municipality_option
def plugins_disable(slug, municipality):
    """Disable a plugin; its data is kept."""
    _set_enabled(slug, municipality, False)


@main.group()
def users():
    """Create users and grant roles."""


@users.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.option("--role", "roles", multiple=True, default=["citizen"], show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@municipality_option
def users_create(email, name, roles, password, municipality):
    """Create a confirmed user with the given roles."""
    from datetime import datetime, timezone

    from .identity.audit import audit
    from .identity.passwords import hash_password, password_problem
    problem = password_problem(password)
    if problem:
        raise click.ClickException(f"password rejected: {problem}")
    email = email.strip().lower()
    with acting_on(municipality) as (app, session, m):
        if session.exec(select(User).where(User.email == email)).first():
            raise click.ClickException(f"user {email} exists in {m.slug}")
        user = User(email=email, name=name, password_hash=hash_password(password),
                    confirmed_at=datetime.now(timezone.utc))
        session.add(user)
        session.flush()
        for role in roles:
            session.add(UserRole(user_id=user.id, role=role))
        audit("user.created", target=email, roles=list(roles), via="cli")
        session.commit()
    click.echo(f"created {email} with roles {', '.join(roles)} in {m.slug}")


@users.command("grant")
@click.argument("email")
@click.argument("role")
@municipality_option
def users_grant(email, role, municipality):
    """Give a user a role."""
    from .identity.audit import audit
    with acting_on(municipality) as (app, session, m):
        user = session.exec(select(User).where(User.email == email.strip().lower())).first()
        if user is None:
            raise click.ClickException(f"no user {email} in {m.slug}")
        if not session.exec(select(UserRole).where(UserRole.user_id == user.id, UserRole.role == role)).first():
            session.add(UserRole(user_id=user.id, role=role))
        audit("user.role_granted", target=user.email, role=role, via="cli")
        session.commit()
    click.echo(f"{email} has role {role} in {m.slug}")


@main.group()
def i18n():
    """Translation catalogues (source strings are German)."""


@i18n.command("update")
@click.option("--locale", default="en", show_default=True)
def i18n_update(locale: str):
    """Extract strings of the core and every plugin package into their .po files."""
    from pathlib import Path

    from .i18n import missing_translations, update_catalogue
    app = _app()
    packages = [Path(__file__).parent] + [Path(r.module.__file__).parent
                                          for r in app.extensions["mash"].registry.active()]
    for package in packages:
        po = update_catalogue(package, locale)
        click.echo(f"{po}: {len(missing_translations(package, locale))} untranslated")


@main.group()
def demo():
    """Demo data."""


@demo.command("load")
def demo_load():
    """Load the demo municipality, users and every plugin's demo data (idempotent)."""
    from .demo import load
    app = _app()
    for line in load(app):
        click.echo(line)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
