"""Gritting plans: instance from the demo network, plan verified and stored, silo without salt,
CLI with progress, GeoJSON/GPX export, permissions, plan page."""

import json

import pytest
from click.testing import CliRunner

from wintersmart_support import api_headers, in_municipality, rows

pytestmark = pytest.mark.mash_plugins("wintersmart")


def _demo(app, silo_kg=50000.0):
    from mash_core.api import db_session, select
    from mash_wintersmart.demo import load
    from mash_wintersmart.models_bins import Container
    with in_municipality(app):
        load()
        s = db_session()
        for c in s.exec(select(Container).where(Container.kind == "silo").order_by(Container.id)).all():
            c.level_kg = silo_kg
        s.commit()


def test_instance_from_demo_network(mash_app):
    from mash_core.api import db_session, get_settings
    from mash_wintersmart.planning import build_network, instance_for
    _demo(mash_app)
    with in_municipality(mash_app):
        settings = dict(get_settings("wintersmart"))
        net = build_network(db_session(), settings)
        segs = [e for e in net.edges if e[4] is not None]
        assert len(segs) == 25  # every demo segment has a geometry
        # all demo segments are priority 1 or 2 → all required; demand = 15 g/m² · length · 7 m
        assert len(net.required_segments) == 25
        length = rows(mash_app, "SELECT length_m FROM wintersmart_road_segment ORDER BY id")[0][0]
        first = next(e for e in net.edges if e[4] is not None)
        assert first[3] == pytest.approx(15 * length * 7 / 1000, abs=1)
        inst = instance_for(net, (8.68, 49.379), 4000)
        assert inst.depot == inst.n_vertices - 1 and inst.sp is not None  # connected (connectors added)
        settings["gritting_max_priority_class"] = 1
        assert len(build_network(db_session(), settings).required_segments) < 25


def test_plan_verified_stored_and_exported(mash_app):
    from mash_wintersmart.planning import plan_geojson, plan_gpx, plan_gritting
    _demo(mash_app)
    with in_municipality(mash_app):
        plan = plan_gritting(time_limit=1.0, vehicles=2)
        assert plan.verified and plan.cost_m > 0 and plan.silo_id is not None
        served = sorted(s for r in plan.routes for s in r["segments"])
        assert served == sorted(int(k) for k in plan.params["required"])  # each once
        assert all(r["load_kg"] <= plan.params["vehicle_capacity_kg"] for r in plan.routes)
        gj = plan_geojson(plan)
        assert gj["type"] == "FeatureCollection"
        kinds = {f["properties"]["kind"] for f in gj["features"]}
        assert kinds == {"route", "service"}
        assert all(f["geometry"]["type"] == "LineString" for f in gj["features"])
        gpx = plan_gpx(plan)
        assert gpx.startswith("<?xml") and gpx.count("<trk>") == len(plan.routes)
    assert rows(mash_app, "SELECT count(*), sum(CASE WHEN verified THEN 1 ELSE 0 END) FROM wintersmart_gritting_plan") == [(1, 1)]


def test_solver_setting_picks_the_driver(mash_app, monkeypatch):
    from mash_wintersmart.planning import plan_gritting
    _demo(mash_app)
    with in_municipality(mash_app):
        assert plan_gritting(time_limit=1.0, vehicles=2).solver == "native-ils"  # the default
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_GRITTING_SOLVER", "pyvrp")
    with in_municipality(mash_app):
        assert plan_gritting(time_limit=1.0, vehicles=2).solver == "pyvrp-gvrp"
    assert rows(mash_app, "SELECT solver, verified FROM wintersmart_gritting_plan ORDER BY id") == [
        ("native-ils", True), ("pyvrp-gvrp", True)]


def test_silo_without_salt_is_an_error(mash_app):
    from mash_wintersmart.planning import NoSiloAvailable, plan_gritting
    _demo(mash_app, silo_kg=100.0)
    with in_municipality(mash_app):
        with pytest.raises(NoSiloAvailable, match="kg of salt"):
            plan_gritting(time_limit=0.5)
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_gritting_plan") == [(0,)]


def test_cli_plan(mash_app):
    from mash_wintersmart.cli import cli
    _demo(mash_app)
    result = CliRunner().invoke(cli, ["plan", "--time-limit", "1", "--vehicles", "3"], obj=mash_app)
    assert result.exit_code == 0, result.output
    assert "plan 1:" in result.output and "verified=True" in result.output and "vehicle 1 trip 1" in result.output
    _demo(mash_app, silo_kg=0.0)
    result = CliRunner().invoke(cli, ["plan", "--time-limit", "0.5"], obj=mash_app)
    assert result.exit_code != 0 and "no silo" in result.output


def test_api_exports_page_and_permissions(mash_app, client_as):
    _demo(mash_app)
    headers = api_headers(mash_app)
    client = client_as(None)
    r = client.post("/api/v1/wintersmart/gritting-plans", json={"time_limit_s": 1}, headers=headers)
    assert r.status_code == 201, r.get_json()
    pid = r.get_json()["id"]
    assert r.get_json()["verified"] and r.get_json()["routes"]
    listed = client.get("/api/v1/wintersmart/gritting-plans", headers=headers).get_json()
    assert [p["id"] for p in listed] == [pid]
    assert client.get(f"/api/v1/wintersmart/gritting-plans/{pid}", headers=headers).get_json()["cost_m"] > 0
    r = client.get(f"/api/v1/wintersmart/gritting-plans/{pid}.geojson", headers=headers)
    assert r.status_code == 200 and r.mimetype == "application/geo+json"
    assert json.loads(r.data)["features"][0]["properties"]["vehicle"] >= 1
    r = client.get(f"/api/v1/wintersmart/gritting-plans/{pid}.gpx", headers=headers)
    assert r.status_code == 200 and b"<gpx" in r.data
    assert client.get(f"/api/v1/wintersmart/gritting-plans/{pid + 1}", headers=headers).status_code == 404
    # without a token or with a token lacking the scope
    assert client.get("/api/v1/wintersmart/gritting-plans").status_code == 401
    other = api_headers(mash_app, scopes=("other.scope",), email="x@example.org")
    assert client.get(f"/api/v1/wintersmart/gritting-plans/{pid}.gpx", headers=other).status_code == 403
    # the page: anonymous → login, operator → map and table
    assert client_as(None).get(f"/wintersmart/plaene/{pid}").status_code in (302, 401, 403)
    page = client_as("staff").get(f"/wintersmart/plaene/{pid}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<table" in html and "Theodor-Heuss-Brücke" in html and "<script>" not in html and " style=" not in html
    assert client_as("staff").get("/wintersmart/plaene").status_code == 200


def test_autoplan_job_only_when_set_or_in_demo_mode(mash_app, monkeypatch):
    from datetime import datetime, timedelta, timezone
    from mash_wintersmart.planning import autoplan_job
    _demo(mash_app)
    with in_municipality(mash_app):
        assert autoplan_job() == "off"  # the default
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_gritting_plan") == [(0,)]
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_DEMO_SIMULATOR", "true")
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_GRITTING_TIME_LIMIT_S", "30")
    with in_municipality(mash_app):
        first = autoplan_job()
        assert first.startswith("plan ")
        assert autoplan_job() == "not due"
        later = datetime.now(timezone.utc) + timedelta(minutes=5)  # demo: every DEMO_PLAN_MIN = 5 minutes
        assert autoplan_job(now=later).startswith("plan ")
    plans = rows(mash_app, "SELECT verified, params FROM wintersmart_gritting_plan ORDER BY id")
    assert len(plans) == 2 and all(v for v, _ in plans)
    params = plans[0][1] if isinstance(plans[0][1], dict) else json.loads(plans[0][1])  # PostgreSQL: parsed
    assert params["time_limit_s"] == 3.0  # demo plans search briefly, not the 30 s set
    # an operator's interval wins, with the operator's search time
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_GRITTING_AUTO_PLAN_MIN", "60")
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_GRITTING_TIME_LIMIT_S", "1")
    with in_municipality(mash_app):
        assert autoplan_job(now=later + timedelta(minutes=30)) == "not due"
        assert autoplan_job(now=later + timedelta(minutes=61)).startswith("plan ")
    # a plan that cannot be made is reported, not raised
    _demo(mash_app, silo_kg=0.0)
    with in_municipality(mash_app):
        assert autoplan_job(now=later + timedelta(minutes=200)).startswith("no plan: no silo holds")
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_gritting_plan") == [(3,)]
