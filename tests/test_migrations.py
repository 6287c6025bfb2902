"""Alembic: one branch for the core and one per plugin; status, upgrade, and the enable check."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from fixture_plugins import post_form, text as page_text
from mash_core.app import create_app
from mash_core.cli import main
from mash_core.config import Settings
from mash_core.db import UNSCOPED, make_engine
from mash_core.identity.permissions import CORE_PERMISSIONS
from mash_core.migrations_runner import pending_by_branch, status, upgrade
from mash_core.models import Municipality
from mash_core.plugins.state import PluginStateError, seed_default_grants
from mash_core.tenancy import municipality_context
from mash_core.testing import MashClient, build_registry, login_client, make_user


@pytest.fixture
def make(tmp_path, mash_database_url):
    """``make(plugins, disabled=())``: an app on one fresh, empty database (no migrations run)."""
    engine = make_engine(mash_database_url)
    settings = Settings.from_env(instance=tmp_path / "instance", database_url=mash_database_url,
                                 secret_key="migrations-test")

    def build(plugins=("lotsen",), disabled=()):
        settings.disabled_plugins = list(disabled)
        app = create_app(settings, build_registry(plugins, disabled=disabled), engine)
        app.config.update(TESTING=True)
        app.test_client_class = MashClient
        return app

    yield build
    engine.dispose()


def add_municipality(app) -> Municipality:
    with Session(app.extensions["mash"].engine, expire_on_commit=False) as session:
        m = Municipality(slug="heidelberg", name="Stadt Heidelberg", is_default=True, hosts="localhost")
        session.add(m)
        session.commit()
        with municipality_context(m.id):
            seed_default_grants(session, CORE_PERMISSIONS)
            session.commit()
    return m


def test_fresh_database_reports_every_branch_pending(make):
    app = make(plugins=None)  # every installed plugin
    mash = app.extensions["mash"]
    report = status(mash)
    branches = {"core"} | {r.slug for r in mash.registry.active() if r.migrations_dir is not None}
    assert "lotsen" in branches
    assert set(report) == branches
    for branch, info in report.items():
        assert info["current"] is None and info["pending"], branch
        assert info["pending"][-1] == info["head"]
        assert all(rev.startswith(branch) for rev in info["pending"]), info  # own revisions only
    assert set(pending_by_branch(mash)) == branches


def test_upgrade_leaves_nothing_pending_and_is_repeatable(make):
    app = make(plugins=None)
    mash = app.extensions["mash"]
    upgrade(mash)
    assert pending_by_branch(mash) == {}
    report = status(mash)
    assert all(info["current"] == info["head"] for info in report.values())
    tables = set(inspect(mash.engine).get_table_names())
    assert {"core_user", "core_municipality", "lotsen_pilot"} <= tables
    for record in mash.registry.active():
        for table in record.tables:
            assert table in tables, f"{record.slug}: migrations do not create {table}"
    upgrade(mash)  # nothing to do, no error
    with mash.engine.connect() as conn:
        versions = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
    assert versions == {info["head"] for info in report.values()}


def test_enabling_a_plugin_with_pending_migrations_is_refused(make):
    app = make()
    mash = app.extensions["mash"]
    upgrade(mash, "core@head")
    assert set(pending_by_branch(mash)) == {"lotsen"}
    m = add_municipality(app)

    with Session(mash.engine) as session:
        with pytest.raises(PluginStateError, match="pending migrations"):
            mash.states.set_enabled(session, m, "lotsen", True, pending_migrations=set(pending_by_branch(mash)))

    admin = login_client(app, make_user(app, "admin@example.org", ["admin"]))
    listing = page_text(admin.get("/admin/module"))
    row = listing.split('<tr data-slug="lotsen"', 1)[1].split("</tr>", 1)[0]
    assert "Ausstehende Migrationen: 1" in row
    refused = post_form(admin, "/admin/module/lotsen/status", {"enabled": "1"}, token_from="/admin/module",
                        follow_redirects=True)
    assert "lotsen has pending migrations" in page_text(refused)

    result = CliRunner().invoke(main, ["plugins", "enable", "lotsen"], obj=app)
    assert result.exit_code != 0 and "pending migrations" in result.output
    assert host_get(app, "/lotsen/") == 404

    upgrade(mash)
    assert pending_by_branch(mash) == {}
    result = CliRunner().invoke(main, ["plugins", "enable", "lotsen"], obj=app)
    assert result.exit_code == 0, result.output
    assert host_get(app, "/lotsen/") == 200


def host_get(app, path) -> int:
    return app.test_client().get(path).status_code


def test_plugin_switched_off_after_its_migrations_ran(make):
    """Recovery with MASH_DISABLE_PLUGINS must not break status, upgrade or the admin pages,
    although the database records revisions of the switched-off plugin."""
    app = make()
    upgrade(app.extensions["mash"])
    add_municipality(app)
    off = make(disabled=("lotsen",))
    mash = off.extensions["mash"]
    assert mash.registry.records["lotsen"].state == "off"
    report = status(mash)
    assert report["lotsen"]["pending"] == [] and report["lotsen"]["current"] == report["lotsen"]["head"]
    upgrade(mash)
    admin = login_client(off, make_user(off, "admin@example.org", ["admin"]))
    assert admin.get("/admin/module").status_code == 200
    result = CliRunner().invoke(main, ["db", "status"], obj=off)
    assert result.exit_code == 0 and "lotsen" in result.output


def test_inactive_plugin_migrations_wait_until_it_is_active(make):
    off = make(disabled=("lotsen",))
    upgrade(off.extensions["mash"])
    assert "lotsen_pilot" not in inspect(off.extensions["mash"].engine).get_table_names()
    assert status(off.extensions["mash"])["lotsen"]["pending"] == ["lotsen0001"]

    on = make()
    assert set(pending_by_branch(on.extensions["mash"])) == {"lotsen"}
    upgrade(on.extensions["mash"])
    assert "lotsen_pilot" in inspect(on.extensions["mash"].engine).get_table_names()


def test_cli_db_status_lists_each_branch(make):
    app = make()
    result = CliRunner().invoke(main, ["db", "status"], obj=app)
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "pending" in lines["core"] and "pending" in lines["lotsen"]
    assert CliRunner().invoke(main, ["db", "upgrade"], obj=app).exit_code == 0
    result = CliRunner().invoke(main, ["db", "status"], obj=app)
    lines = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    assert "up to date" in lines["core"] and "up to date" in lines["lotsen"]
    with Session(app.extensions["mash"].engine) as session:
        assert session.exec(select(Municipality), execution_options=UNSCOPED).all() == []
