"""History API: time range, raw and downsampled observations, validated query arguments;
things, segments and assessments endpoints; permissions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wintersmart_support import api_headers, feed, night, rows, station, utc

pytestmark = pytest.mark.mash_plugins("wintersmart")
T0 = utc(2026, 1, 15, 1, 0)
URL = "/api/v1/wintersmart/datastreams/{}/observations"


@pytest.fixture
def api(mash_app):
    # two hours of a cooling night, every 5 minutes: RST 3.0 → 0.0 °C (−1.5 K/h)
    feed(mash_app, night("rws-1", T0, minutes=120))
    ids = dict(rows(mash_app, "SELECT key, id FROM wintersmart_datastream"))
    client = mash_app.test_client()
    auth = api_headers(mash_app)

    def get(path, **query):
        return client.get(path, query_string=query, headers=auth)

    get.ids = ids
    get.client = client
    return get


def test_raw_history_in_a_time_range(api):
    r = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T01:30:00Z"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["datastream"] == {"id": api.ids["rst_1"], "key": "rst_1",
                                  "observed_property": "road_surface_temperature", "unit": "Cel"}
    assert body["thing_key"] == "rws-1" and body["interval_s"] is None and body["truncated"] is False
    points = body["observations"]
    assert len(points) == 7                                    # 01:00 … 01:30 inclusive
    assert points[0]["t"].startswith("2026-01-15T01:00:00") and points[0]["value"] == 3.0
    assert points[-1]["value"] == pytest.approx(2.25) and points[0]["quality"] == 0 and points[0]["n"] == 1
    # limit: oldest first, truncated flag
    limited = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T03:00:00Z",
                                                  "limit": "5"}).get_json()
    assert len(limited["observations"]) == 5 and limited["truncated"] is True
    # states come with their raw codes
    states = api(URL.format(api.ids["surface_state"]), **{"from": "2026-01-15T01:00:00Z",
                                                          "to": "2026-01-15T01:10:00Z"}).get_json()
    assert [p["state"] for p in states["observations"]] == ["dry", "dry", "dry"]


def test_downsampled_history_gives_mean_min_max_per_bucket(api):
    r = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T03:00:00Z",
                                            "interval": "1h"})
    assert r.status_code == 200, r.get_json()
    points = r.get_json()["observations"]
    assert [p["t"][:19] for p in points] == ["2026-01-15T01:00:00", "2026-01-15T02:00:00", "2026-01-15T03:00:00"]
    first = points[0]                                         # 01:00 … 01:55: 3.0 … 1.625
    assert first["n"] == 12 and first["max"] == 3.0 and first["min"] == pytest.approx(1.625)
    assert first["value"] == pytest.approx((3.0 + 1.625) / 2)
    assert points[2]["n"] == 1 and points[2]["value"] == pytest.approx(0.0)
    for interval, buckets in (("PT30M", 5), ("1800", 5), ("30min", 5), ("15m", 9), ("P1D", 1)):
        got = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T03:00:00Z",
                                                  "interval": interval}).get_json()
        assert got["interval_s"] in (1800, 900, 86400) and len(got["observations"]) == buckets, interval
        assert sum(p["n"] for p in got["observations"]) == 25
    raw = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T01:10:00Z",
                                              "interval": "raw"}).get_json()
    assert raw["interval_s"] is None and len(raw["observations"]) == 3


@pytest.mark.parametrize("query, field", [
    ({"from": "yesterday"}, "from"), ({"to": "2026-13-01T00:00:00Z"}, "to"),
    ({"from": "2026-01-15T03:00:00Z", "to": "2026-01-15T01:00:00Z"}, "from"),
    ({"from": "2024-01-01T00:00:00Z", "to": "2026-01-15T00:00:00Z"}, "to"),            # over 400 days
    ({"interval": "5 parsecs"}, "interval"), ({"interval": "10s"}, "interval"), ({"interval": "60d"}, "interval"),
    ({"from": "2026-01-01T00:00:00Z", "to": "2026-03-01T00:00:00Z", "interval": "60"}, "interval"),  # >10000 buckets
    ({"limit": "0"}, "limit"), ({"limit": "many"}, "limit"), ({"limit": "100000"}, "limit"),
])
def test_bad_query_arguments_answer_422(api, query, field):
    r = api(URL.format(api.ids["rst_1"]), **query)
    assert r.status_code == 422, r.get_json()
    assert field in r.get_json()["errors"]["query"]


def test_states_cannot_be_downsampled_and_unknown_datastreams_are_404(api):
    r = api(URL.format(api.ids["surface_state"]), interval="1h")
    assert r.status_code == 422 and "interval" in r.get_json()["errors"]["query"]
    assert api(URL.format(999999)).status_code == 404


def test_history_needs_the_operate_permission(api, mash_app):
    client = mash_app.test_client()
    path = URL.format(api.ids["rst_1"])
    assert client.get(path).status_code == 401
    assert client.get(path, headers=api_headers(mash_app, scopes=("core.dashboard",), roles=("citizen",),
                                                email="c@example.org")).status_code == 403
    device = api_headers(mash_app, roles=None)          # a device token acting by its scope
    assert client.get(path, headers=device).status_code == 200


def test_aggregated_rows_weigh_by_their_count(api, mash_app):
    from mash_wintersmart.retention import run_retention
    from wintersmart_support import in_municipality

    before = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T03:00:00Z",
                                                 "interval": "2h"}).get_json()["observations"]
    with in_municipality(mash_app):
        run_retention(now=T0 + timedelta(days=40))
    after = api(URL.format(api.ids["rst_1"]), **{"from": "2026-01-15T01:00:00Z", "to": "2026-01-15T03:00:00Z",
                                                "interval": "2h"}).get_json()["observations"]
    assert [(p["n"], p["min"], p["max"]) for p in after] == [(p["n"], p["min"], p["max"]) for p in before]
    assert [p["value"] for p in after] == pytest.approx([p["value"] for p in before])


def test_things_segments_and_assessments_endpoints(api, mash_app):
    things = api("/api/v1/wintersmart/things").get_json()
    assert [t["key"] for t in things] == ["rws-1"]
    assert {d["key"] for d in things[0]["datastreams"]} == {"rst_1", "t_air", "rh", "water_film", "surface_state"}
    thing_id = things[0]["id"]
    latest = api("/api/v1/wintersmart/assessments", thing=str(thing_id), limit="1").get_json()
    assert len(latest) == 1 and latest[0]["level"] >= 1 and latest[0]["valid_time"].startswith("2026-01-15T03:00")
    assert set(latest[0]["nowcast"]) == {"+30", "+60", "+120", "+180"}
    assert latest[0]["inputs"]["t_crit_source"] == "default"
    window = api("/api/v1/wintersmart/assessments", thing=str(thing_id), **{"from": "2026-01-15T01:00:00Z",
                                                                            "to": "2026-01-15T01:30:00Z"}).get_json()
    assert all("2026-01-15T01:00" <= a["valid_time"] <= "2026-01-15T01:30:01" for a in window)
    assert api("/api/v1/wintersmart/assessments", thing="1", segment="1").status_code == 422
    assert api("/api/v1/wintersmart/assessments", limit="0").status_code == 422
    # segments: create, validation, duplicates
    auth = api_headers(mash_app, email="op2@example.org")
    post = api.client.post
    good = {"key": "hd:ernst-walz-bruecke", "name": "Ernst-Walz-Brücke", "is_bridge": True, "priority_class": 1,
            "geometry": [[8.6598, 49.4139], [8.6622, 49.4178]]}
    created = post("/api/v1/wintersmart/segments", json=good, headers=auth)
    assert created.status_code == 201 and created.get_json()["geometry"]["type"] == "LineString"
    assert post("/api/v1/wintersmart/segments", json=good, headers=auth).status_code == 409
    for bad in ({**good, "key": "x1", "geometry": [[8.6, 49.4]]}, {**good, "key": "x2", "geometry": [[200, 0], [0, 0]]},
                {**good, "key": "x3", "priority_class": 9}, {**good, "key": "x4", "geometry": {"type": "Point"}},
                {**good, "key": "x5", "colour": "red"}):
        assert post("/api/v1/wintersmart/segments", json=bad, headers=auth).status_code == 422, bad
    assert [s["key"] for s in api("/api/v1/wintersmart/segments").get_json()] == ["hd:ernst-walz-bruecke"]
    patch = api.client.patch
    thing_url = f"/api/v1/wintersmart/things/{thing_id}"
    assert patch(thing_url, json={"road_segment_id": 4242}, headers=auth).status_code == 422
    assert patch(f"/api/v1/wintersmart/things/{thing_id}", json={"lat": 91}, headers=auth).status_code == 422
    assert patch("/api/v1/wintersmart/things/999999", json={"name": "x"}, headers=auth).status_code == 404
    ok = patch(f"/api/v1/wintersmart/things/{thing_id}", headers=auth,
               json={"name": "Ernst-Walz-Brücke Mitte", "lat": 49.4158, "lon": 8.6610,
                     "road_segment_id": created.get_json()["id"]})
    assert ok.status_code == 200 and ok.get_json()["road_segment_id"] == created.get_json()["id"]
    assert rows(mash_app, "SELECT action FROM core_audit ORDER BY id")[-2:] == [
        ("wintersmart.segment.create",), ("wintersmart.thing.update",)]


def test_depots_stay_public(api, mash_app):
    assert mash_app.test_client().get("/api/v1/wintersmart/depots").status_code == 200


def test_raw_history_includes_rejected_observations_with_their_flags(api, mash_app):
    feed(mash_app, [station("rws-9", T0, rst_1=3.0, t_air=4.0, surface_state="ice")])
    ds = dict(rows(mash_app, "SELECT d.key, d.id FROM wintersmart_datastream d JOIN wintersmart_thing t "
                             "ON t.id = d.thing_id WHERE t.key = 'rws-9'"))
    points = api(URL.format(ds["surface_state"]), **{"from": "2026-01-15T00:00:00Z",
                                                     "to": "2026-01-15T02:00:00Z"}).get_json()["observations"]
    assert [(p["state"], p["quality"], p["flags"]) for p in points] == [("ice", 2, "FROZEN_STATE_WARM_AIR")]
