"""Ingestion into the database through the plugin's own subscriptions (adapter → schema →
handler, exactly as the worker calls them) and the ice-risk assessments that follow."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from wintersmart_support import api_headers, feed, in_municipality, night, recent, rows, scalar, station, utc

pytestmark = pytest.mark.mash_plugins("wintersmart")
T0 = utc(2026, 1, 15, 1, 0)


def test_a_station_message_creates_thing_datastreams_observations_and_an_assessment(mash_app):
    t = T0
    errors = feed(mash_app, [station("rws-1012", t, rst_1={"v": 30.2, "u": "[degF]"}, t_air=0.4, rh=93,
                                     surface_state="NTCIP:5", water_film=0.12)])
    assert errors == []
    thing = rows(mash_app, "SELECT key, kind, provider, name, last_seen_at FROM wintersmart_thing")
    assert [(r[0], r[1], r[2], r[3]) for r in thing] == [("rws-1012", "road_weather_station", "mqtt", "rws-1012")]
    streams = dict(rows(mash_app, "SELECT key, unit FROM wintersmart_datastream"))
    assert streams == {"rst_1": "Cel", "t_air": "Cel", "rh": "%", "surface_state": "", "water_film": "mm"}
    obs = {r[0]: r[1:] for r in rows(mash_app, "SELECT d.key, o.value, o.state, o.raw_code, o.quality "
                                               "FROM wintersmart_observation o JOIN wintersmart_datastream d "
                                               "ON d.id = o.datastream_id")}
    assert obs["rst_1"][0] == pytest.approx(-1.0) and obs["surface_state"][1:3] == ("wet", "NTCIP:5")
    level, reasons, rst, t_crit = rows(mash_app, "SELECT level, reasons, rst, t_crit FROM wintersmart_assessment")[0]
    assert level == 2 and rst == pytest.approx(-1.0) and t_crit == 0.0
    assert "RST_LE_TCRIT_MOIST" in (json.loads(reasons) if isinstance(reasons, str) else reasons)  # JSON


def test_redelivered_messages_store_nothing_twice(mash_app):
    messages = night("rws-1", T0, minutes=60)
    feed(mash_app, messages)
    counts = [scalar(mash_app, f"SELECT count(*) FROM wintersmart_{t}") for t in ("observation", "assessment")]
    feed(mash_app, messages)                      # the broker delivers everything again
    feed(mash_app, messages[:5] + messages[:5])   # and some twice in one batch
    assert [scalar(mash_app, f"SELECT count(*) FROM wintersmart_{t}") for t in ("observation", "assessment")] == counts
    assert counts[0] == 13 * 5 and scalar(mash_app, "SELECT count(*) FROM wintersmart_thing") == 1


def test_a_cooling_night_raises_the_level_step_by_step_and_announces_changes(mash_app):
    # RST from 3.0 °C at −1.5 K/h; air 2.5 °C → cooling, RH 92 %: dew point ≈ 1.3 °C
    feed(mash_app, night("rws-1", T0, minutes=180))
    got = rows(mash_app, "SELECT valid_time, level, reasons, trend_k_per_h, nowcast FROM wintersmart_assessment "
                         "WHERE thing_id IS NOT NULL ORDER BY valid_time")
    levels = [r[1] for r in got]
    assert levels[0] == 0 and levels[-1] == 2 and levels == sorted(levels)   # rises, never drops on a cooling night
    first_1 = next(r for r in got if r[1] == 1)
    assert "NOWCAST_NEAR_TCRIT" in first_1[2] or "NEAR_TCRIT_NEAR_DEWPOINT" in first_1[2]
    last = got[-1]
    assert last[3] == pytest.approx(-1.5, abs=0.01)
    nowcast = json.loads(last[4]) if isinstance(last[4], str) else last[4]
    assert set(nowcast) == {"+30", "+60", "+120", "+180"}
    # level changes are published as events, bridged to MQTT through the outbox
    topic = "mash/heidelberg/wintersmart/events/level_changed"
    events = [json.loads(r[0]) for r in rows(mash_app, "SELECT payload FROM core_outbox WHERE topic = :t ORDER BY id",
                                             t=topic)]
    assert [(e["previous_level"], e["level"]) for e in events] == [(0, 1), (1, 2)]


def test_implausible_states_are_stored_as_rejected_and_ignored_by_the_engine(mash_app):
    # ice reported while the air is 4 °C (Pikalert: discard frozen states above 1 °C air)
    feed(mash_app, [station("rws-1", T0, rst_1=3.0, t_air=4.0, rh=60, surface_state="FBZ:66")])
    quality, flags, raw = rows(mash_app, "SELECT quality, flags, raw_code FROM wintersmart_observation o JOIN "
                                         "wintersmart_datastream d ON d.id = o.datastream_id "
                                         "WHERE d.key = 'surface_state'")[0]
    assert (quality, flags, raw) == (2, "FROZEN_STATE_WARM_AIR", "FBZ:66")
    assert scalar(mash_app, "SELECT level FROM wintersmart_assessment") == 0
    # wet state with freezing air, the air temperature arriving earlier in its own message
    feed(mash_app, [("mash/heidelberg/wintersmart/obs/rws-2/t_air", {"t": T0.isoformat(), "v": -3.0}),
                    ("mash/heidelberg/wintersmart/obs/rws-2/surface_state",
                     {"t": (T0 + timedelta(minutes=1)).isoformat(), "v": "wet"})])
    assert rows(mash_app, "SELECT o.quality, o.flags FROM wintersmart_observation o JOIN wintersmart_datastream d "
                          "ON d.id = o.datastream_id JOIN wintersmart_thing t ON t.id = d.thing_id "
                          "WHERE t.key = 'rws-2' AND d.key = 'surface_state'") == [(2, "WET_STATE_FREEZING_AIR")]
    # a frozen state with cold air is kept and fires
    feed(mash_app, [station("rws-3", T0, rst_1=-2.0, t_air=-1.0, rh=80, surface_state="NTCIP:13")])
    assert "SENSOR_STATE_FROZEN" in scalar(mash_app, "SELECT a.reasons FROM wintersmart_assessment a JOIN "
                                                     "wintersmart_thing t ON t.id = a.thing_id WHERE t.key = 'rws-3'")


def test_invalid_messages_are_refused_before_the_handler(mash_app):
    errors = feed(mash_app, [station("rws-1", T0, rst_1=150.0), station("rws-1", T0, humidity=3),
                             ("mash/heidelberg/wintersmart/obs/rws-1/rh", {"t": T0.isoformat(), "v": "x"})])
    assert len(errors) == 3
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation") == 0


def test_ttn_uplinks_become_grit_bin_observations_without_an_assessment(mash_app):
    from test_sensing import TTN_TOPIC, uplink

    body = json.loads(uplink(decoded={"battery": 97, "distance": 612}))
    body["uplink_message"]["received_at"] = T0.isoformat()
    feed(mash_app, [(TTN_TOPIC, body)])
    assert rows(mash_app, "SELECT key, kind, provider, name FROM wintersmart_thing") == [
        ("ttn:24e124713b421234", "grit_bin_sensor", "ttn", "bin-0042")]
    values = dict(rows(mash_app, "SELECT d.key, o.value FROM wintersmart_observation o JOIN wintersmart_datastream d "
                                 "ON d.id = o.datastream_id"))
    assert values == {"battery": 97.0, "distance": 612.0, "rssi": -97.0, "snr": 7.25}
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_assessment") == 0


def test_segment_assessment_takes_the_worst_station(mash_app):
    auth = api_headers(mash_app)
    staff = mash_app.test_client()
    seg = staff.post("/api/v1/wintersmart/segments", headers=auth, json={
        "key": "hd:theodor-heuss-bruecke", "name": "Theodor-Heuss-Brücke", "is_bridge": True, "priority_class": 1,
        "geometry": {"type": "LineString", "coordinates": [[8.6927, 49.4131], [8.6934, 49.4164]]}})
    assert seg.status_code == 201, seg.get_json()
    assert 360 < seg.get_json()["length_m"] < 380
    feed(mash_app, [station("rws-a", T0, rst_1=4.0, t_air=5.0, rh=60),
                    station("rws-b", T0, rst_1=-1.0, water_film=0.2)])
    ids = dict(rows(mash_app, "SELECT key, id FROM wintersmart_thing"))
    for key in ("rws-a", "rws-b"):
        assert staff.patch(f"/api/v1/wintersmart/things/{ids[key]}", headers=auth,
                           json={"road_segment_id": seg.get_json()["id"], "is_bridge": True}).status_code == 200
    feed(mash_app, [station("rws-a", T0 + timedelta(minutes=1), rst_1=4.0, t_air=5.0, rh=60),
                    station("rws-b", T0 + timedelta(minutes=1), rst_1=-1.1, water_film=0.2)])
    seg_rows = rows(mash_app, "SELECT level, reasons, rst, inputs FROM wintersmart_assessment "
                              "WHERE thing_id IS NULL ORDER BY id")
    level, reasons, rst, inputs = seg_rows[-1]
    inputs = json.loads(inputs) if isinstance(inputs, str) else inputs
    assert level == 2 and "RST_LE_TCRIT_MOIST" in reasons and rst == pytest.approx(-1.1)
    assert inputs["worst_thing_id"] == ids["rws-b"] and len(inputs["stations"]) == 2


def test_the_job_lowers_levels_when_data_stop_and_holds_first(mash_app):
    from mash_wintersmart.assess import assess_all

    start = recent(minutes_ago=60)
    feed(mash_app, [station("rws-1", start, rst_1=-1.0, water_film=0.3)])
    assert scalar(mash_app, "SELECT level FROM wintersmart_assessment") == 2
    with in_municipality(mash_app):
        assess_all(now=start + timedelta(minutes=20))     # data 20 min old: still valid
        assess_all(now=start + timedelta(minutes=45))     # stale (30 min): nothing fires, hold
        assess_all(now=start + timedelta(minutes=59))     # hold: condition last held at start + 20
    got = rows(mash_app, "SELECT level, raw_level, reasons, flags FROM wintersmart_assessment ORDER BY valid_time")
    assert [(r[0], r[1]) for r in got] == [(2, 2), (2, 2), (2, 0), (0, 0)]
    assert "HOLD_HYSTERESIS" in got[2][2] and "NO_RST" in got[3][3]


def test_things_of_two_municipalities_never_mix(mash_app_factory):
    app = mash_app_factory(plugins=("wintersmart",), municipalities=("heidelberg", "ulm"))
    feed(app, [station("rws-1", T0, rst_1=-1.0, water_film=0.3)], slug="heidelberg")
    feed(app, [station("rws-1", T0, rst_1=5.0)], slug="ulm")
    got = rows(app, "SELECT m.slug, t.key, a.level FROM wintersmart_assessment a JOIN wintersmart_thing t "
                    "ON t.id = a.thing_id JOIN core_municipality m ON m.id = t.municipality_id ORDER BY m.slug")
    assert got == [("heidelberg", "rws-1", 2), ("ulm", "rws-1", 0)]
    assert scalar(app, "SELECT count(DISTINCT municipality_id) FROM wintersmart_observation") == 2
