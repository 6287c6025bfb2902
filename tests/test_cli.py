"""The ``mash`` command line, run in-process with click's CliRunner on a fresh instance."""

from __future__ import annotations

import importlib.metadata
import json
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, text
from sqlmodel import Session, select

from mash_core.cli import main
from mash_core.db import UNSCOPED, make_engine
from mash_core.models import Municipality, User, UserRole
from mash_core.plugins.registry import ENTRY_POINT_GROUP

PASSWORD = "ein langes CLI-Passwort"
INSTALLED = sorted(ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP))


@pytest.fixture
def instance(tmp_path, monkeypatch, mash_database_url):
    """An empty instance folder and database; every installed plugin but lotsen is switched off
    by the recovery override, so that these tests exercise the core alone (see test_demo_*)."""
    monkeypatch.setenv("MASH_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("MASH_DATABASE_URL", mash_database_url)
    monkeypatch.setenv("MASH_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("MASH_NOTIFIER", "file")
    monkeypatch.setenv("MASH_DISABLE_PLUGINS", ",".join(s for s in INSTALLED if s != "lotsen"))
    engine = make_engine(mash_database_url)
    yield tmp_path / "instance", engine
    engine.dispose()


def mash(*args, ok=True):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    if ok:
        assert result.exit_code == 0, result.output
    else:
        assert result.exit_code != 0, result.output
    return result


def plugin_rows(*extra) -> dict[str, dict]:
    rows = json.loads(mash("plugins", "list", "--format", "json", *extra).stdout)
    assert isinstance(rows, list)
    return {r["slug"]: r for r in rows}


def add_municipality(engine, slug="musterdorf"):
    with Session(engine) as session:
        session.add(Municipality(slug=slug, name=f"Gemeinde {slug.title()}", hosts=f"{slug}.test"))
        session.commit()


def test_help_works_without_an_instance(instance):
    result = mash("--help")
    for command in ("init", "run", "db", "plugins", "users", "demo"):
        assert command in result.output


def test_init_is_idempotent(instance):
    folder, engine = instance
    first = mash("init")
    assert "created municipality heidelberg" in first.output
    second = mash("init")
    assert "created municipality" not in second.output
    with Session(engine) as session:
        municipalities = session.exec(select(Municipality), execution_options=UNSCOPED).all()
    assert [(m.slug, m.is_default) for m in municipalities] == [("heidelberg", True)]


def test_init_creates_the_instance_folder_for_sqlite(instance, monkeypatch):
    folder, _ = instance
    monkeypatch.delenv("MASH_DATABASE_URL")  # the default: SQLite inside the instance folder
    assert not folder.exists()
    mash("init")
    assert (folder / "mash.db").is_file()


def test_plugins_list_json(instance):
    mash("init")
    rows = plugin_rows()
    assert set(rows) == set(INSTALLED)
    for row in rows.values():
        assert {"slug", "version", "enabled", "state"} <= set(row)
        assert isinstance(row["enabled"], bool)
    lotsen = rows["lotsen"]
    assert lotsen["state"] == "active" and lotsen["enabled"] is False
    assert lotsen["version"] == importlib.metadata.version("mash-lotsen")
    for slug in set(INSTALLED) - {"lotsen"}:
        assert rows[slug]["state"] == "off" and rows[slug]["enabled"] is False
    info = json.loads(mash("plugins", "info", "lotsen").stdout)
    assert info["slug"] == "lotsen" and "lotsen_pilot" in info["tables"] and info["pending_migrations"] == []
    assert "no plugin" in mash("plugins", "info", "nosuchplugin", ok=False).output


def test_enable_disable_default_and_other_municipality(instance):
    _, engine = instance
    mash("init")
    add_municipality(engine)
    assert "lotsen enabled in heidelberg" in mash("plugins", "enable", "lotsen").output
    assert plugin_rows()["lotsen"]["enabled"] is True
    assert plugin_rows("--municipality", "musterdorf")["lotsen"]["enabled"] is False

    assert "in musterdorf" in mash("plugins", "enable", "lotsen", "--municipality", "musterdorf").output
    mash("plugins", "disable", "lotsen")
    assert plugin_rows()["lotsen"]["enabled"] is False
    assert plugin_rows("--municipality", "musterdorf")["lotsen"]["enabled"] is True

    assert "unknown plugin" in mash("plugins", "enable", "nosuchplugin", ok=False).output
    assert "not found" in mash("plugins", "enable", "lotsen", "--municipality", "nirgendwo", ok=False).output
    off = next((s for s in INSTALLED if s != "lotsen"), None)
    if off:
        assert "cannot be enabled" in mash("plugins", "enable", off, ok=False).output


def test_db_status_and_upgrade(instance):
    status = mash("db", "status")
    assert "core" in status.output and "lotsen" in status.output and "pending" in status.output
    report = json.loads(mash("db", "status", "--format", "json").stdout)
    assert report["core"]["pending"] and report["lotsen"]["pending"] and report["core"]["current"] is None
    assert "up to date" in mash("db", "upgrade").output
    report = json.loads(mash("db", "status", "--format", "json").stdout)
    assert report["core"]["pending"] == [] and report["lotsen"]["pending"] == []
    assert report["lotsen"]["current"] == report["lotsen"]["head"]
    # plugins switched off by MASH_DISABLE_PLUGINS keep their migrations pending until enabled
    for branch in set(report) - {"core", "lotsen"}:
        assert branch in INSTALLED and report[branch]["pending"] and report[branch]["current"] is None
    lines = {line.split()[0]: line for line in mash("db", "status").output.splitlines() if line.strip()}
    assert "up to date" in lines["core"] and "up to date" in lines["lotsen"]


def test_users_create_and_grant(instance):
    _, engine = instance
    mash("init")
    add_municipality(engine)
    created = mash("users", "create", "Chefin@Example.org", "--name", "Chefin", "--role", "staff",
                   "--password", PASSWORD)
    assert "created chefin@example.org" in created.output
    assert "exists" in mash("users", "create", "chefin@example.org", "--password", PASSWORD, ok=False).output
    assert "password rejected" in mash("users", "create", "kurz@example.org", "--password", "kurz",
                                       ok=False).output
    mash("users", "grant", "chefin@example.org", "admin")
    mash("users", "grant", "chefin@example.org", "admin")  # twice: no duplicate
    assert "no user" in mash("users", "grant", "chefin@example.org", "admin", "--municipality", "musterdorf",
                             ok=False).output
    mash("users", "create", "chefin@example.org", "--role", "citizen", "--password", PASSWORD,
         "--municipality", "musterdorf")

    with Session(engine) as session:
        users = session.exec(select(User), execution_options=UNSCOPED).all()
        roles = session.exec(select(UserRole), execution_options=UNSCOPED).all()
        ms = {m.id: m.slug for m in session.exec(select(Municipality), execution_options=UNSCOPED)}
    by_place = {ms[u.municipality_id]: u for u in users}
    assert set(by_place) == {"heidelberg", "musterdorf"}
    hd = by_place["heidelberg"]
    assert hd.confirmed_at is not None and hd.password_hash.startswith("$argon2id$") and hd.name == "Chefin"
    assert sorted(r.role for r in roles if r.user_id == hd.id) == ["admin", "staff"]
    assert [r.role for r in roles if r.user_id == by_place["musterdorf"].id] == ["citizen"]


def _row_counts(engine) -> dict[str, int]:
    names = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in names}


def test_demo_load_is_idempotent(instance):
    folder, engine = instance
    mash("demo", "load")
    first = _row_counts(engine)
    creds = folder / "demo-credentials.txt"
    assert creds.exists() and stat.S_IMODE(creds.stat().st_mode) == 0o600
    assert first["core_user"] == 3 and first["core_district"] == 15 and first["lotsen_pilot"] > 0
    assert plugin_rows()["lotsen"]["enabled"] is True
    lines = creds.read_text().splitlines()

    second = mash("demo", "load")
    assert "demo data loaded" in second.output
    assert _row_counts(engine) == first
    assert creds.read_text().splitlines() == lines  # no new users, no new credentials


def test_demo_load_with_every_installed_plugin_is_idempotent(instance, monkeypatch):
    """What `make demo` does twice: every installed plugin enabled, data neither lost nor doubled."""
    _, engine = instance
    monkeypatch.delenv("MASH_DISABLE_PLUGINS")
    mash("demo", "load")
    first = _row_counts(engine)
    rows = plugin_rows()
    assert {s for s, r in rows.items() if r["enabled"]} == {s for s, r in rows.items() if r["state"] == "active"}
    mash("demo", "load")
    assert _row_counts(engine) == first
