"""Grit bins and salt silos: fill from distance per shape (hand-computed values), median
filter, consumption, forecasts, alerts once per crossing, refill tours from a silo with salt —
on road distances over the imported network (straight line × 1.3 off the network)."""

import math
from datetime import timedelta

import pytest

from mash_core.api import municipality_context
from wintersmart_support import feed, in_municipality, rows, station, utc

from mash_wintersmart.bins import (Shape, consumption_rate, fill_from_distance, forecast_at, median_filter)

T0 = utc(2026, 1, 10, 6, 0)


# -- pure functions ---------------------------------------------------------------------------
def test_fill_straight_walls_is_linear():
    # d_empty 800, d_full 200: 600 mm usable; d = 500 → h = 300 → 50 %
    box = Shape("box", 600, length_mm=1000, width_mm=700)
    assert fill_from_distance(500, 800, 200, box) == pytest.approx(0.5)
    assert fill_from_distance(650, 800, 200, box) == pytest.approx(0.25)
    cyl = Shape("cylinder", 700, diameter_mm=800)
    assert fill_from_distance(375, 900, 200, cyl) == pytest.approx(0.75)
    # clamped: beyond the floor and inside the blind zone
    assert fill_from_distance(900, 800, 200, box) == 0.0
    assert fill_from_distance(100, 800, 200, box) == 1.0
    # volume of the box: 1.0 m × 0.7 m × 0.6 m
    assert box.full_volume_m3() == pytest.approx(0.42)
    assert cyl.full_volume_m3() == pytest.approx(math.pi * 0.4 ** 2 * 0.7)
    with pytest.raises(ValueError):
        fill_from_distance(500, 200, 800)


def test_fill_cone_bottom_silo_hand_computed():
    # pointed cone 2 m high under a cylinder of 3 m diameter, 8 m usable height:
    # V(full) = π·1.5²·2/3 + π·1.5²·6 = 15π m³
    silo = Shape("cone_silo", 8000, diameter_mm=3000, cone_height_mm=2000, outlet_diameter_mm=0)
    assert silo.full_volume_m3() == pytest.approx(15 * math.pi)
    d_empty, d_full = 8800, 800
    # half the cone height: r = 0.75, V = π·0.75²·1/3 = 0.1875π → 1/80
    assert fill_from_distance(d_empty - 1000, d_empty, d_full, silo) == pytest.approx(1 / 80)
    # top of the cone: 1.5π → 10 %
    assert fill_from_distance(d_empty - 2000, d_empty, d_full, silo) == pytest.approx(0.1)
    # 3 m of cylinder above the cone: 1.5π + 6.75π = 8.25π → 55 %
    assert fill_from_distance(d_empty - 5000, d_empty, d_full, silo) == pytest.approx(0.55)
    # a frustum with an outlet of 1 m diameter, 1 m high, top diameter 2 m: π/3·(0.25+0.5+1) = 1.75π/3
    frustum = Shape("cone_silo", 1000, diameter_mm=2000, cone_height_mm=1000, outlet_diameter_mm=1000)
    assert frustum.full_volume_m3() == pytest.approx(1.75 * math.pi / 3)


def test_median_filter_drops_spikes():
    assert median_filter([500, 500, 120, 510, 515], 3) == [500, 500, 500, 500, 510]
    assert median_filter([1, 2], 1) == [1, 2]


def test_consumption_robust_and_ignores_refills():
    days = [T0 + timedelta(days=d) for d in range(6)]
    # 10 % per day, a refill to 90 % on day 3, one outlier
    levels = [0.8, 0.7, 0.6, 0.9, 0.8, 0.7]
    assert consumption_rate(list(zip(days, levels)), 0.1) == pytest.approx(0.1)
    noisy = [0.8, 0.7, 0.2, 0.5, 0.4, 0.3]  # a spike down on day 2
    assert consumption_rate(list(zip(days, noisy)), 0.1) == pytest.approx(0.1)
    assert consumption_rate([(T0, 0.5)], 0.1) is None
    # a rising level (no use) is never negative consumption
    assert consumption_rate([(T0, 0.5), (T0 + timedelta(hours=2), 0.55)], 0.1) == 0.0


def test_forecast():
    assert forecast_at(T0, 0.5, 0.3, 0.1) == T0 + timedelta(days=2)
    assert forecast_at(T0, 0.2, 0.3, 0.1) == T0
    assert forecast_at(T0, 0.5, 0.3, 0.0) is None


# -- with the database ------------------------------------------------------------------------
def _container(app, **kw):
    from mash_core.api import db_session
    from mash_wintersmart.models import Thing
    from mash_wintersmart.models_bins import Container

    with in_municipality(app):
        s = db_session()
        t = Thing(key=kw["key"], kind="grit_bin_sensor", name=kw["key"])
        s.add(t)
        s.flush()
        spec = dict(name=kw["key"], kind="bin", shape="box", d_empty_mm=800.0, d_full_mm=200.0, length_mm=1000.0,
                    width_mm=700.0, lat=49.41, lon=8.69)
        spec.update(kw)
        c = Container(thing_id=t.id, **spec)
        s.add(c)
        s.commit()
        return c.id


def _distances(key, values, start=T0, step=timedelta(hours=1)):
    return [station(key, start + i * step, distance=v) for i, v in enumerate(values)]


def _update(app, now):
    from mash_wintersmart.bins import update_containers
    with in_municipality(app):
        return update_containers(now=now)


def _get(app, cid):
    from mash_core.api import db_session
    from mash_wintersmart.models_bins import Container
    with in_municipality(app):
        c = db_session().get(Container, cid)
        db_session().expunge(c)
        return c


@pytest.mark.mash_plugins("wintersmart")
def test_readings_median_consumption_alert_once_per_crossing(mash_app):
    cid = _container(mash_app, key="bin-a")
    # 50 % → falling 30 mm (5 %) per hour, with one spike (a hand in the bin) filtered out
    values = [500, 530, 560, 250, 620, 650, 680]
    assert feed(mash_app, _distances("bin-a", values)) == []
    now = T0 + timedelta(hours=7)
    assert _update(mash_app, now) == 7
    c = _get(mash_app, cid)
    # last median of (620, 650, 680) = 650 → h = 150 → 25 % → below the 30 % threshold
    assert c.fill == pytest.approx(0.25)
    assert c.level_kg == pytest.approx(0.25 * 0.42 * 1200)
    # 5 % per hour = 1.2 per day of the fill → 604.8 kg/day
    assert c.consumption_kg_per_day == pytest.approx(1.2 * 504, rel=0.25)
    assert c.alert_active
    assert c.forecast_empty_at is not None and c.forecast_empty_at > c.reading_at
    medians = [r[0] for r in rows(mash_app, "SELECT median_mm FROM wintersmart_fill_reading ORDER BY time")]
    assert medians == [500, 515, 530, 530, 560, 620, 650]  # the spike (250) never shows
    # idempotent: nothing new, no second alert
    assert _update(mash_app, now) == 0
    assert rows(mash_app, "SELECT kind, cleared_at FROM wintersmart_container_alert") == [("bin_low", None)]
    # further readings below the threshold: still one alert
    feed(mash_app, _distances("bin-a", [700, 710, 720], start=T0 + timedelta(hours=7)))
    _update(mash_app, T0 + timedelta(hours=10))
    assert len(rows(mash_app, "SELECT id FROM wintersmart_container_alert")) == 1
    # refilled to full: cleared; falls again: a second alert
    feed(mash_app, _distances("bin-a", [200, 200, 200], start=T0 + timedelta(hours=10)))
    _update(mash_app, T0 + timedelta(hours=13))
    c = _get(mash_app, cid)
    assert c.fill == 1.0 and not c.alert_active
    assert rows(mash_app, "SELECT cleared_at IS NOT NULL FROM wintersmart_container_alert") == [(1,)]
    feed(mash_app, _distances("bin-a", [700, 700, 700], start=T0 + timedelta(hours=13)))
    _update(mash_app, T0 + timedelta(hours=16))
    assert len(rows(mash_app, "SELECT id FROM wintersmart_container_alert")) == 2


@pytest.mark.mash_plugins("wintersmart")
def test_out_of_range_and_tilted_readings_are_dropped(mash_app):
    cid = _container(mash_app, key="bin-b")
    feed(mash_app, _distances("bin-b", [500, 5000, 500]))
    feed(mash_app, [station("bin-b", T0 + timedelta(hours=3), distance=790, tilt=1)])
    _update(mash_app, T0 + timedelta(hours=4))
    assert rows(mash_app, "SELECT distance_mm FROM wintersmart_fill_reading ORDER BY time") == [(500,), (500,)]
    assert _get(mash_app, cid).fill == pytest.approx(0.5)


@pytest.mark.mash_plugins("wintersmart")
def test_silo_resupply_alert_and_refill_plan_uses_silo_with_salt(mash_app):
    silo_shape = dict(kind="silo", shape="cone_silo", d_empty_mm=8800.0, d_full_mm=800.0, diameter_mm=3000.0,
                      cone_height_mm=2000.0, outlet_diameter_mm=0.0)
    empty_silo = _container(mash_app, key="silo-empty", lat=49.40, lon=8.68, **silo_shape)
    full_silo = _container(mash_app, key="silo-full", lat=49.42, lon=8.70, **silo_shape)
    bins = [_container(mash_app, key=f"bin-{i}", lat=49.41 + i * 0.001, lon=8.69 + i * 0.001) for i in range(4)]
    msgs = _distances("silo-empty", [8700, 8700, 8700]) + _distances("silo-full", [1000, 1000, 1000])
    # bins 0 and 1 at 10 % (required), 2 at 50 % (optional), 3 full (not a candidate)
    for i, d in enumerate([740, 740, 500, 200]):
        msgs += _distances(f"bin-{i}", [d, d, d])
    feed(mash_app, msgs)
    _update(mash_app, T0 + timedelta(hours=3))
    alerts = rows(mash_app, "SELECT container_id, kind FROM wintersmart_container_alert ORDER BY container_id")
    assert (empty_silo, "silo_resupply") in alerts and (bins[0], "bin_low") in alerts
    assert all(c != full_silo for c, _ in alerts)

    from mash_wintersmart.bins import NoSiloAvailable, plan_refill_tours
    with in_municipality(mash_app):
        plan = plan_refill_tours(vehicle_capacity_kg=1000, time_limit=1.0)
        assert plan.silo_id == full_silo and plan.verified
        visited = {c for r in plan.routes for c in r["containers"]}
        assert {bins[0], bins[1]} <= visited and bins[3] not in visited
        assert set(plan.skipped) | visited == {bins[0], bins[1], bins[2]}
        from mash_core.api import db_session
        from mash_wintersmart.models_bins import Container
        db_session().get(Container, full_silo).level_kg = 100.0  # less than the bins need
        db_session().commit()
        with pytest.raises(NoSiloAvailable):
            plan_refill_tours(vehicle_capacity_kg=1000, time_limit=0.5)
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_refill_plan") == [(1,)]


# A river between the silo at A and bin X, 200 m north of it; the only bridge is 1 km east:
#   D ----------- C      X at D: 200 m from the silo in a straight line, 2200 m by road
#   |  (river)    |      Y at E: 500 m from the silo in a straight line and by road
#   A ---- E ---- B      segments A–E, E–B, B–C (the bridge), C–D
M_PER_DEG = 6371008.8 * math.pi / 180  # haversine's Earth radius
EAST_500 = 500 / (M_PER_DEG * math.cos(math.radians(49.4)))
NORTH_200 = 200 / M_PER_DEG
PA = (8.70, 49.40)
PE, PB = (PA[0] + EAST_500, PA[1]), (PA[0] + 2 * EAST_500, PA[1])
PC, PD = (PB[0], PA[1] + NORTH_200), (PA[0], PA[1] + NORTH_200)
RIVER = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"osm_id": 900 + i, "highway": "residential", "name": name},
     "geometry": {"type": "LineString", "coordinates": [list(a), list(b)]}}
    for i, (name, a, b) in enumerate([("Uferstraße West", PA, PE), ("Uferstraße Ost", PE, PB),
                                      ("Brücke", PB, PC), ("Nordufer", PC, PD)])]}
SILO = dict(kind="silo", shape="cone_silo", d_empty_mm=8800.0, d_full_mm=800.0, diameter_mm=3000.0,
            cone_height_mm=2000.0, outlet_diameter_mm=0.0)


@pytest.mark.mash_plugins("wintersmart")
def test_refill_tour_runs_on_road_distances(mash_app):
    from mash_core.api import db_session
    from mash_wintersmart.bins import plan_refill_tours
    from mash_wintersmart.network import import_network
    from mash_wintersmart.planning import DETOUR, REFILL_SNAP_M, build_network, haversine_m, road_distances

    with in_municipality(mash_app):
        assert import_network(RIVER).created == 4
    silo = _container(mash_app, key="silo", lon=PA[0], lat=PA[1], **SILO)
    x = _container(mash_app, key="bin-x", lon=PD[0], lat=PD[1])
    y = _container(mash_app, key="bin-y", lon=PE[0], lat=PE[1])
    feed(mash_app, _distances("silo", [1000] * 3) + _distances("bin-x", [740] * 3) + _distances("bin-y", [740] * 3))
    _update(mash_app, T0 + timedelta(hours=3))
    lengths = dict(rows(mash_app, "SELECT name, length_m FROM wintersmart_road_segment"))
    ae, eb, bc, cd = (round(lengths[n]) for n in ("Uferstraße West", "Uferstraße Ost", "Brücke", "Nordufer"))
    assert (ae, eb, bc, cd) == (500, 500, 200, 1000)
    with in_municipality(mash_app):
        from mash_core.api import get_settings
        net = build_network(db_session(), get_settings("wintersmart"))
        road = road_distances(net, [PA, PD, PE])
        # in a straight line X is the nearer bin, by road Y is
        assert haversine_m(PA, PD) < haversine_m(PA, PE)
        assert road.matrix[0][1] == ae + eb + bc + cd > road.matrix[0][2] == ae
        assert road.matrix[1][2] == eb + bc + cd and road.off_network == []
        # a bin beside the middle of a long segment is 10 m from the network, not 500 m from a node
        pw = ((PC[0] + PD[0]) / 2, PD[1] + 10 / M_PER_DEG)
        road = road_distances(net, [PA, pw, PD])
        assert road.snapped[1][0] == pytest.approx(10, abs=0.1)
        assert road.matrix[0][1] == pytest.approx(ae + eb + bc + cd / 2 + 10, abs=1)
        assert road.matrix[1][2] == pytest.approx(cd / 2 + 10, abs=1)  # along the same segment

        plan = plan_refill_tours(vehicle_capacity_kg=1000, time_limit=1.0)
        assert plan.verified and plan.silo_id == silo and len(plan.routes) == 1
        assert sorted(plan.routes[0]["containers"]) == sorted([x, y])
        # the tour is silo → Y → (bridge) → X → silo or back: twice the loop, by road
        assert plan.distance_m == plan.routes[0]["distance_m"] == 2 * (ae + eb + bc + cd)
        assert plan.params["distances"] == "road" and plan.params["off_network"] == []

    # a bin 1 km north of the network: straight line × 1.3, reported
    z = _container(mash_app, key="bin-z", lon=PD[0], lat=PD[1] + 5 * NORTH_200)
    feed(mash_app, _distances("bin-z", [740] * 3))
    _update(mash_app, T0 + timedelta(hours=3))
    with in_municipality(mash_app):
        pz = (PD[0], PD[1] + 5 * NORTH_200)
        road = road_distances(net, [PA, PD, pz])
        assert road.off_network == [2] and road.snapped[2] is None and haversine_m(pz, PD) > REFILL_SNAP_M
        assert road.matrix[0][2] == round(haversine_m(PA, pz) * DETOUR)
        assert road.matrix[1][2] == round(haversine_m(PD, pz) * DETOUR)
        plan = plan_refill_tours(vehicle_capacity_kg=2000, time_limit=1.0)
        assert plan.verified and {c for r in plan.routes for c in r["containers"]} == {x, y, z}
        assert plan.params["distances"] == "mixed" and plan.params["off_network"] == [z]

    from click.testing import CliRunner
    from mash_wintersmart.cli import cli
    result = CliRunner().invoke(cli, ["plan-refill", "--capacity", "2000", "--time-limit", "0.5"], obj=mash_app)
    assert result.exit_code == 0, result.output
    assert "road distances; 1 bin(s)/silo(s) off the road network (straight line × 1.3): bin-z" in result.output


@pytest.mark.mash_plugins("wintersmart")
def test_bins_api(mash_app, client_as):
    from wintersmart_support import api_headers
    _container(mash_app, key="bin-api")
    feed(mash_app, _distances("bin-api", [500, 500, 500]))
    _update(mash_app, T0 + timedelta(hours=3))
    headers = api_headers(mash_app)
    client = client_as(None)
    data = client.get("/api/v1/wintersmart/containers", headers=headers).get_json()
    assert data[0]["key"] == "bin-api" and data[0]["fill"] == pytest.approx(0.5) and data[0]["capacity_kg"] == 504
    readings = client.get(f"/api/v1/wintersmart/containers/{data[0]['id']}/readings", headers=headers).get_json()
    assert len(readings) == 3
    assert client.get("/api/v1/wintersmart/containers").status_code in (401, 403)
    # no silo: 409
    assert client.post("/api/v1/wintersmart/refill-plans", json={}, headers=headers).status_code == 409


@pytest.mark.mash_plugins("wintersmart")
def test_demo_loads_network_stations_bins_signs_silos_idempotently(mash_app):
    from mash_wintersmart.demo import load
    with mash_app.app_context(), municipality_context(1):
        load()
        load()
    count = lambda table, where="1=1": rows(mash_app, f"SELECT count(*) FROM {table} WHERE {where}")[0][0]  # noqa: E731
    assert count("wintersmart_road_segment") == 25
    assert count("wintersmart_road_segment", "is_bridge") == 5
    assert count("wintersmart_thing", "kind = 'road_weather_station'") == 20
    assert count("wintersmart_thing", "kind = 'sign_controller'") == 4
    assert count("wintersmart_container", "kind = 'bin'") == 50
    assert count("wintersmart_container", "kind = 'silo' AND depot_id IS NOT NULL") == 2
    names = {r[0] for r in rows(mash_app, "SELECT name FROM wintersmart_road_segment")}
    for n in ("Theodor-Heuss-Brücke", "Ernst-Walz-Brücke", "Alte Brücke (Karl-Theodor-Brücke)", "Montpellierbrücke",
              "Kurfürsten-Anlage", "Speyerer Straße", "Berliner Straße", "Mittermaierstraße", "Rohrbacher Straße",
              "Römerstraße"):
        assert n in names
    # stations on bridges carry the flag
    assert count("wintersmart_thing", "kind = 'road_weather_station' AND is_bridge") == 5
