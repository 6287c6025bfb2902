"""Road network import from a GeoJSON OSM extract: validation with reasons, idempotence by
osm_id, priority classes (API and CLI), the demo network file."""

import json

import pytest
from click.testing import CliRunner

from wintersmart_support import api_headers, in_municipality, rows

from mash_wintersmart.network import default_priority, node_id, parse_feature

pytestmark = pytest.mark.mash_plugins("wintersmart")


def way(osm_id, coords, **props):
    p = {"osm_id": osm_id, "highway": "primary"}
    p.update(props)
    return {"type": "Feature", "properties": p, "geometry": {"type": "LineString", "coordinates": coords}}


A, B, C = [8.6932, 49.4102], [8.6925, 49.4134], [8.7000, 49.4141]
EXTRACT = {"type": "FeatureCollection", "features": [
    way(4045361, [A, B], name="Theodor-Heuss-Brücke", bridge="yes"),
    way(4045362, [B, C], name="Neuenheimer Landstraße", highway="secondary", oneway="yes"),
    way(4045363, [C, B], name="Einbahn rückwärts", highway="residential", oneway="-1"),
    {"type": "Feature", "properties": {"@id": "way/99", "highway": "tertiary"},
     "geometry": {"type": "LineString", "coordinates": [A, C]}},
    way(1, [A], name="zu kurz"),
    way(2, [A, B], highway="proposed"),
    way(3, [[200, 49], B]),
    {"type": "Feature", "properties": {"highway": "primary"}, "geometry": {"type": "LineString", "coordinates": [A, B]}},
    way(4, [A, B], highway=None),
    {"type": "Feature", "properties": {"osm_id": 5, "highway": "primary"},
     "geometry": {"type": "Point", "coordinates": A}},
    way(4045361, [A, B], name="doppelt"),
    way("node/7", [A, B]),
]}


def test_parse_feature_fields():
    d = parse_feature(EXTRACT["features"][0])
    assert d["key"] == "osm:4045361" and d["is_bridge"] and not d["oneway"] and d["priority_class"] == 1
    assert 300 < d["length_m"] < 400
    assert d["from_node"] == node_id(*A) and d["to_node"] == node_id(*B) and d["from_node"] != d["to_node"]
    rev = parse_feature(EXTRACT["features"][2])
    assert rev["oneway"] and json.loads(rev["geometry"])["coordinates"] == [B, C]  # reversed to travel direction
    assert default_priority("residential", False) == 4 and default_priority("residential", True) == 2


def _import(app, source, **kw):
    from mash_wintersmart.network import import_network
    with in_municipality(app):
        return import_network(source, **kw)


def test_import_reports_rejections_and_is_idempotent(mash_app, tmp_path):
    path = tmp_path / "extract.geojson"
    path.write_text(json.dumps(EXTRACT))
    report = _import(mash_app, path)
    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    reasons = {r.index: r.reason for r in report.rejected}
    assert reasons == {
        4: "a LineString needs at least 2 positions", 5: "highway=proposed is not a road that is gritted",
        6: "position out of range: [200.0, 49.0]", 7: "no osm_id", 8: "no highway tag",
        9: "geometry must be a LineString, is Point", 10: "duplicate id osm:4045361 in the file",
        11: "not a way: node/7"}
    assert rows(mash_app, "SELECT key, highway, priority_class FROM wintersmart_road_segment ORDER BY key") == [
        ("osm:4045361", "primary", 1), ("osm:4045362", "secondary", 2), ("osm:4045363", "residential", 4),
        ("osm:99", "tertiary", 3)]
    again = _import(mash_app, path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    # a changed name updates; an operator's priority class survives a re-import
    with in_municipality(mash_app):
        from mash_wintersmart.network import set_priority
        assert set_priority(5, keys=["osm:4045361"]) == 1
    EXTRACT["features"][0]["properties"]["name"] = "Theodor-Heuss-Brücke (neu)"
    third = _import(mash_app, json.dumps(EXTRACT))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 3)
    assert rows(mash_app, "SELECT name, priority_class FROM wintersmart_road_segment WHERE key='osm:4045361'") == [
        ("Theodor-Heuss-Brücke (neu)", 5)]
    EXTRACT["features"][0]["properties"]["name"] = "Theodor-Heuss-Brücke"


def test_import_rejects_bad_files(mash_app, tmp_path):
    from mash_wintersmart.network import NetworkFileError
    for content in ("not json", json.dumps({"type": "Feature"}), json.dumps({"type": "FeatureCollection"})):
        with pytest.raises(NetworkFileError):
            _import(mash_app, content)
    with pytest.raises(NetworkFileError, match="pbf"):
        _import(mash_app, tmp_path / "x.osm.pbf")


def test_cli_import_and_priority(mash_app, tmp_path):
    from mash_wintersmart.cli import cli
    path = tmp_path / "extract.geojson"
    path.write_text(json.dumps(EXTRACT))
    runner = CliRunner()
    result = runner.invoke(cli, ["import-network", str(path)], obj=mash_app)
    assert result.exit_code == 0, result.output
    assert "4 created, 0 updated, 0 unchanged, 8 rejected" in result.output
    assert "feature 7 (osm_id None): no osm_id" in result.output
    result = runner.invoke(cli, ["import-network", "--json", str(path)], obj=mash_app)
    assert json.loads(result.output.splitlines()[0])["unchanged"] == 4
    result = runner.invoke(cli, ["set-priority", "2", "--highway", "residential"], obj=mash_app)
    assert result.exit_code == 0 and "1 segment(s)" in result.output
    assert rows(mash_app, "SELECT priority_class FROM wintersmart_road_segment WHERE key='osm:4045363'") == [(2,)]
    assert runner.invoke(cli, ["set-priority", "9", "osm:99"], obj=mash_app).exit_code != 0


def test_api_import_and_priority(mash_app, client_as):
    headers = api_headers(mash_app)
    client = client_as(None)
    r = client.post("/api/v1/wintersmart/network/import", data=json.dumps(EXTRACT), headers=headers)
    assert r.status_code == 200 and r.get_json()["created"] == 4 and len(r.get_json()["rejected"]) == 8
    assert client.post("/api/v1/wintersmart/network/import", data="{}", headers=headers).status_code == 422
    assert client.post("/api/v1/wintersmart/network/import", data=json.dumps(EXTRACT)).status_code in (401, 403)
    r = client.put("/api/v1/wintersmart/segments/priority", json={"priority_class": 1, "keys": ["osm:99"]},
                   headers=headers)
    assert r.status_code == 200 and r.get_json() == {"updated": 1}
    assert client.put("/api/v1/wintersmart/segments/priority", json={"priority_class": 7, "keys": ["osm:99"]},
                      headers=headers).status_code == 422
    assert client.put("/api/v1/wintersmart/segments/priority", json={"priority_class": 1},
                      headers=headers).status_code == 422


def test_demo_network_file_is_valid():
    from mash_wintersmart.demo_network import NETWORK_FILE
    from mash_wintersmart.network import read_features
    features = read_features(NETWORK_FILE)
    parsed = [parse_feature(f) for f in features]
    assert len(parsed) == 25 and len({p["key"] for p in parsed}) == 25
    for p in parsed:  # all inside Heidelberg
        for lon, lat in json.loads(p["geometry"])["coordinates"]:
            assert 8.6 < lon < 8.8 and 49.36 < lat < 49.44
    bridges = {p["name"] for p in parsed if p["is_bridge"]}
    assert {"Theodor-Heuss-Brücke", "Ernst-Walz-Brücke", "Montpellierbrücke"} <= bridges
