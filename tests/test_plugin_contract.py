"""The plugin contract: quarantine with a visible reason, isolated failures, runtime enable/disable
seen by every web worker, the environment override for recovery."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import Session, select

from fixture_plugins import load, other_worker, post_form, text
from mash_core.app import create_app
from mash_core.config import Settings
from mash_core.db import UNSCOPED, make_engine
from mash_core.models import AuditEntry, Municipality, PluginError, PluginState
from mash_core.plugins.state import PluginStateError
from mash_core.tenancy import municipality_context
from mash_core.testing import host_client, login_client, make_user


def admin_client(app, host="localhost", email="admin@example.org"):
    return login_client(app, make_user(app, email, ["admin"]), host=host)


def anonymous(app, host="localhost"):
    return host_client(app, host)


def _raise_import_error():
    raise ImportError("No module named 'mash_gone'")


QUARANTINE_CASES = [
    ("fxunknown", lambda: load("fx_unknownhook"), "unknown hook(s): mash_frobnicate"),
    ("fxwrongargs", lambda: load("fx_wrongargs"), "invalid hook implementation"),
    ("fxgone", lambda: _raise_import_error, "import failed: ImportError: No module named 'mash_gone'"),
    ("fxneedsmissing", lambda: load("fx_needsmissing"), "requires missing plugin(s): nosuchplugin"),
    ("fxnewapi", lambda: load("fx_newapi"), "supports plugin API >=2.0,<3, core provides 1.2"),
    ("fxbadprefix", lambda: load("fx_badprefix"), "table 'wrongprefix_thing' lacks prefix 'fxbadprefix_'"),
    ("fxunscoped", lambda: load("fx_unscoped"), "table 'fxunscoped_thing' is not municipality-scoped"),
]


@pytest.mark.parametrize("slug,module,reason", QUARANTINE_CASES, ids=[c[0] for c in QUARANTINE_CASES])
def test_broken_plugin_is_quarantined_with_visible_reason(mash_app_factory, slug, module, reason):
    app = mash_app_factory(plugins=("lotsen",), extra={slug: module()})
    registry = app.extensions["mash"].registry
    record = registry.records[slug]
    assert record.state == "quarantined"
    assert reason in record.reason
    # a quarantined plugin is not registered with pluggy and never takes part
    assert not registry.pm.has_plugin(slug)
    assert slug not in {r.slug for r in registry.active()}

    admin = admin_client(app)
    listing = admin.get("/admin/module")
    assert listing.status_code == 200
    row = text(listing).split(f'<tr data-slug="{slug}"', 1)[1].split("</tr>", 1)[0]
    assert "In Quarantäne" in row and reason in row
    assert "Aktivieren" not in row  # no enable button for a broken plugin
    detail = admin.get(f"/admin/module/{slug}")
    assert detail.status_code == 200 and reason in text(detail)

    # everything else keeps working
    home = anonymous(app).get("/")
    assert home.status_code == 200
    assert 'data-slug="lotsen"' in home.get_data(as_text=True)
    assert anonymous(app).get("/lotsen/").status_code == 200

    # and it cannot be enabled by hand
    mash = app.extensions["mash"]
    with Session(mash.engine) as session:
        m = session.exec(select(Municipality), execution_options=UNSCOPED).first()
        with pytest.raises(PluginStateError, match="cannot be enabled"):
            mash.states.set_enabled(session, m, slug, True)


def test_wrong_argument_names_reason_names_the_argument(mash_app_factory):
    app = mash_app_factory(plugins=(), extra={"fxwrongargs": load("fx_wrongargs")})
    reason = app.extensions["mash"].registry.records["fxwrongargs"].reason
    assert "mash_slot_items" in reason and "req" in reason


def test_manifest_slug_must_match_entry_point_name(mash_app_factory):
    app = mash_app_factory(plugins=(), extra={"otherslug": load("fx_needs")})
    record = app.extensions["mash"].registry.records["otherslug"]
    assert record.state == "quarantined"
    assert "differs from manifest slug 'fxneeds'" in record.reason


def test_dependents_of_a_quarantined_plugin_are_quarantined(mash_app_factory):
    # lotsen is disabled by the recovery override, so fxneeds misses its requirement
    app = mash_app_factory(plugins=("lotsen",), extra={"fxneeds": load("fx_needs")}, disabled=("lotsen",))
    record = app.extensions["mash"].registry.records["fxneeds"]
    assert record.state == "quarantined" and "requires missing plugin(s): lotsen" in record.reason


def test_raising_slot_hook_leaves_page_intact_and_records_error(mash_app_factory, caplog):
    app = mash_app_factory(plugins=("lotsen",), extra={"fxboom": load("fx_boom")})
    caplog.set_level(logging.ERROR)
    home = anonymous(app).get("/")
    assert home.status_code == 200
    html = home.get_data(as_text=True)
    assert 'data-slug="lotsen"' in html  # the other plugin's tile is there
    assert "Boom nav" in html  # the same plugin's other slots still work
    assert 'class="tile" data-slug="fxboom"' not in html

    logged = [r for r in caplog.records if r.name == "mash.fxboom"]
    assert logged and "tiles hook exploded" in logged[0].getMessage()
    assert "mash_slot_items" in logged[0].getMessage()

    engine = app.extensions["mash"].engine
    with Session(engine) as session:
        row = session.exec(select(PluginError).where(PluginError.slug == "fxboom")).one()
    assert row.place == "mash_slot_items" and "tiles hook exploded" in row.message
    assert "tiles hook exploded" in app.extensions["mash"].registry.records["fxboom"].last_error

    # a second failure updates the same row and counts it
    anonymous(app).get("/")
    with Session(engine) as session:
        row = session.exec(select(PluginError).where(PluginError.slug == "fxboom")).one()
    assert row.count == 2

    admin = admin_client(app)
    detail = text(admin.get("/admin/module/fxboom"))
    assert "Boom: tiles hook exploded" in detail and "(2×)" in detail
    row = text(admin.get("/admin/module")).split('<tr data-slug="fxboom"', 1)[1].split("</tr>", 1)[0]
    assert "Letzter Fehler" in row and "exploded" in row


def test_widget_whose_render_raises_is_left_out(mash_app_factory, caplog):
    app = mash_app_factory(plugins=("lotsen",), extra={"fxboom": load("fx_boom")})
    staff = login_client(app, make_user(app, "staff@example.org", ["staff"]))
    caplog.set_level(logging.ERROR)
    page = staff.get("/dashboard")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "fine widget body" in html
    assert "Boom widget" not in html
    assert 'data-slug="lotsen"' in html  # lotsen's widget (lotsen.manage is granted to staff)
    assert any(r.name == "mash.fxboom" and "widget render exploded" in r.getMessage() for r in caplog.records)
    with Session(app.extensions["mash"].engine) as session:
        row = session.exec(select(PluginError).where(PluginError.slug == "fxboom")).one()
    assert row.place == "slot dashboard.widgets" and "widget render exploded" in row.message

    admin = admin_client(app)
    assert "widget render exploded" in text(admin.get("/admin/module/fxboom"))


def test_raising_sections_on_account_and_admin_pages_are_left_out(mash_app_factory):
    app = mash_app_factory(plugins=(), extra={"fxboom": load("fx_boom")})
    citizen = login_client(app, make_user(app, "citizen@example.org", ["citizen"]))
    page = citizen.get("/konto/")
    assert page.status_code == 200 and "Boom section" not in page.get_data(as_text=True)

    admin = admin_client(app)
    detail = admin.get("/admin/module/fxboom")
    assert detail.status_code == 200
    html = detail.get_data(as_text=True)
    assert "Fine admin section" in html and "fine widget body" in html
    assert "Boom admin section" not in html


def test_wrong_item_type_is_left_out_and_recorded(mash_app_factory, monkeypatch):
    boom = load("fx_boom")
    app = mash_app_factory(plugins=(), extra={"fxboom": boom})
    from mash_core.slots import Link

    impl = next(i for i in app.extensions["mash"].registry.pm.hook.mash_slot_items.get_hookimpls()
                if i.plugin_name == "fxboom")
    monkeypatch.setattr(impl, "function",
                        lambda slot, request: [Link("not a tile", url="/x")] if slot == "home.tiles" else None)
    page = anonymous(app).get("/")
    assert page.status_code == 200 and "not a tile" not in page.get_data(as_text=True)
    assert "expected Tile, got Link" in app.extensions["mash"].registry.records["fxboom"].last_error


def test_environment_override_disables_a_plugin(mash_app_factory):
    app = mash_app_factory(plugins=("lotsen",), disabled=("lotsen",))
    record = app.extensions["mash"].registry.records["lotsen"]
    assert record.state == "off" and "MASH_DISABLE_PLUGINS" in record.reason
    client = anonymous(app)
    assert client.get("/lotsen/").status_code == 404
    api = client.get("/api/v1/lotsen/pilots")
    assert api.status_code == 404 and api.is_json
    assert 'data-slug="lotsen"' not in client.get("/").get_data(as_text=True)
    admin = admin_client(app)
    row = text(admin.get("/admin/module")).split('<tr data-slug="lotsen"', 1)[1].split("</tr>", 1)[0]
    assert "Per Umgebung abgeschaltet" in row and "Aktivieren" not in row
    refused = post_form(admin, "/admin/module/lotsen/status", {"enabled": "1"}, token_from="/admin/module",
                        follow_redirects=True)
    assert "cannot be enabled" in text(refused)
    assert client.get("/lotsen/").status_code == 404


def test_environment_variable_reaches_the_default_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("MASH_DISABLE_PLUGINS", " lotsen , nosuchplugin,")
    settings = Settings.from_env(instance=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}",
                                 secret_key="k")
    assert settings.disabled_plugins == ["lotsen", "nosuchplugin"]
    engine = make_engine(settings.database_url)
    try:
        app = create_app(settings, engine=engine)  # discovers installed plugins itself
        assert app.extensions["mash"].registry.records["lotsen"].state == "off"
    finally:
        engine.dispose()


# -- runtime enable/disable across web workers ---------------------------------------------------


@pytest.fixture
def second_worker():
    """Build another app (another web worker) on the same database as ``app``."""
    engines = []

    def build(app, plugins, extra=None):
        other, engine = other_worker(app, plugins, extra)
        engines.append(engine)
        return other

    yield build
    for engine in engines:
        engine.dispose()


def _enabled(app, slug="heidelberg") -> set[str]:
    with Session(app.extensions["mash"].engine) as session:
        m = session.exec(select(Municipality).where(Municipality.slug == slug), execution_options=UNSCOPED).one()
        with municipality_context(m.id):
            rows = session.exec(select(PluginState).where(PluginState.enabled == True)).all()  # noqa: E712
    return {r.slug for r in rows}


def test_disable_in_one_worker_is_seen_by_the_other_on_its_next_request(mash_app_factory, second_worker):
    extra = {"fxneeds": load("fx_needs")}
    app1 = mash_app_factory(plugins=("lotsen",), extra=extra)
    app2 = second_worker(app1, ("lotsen",), extra)
    admin1 = admin_client(app1)
    visitor2 = anonymous(app2)

    # worker 2 has seen (and cached) the enabled state
    assert visitor2.get("/lotsen/").status_code == 200
    home = visitor2.get("/").get_data(as_text=True)
    assert 'data-slug="lotsen"' in home and "Needs-Lotsen tile" in home

    # lotsen cannot be disabled while fxneeds (which requires it) is enabled
    refused = post_form(admin1, "/admin/module/lotsen/status", {"enabled": "0"}, token_from="/admin/module",
                        follow_redirects=True)
    assert "fxneeds require(s) lotsen; disable them first" in text(refused)
    assert "lotsen" in _enabled(app1)

    for slug in ("fxneeds", "lotsen"):
        done = post_form(admin1, f"/admin/module/{slug}/status", {"enabled": "0"}, token_from="/admin/module")
        assert done.status_code == 302
    assert _enabled(app1) == set()

    # worker 2 answers 404 for page and API on its very next request; the tiles are gone
    assert visitor2.get("/lotsen/").status_code == 404
    api = visitor2.get("/api/v1/lotsen/pilots")
    assert api.status_code == 404 and api.get_json()["code"] == 404
    home = visitor2.get("/").get_data(as_text=True)
    assert 'data-slug="lotsen"' not in home and "Needs-Lotsen tile" not in home
    assert "lotsen" not in visitor2.get("/api/v1/core/plugins").get_data(as_text=True)

    # enabling checks required plugins: fxneeds needs lotsen, which is disabled
    refused = post_form(admin1, "/admin/module/fxneeds/status", {"enabled": "1"}, token_from="/admin/module",
                        follow_redirects=True)
    assert "fxneeds requires lotsen to be enabled first" in text(refused)
    assert _enabled(app1) == set()

    # re-enable through worker 2; worker 1 sees it
    admin2 = login_client(app2, make_user(app2, "admin2@example.org", ["admin"]))
    for slug in ("lotsen", "fxneeds"):
        assert post_form(admin2, f"/admin/module/{slug}/status", {"enabled": "1"},
                         token_from="/admin/module").status_code == 302
    visitor1 = anonymous(app1)
    assert visitor1.get("/lotsen/").status_code == 200
    assert visitor1.get("/api/v1/lotsen/pilots").status_code == 200
    assert "Needs-Lotsen tile" in visitor1.get("/").get_data(as_text=True)
    assert visitor2.get("/lotsen/").status_code == 200

    # every change is audited
    with Session(app1.extensions["mash"].engine) as session:
        entries = session.exec(select(AuditEntry), execution_options=UNSCOPED).all()
    actions = [(e.action, e.target) for e in entries]
    assert actions.count(("plugin.disabled", "lotsen")) == 1
    assert actions.count(("plugin.enabled", "fxneeds")) == 1


def test_disable_is_per_municipality(mash_app_factory):
    app = mash_app_factory(plugins=("lotsen",), municipalities=("heidelberg", "musterdorf"))
    mash = app.extensions["mash"]
    with Session(mash.engine) as session:
        m = session.exec(select(Municipality).where(Municipality.slug == "musterdorf"),
                         execution_options=UNSCOPED).one()
        mash.states.set_enabled(session, m, "lotsen", False)
    assert anonymous(app, "musterdorf.test").get("/lotsen/").status_code == 404
    assert anonymous(app, "localhost").get("/lotsen/").status_code == 200
    assert _enabled(app, "heidelberg") == {"lotsen"} and _enabled(app, "musterdorf") == set()


def test_admin_pages_need_admin(mash_app_factory):
    app = mash_app_factory(plugins=("lotsen",))
    assert anonymous(app).get("/admin/module").status_code == 302
    staff = login_client(app, make_user(app, "staff@example.org", ["staff"]))
    assert staff.get("/admin/module").status_code == 403
    assert post_form(staff, "/admin/module/lotsen/status", {"enabled": "0"}).status_code == 403
    assert _enabled(app) == {"lotsen"}
