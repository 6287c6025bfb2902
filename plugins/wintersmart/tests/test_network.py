"""Road network import from an OSM extract — GeoJSON, and .osm.pbf written here with
osmium.SimpleWriter (split at junctions, bridges, one-way streets, missing nodes, ignored
footways) —: validation with reasons, idempotence by key, priority classes (API and CLI), the
demo network file."""

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
    with pytest.raises(NetworkFileError, match="x.osm.pbf: no such file"):
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


# -- .osm.pbf --------------------------------------------------------------------------------
#: node id → (lon, lat); node 99 is referenced by way 103 but not in the file (cut at the border)
NODES = {1: (8.6900, 49.4100), 2: (8.6920, 49.4100), 3: (8.6940, 49.4100), 4: (8.6940, 49.4120),
         5: (8.6960, 49.4120), 6: (8.6920, 49.4080), 7: (8.6900, 49.4130)}
WAYS = [  # (id, nodes, tags)
    (100, [1, 2, 3], {"highway": "primary", "name": "Hauptstraße"}),            # junctions at 2 and 3
    (101, [6, 2], {"highway": "residential", "name": "Nebenstraße", "oneway": "yes"}),
    (102, [3, 4, 5], {"highway": "secondary", "ref": "B 37", "bridge": "yes"}),  # footway meets it at 4
    (103, [5, 99], {"highway": "residential", "name": "Am Rand"}),               # node 99 missing
    (104, [7, 4], {"highway": "footway", "name": "Fußweg"}),                     # not a gritted class
    (105, [1, 7], {"building": "yes"}),                                          # not a highway at all
]


def write_osm(path, nodes=NODES, ways=WAYS):
    import osmium

    writer = osmium.SimpleWriter(str(path), overwrite=True)
    try:
        for nid, loc in sorted(nodes.items()):
            writer.add_node(osmium.osm.mutable.Node(id=nid, location=loc, version=1))
        for wid, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=wid, nodes=refs, tags=tags, version=1))
    finally:
        writer.close()
    return path


def _segments(app):
    return {r[0]: r[1:] for r in rows(app, "SELECT key, name, highway, is_bridge, oneway, priority_class, from_node, "
                                           "to_node, length_m, osm_way_id, geometry FROM wintersmart_road_segment")}


def test_pbf_import_splits_at_junctions_reports_and_is_idempotent(mash_app, tmp_path):
    from mash_wintersmart.planning import haversine_m
    path = write_osm(tmp_path / "extract.osm.pbf")
    report = _import(mash_app, path)
    assert report.format == "osm"
    assert (report.created, report.updated, report.unchanged, report.ignored) == (4, 0, 0, 1)
    assert [(r.osm_id, r.reason) for r in report.rejected] == [
        ("way/103", "1 node(s) missing from the extract: 99")]
    segs = _segments(mash_app)
    # way 100 is split at node 2, where way 101 ends; way 102 is not split where the footway meets it
    assert sorted(segs) == ["osm:100:1", "osm:100:2", "osm:101", "osm:102"]
    name, highway, bridge, oneway, prio, a, b, length, way_id, geometry = segs["osm:100:1"]
    assert (name, highway, bool(bridge), bool(oneway), prio, way_id) == ("Hauptstraße", "primary", False, False, 1, 100)
    assert json.loads(geometry)["coordinates"] == [list(NODES[1]), list(NODES[2])]
    assert length == pytest.approx(haversine_m(NODES[1], NODES[2]), abs=0.1)
    # the pieces and the side street share the junction node (a routable graph)
    assert a == node_id(*NODES[1]) and b == node_id(*NODES[2])
    assert segs["osm:100:2"][5] == b and segs["osm:101"][6] == b and segs["osm:100:2"][6] == segs["osm:102"][5]
    assert segs["osm:101"][:5] == ("Nebenstraße", "residential", False, True, 4)
    name, highway, bridge, oneway, prio, *_, geometry = segs["osm:102"]
    assert (name, highway, bool(bridge), prio) == ("B 37 (secondary)", "secondary", True, 2)  # bridge: class ≤ 2
    assert len(json.loads(geometry)["coordinates"]) == 3
    bridge_m = haversine_m(NODES[3], NODES[4]) + haversine_m(NODES[4], NODES[5])
    assert segs["osm:102"][7] == pytest.approx(bridge_m, abs=0.1)

    # again: nothing changes, the rejected way is reported again; an operator's class survives
    with in_municipality(mash_app):
        from mash_wintersmart.network import set_priority
        assert set_priority(5, keys=["osm:102"]) == 1
    again = _import(mash_app, path)
    assert (again.created, again.updated, again.unchanged, len(again.rejected)) == (0, 0, 4, 1)
    # a renamed way in a newer extract updates its pieces only
    ways = [(100, [1, 2, 3], {"highway": "primary", "name": "Hauptstraße (neu)"})] + WAYS[1:]
    third = _import(mash_app, write_osm(tmp_path / "newer.osm.pbf", ways=ways))
    assert (third.created, third.updated, third.unchanged) == (0, 2, 2)
    segs = _segments(mash_app)
    assert segs["osm:100:2"][0] == "Hauptstraße (neu)" and segs["osm:102"][4] == 5


def test_osm_xml_by_suffix_and_highway_selection(mash_app, tmp_path):
    path = write_osm(tmp_path / "extract.osm")
    report = _import(mash_app, path, dry_run=True)
    assert (report.format, report.created, report.ignored) == ("osm", 4, 1)
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_road_segment") == [(0,)]  # dry run
    # with footways selected, the footway is imported and the bridge is split where it meets it
    report = _import(mash_app, path, highways={"primary", "secondary", "residential", "footway"})
    assert (report.created, report.ignored) == (6, 0)
    assert {k for k in _segments(mash_app) if k.startswith("osm:10")} == {
        "osm:100:1", "osm:100:2", "osm:101", "osm:102:3", "osm:102:4", "osm:104"}


def test_pbf_bad_file_is_a_clear_error(mash_app, tmp_path):
    from mash_wintersmart.network import NetworkFileError
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b'{"type": "FeatureCollection", "features": []}')
    with pytest.raises(NetworkFileError, match=r"cannot read bad.osm.pbf as an OSM file \(pbf\): PBF error"):
        _import(mash_app, bad)
    (tmp_path / "empty.osm.pbf").write_bytes(b"")
    with pytest.raises(NetworkFileError, match="empty.osm.pbf"):
        _import(mash_app, tmp_path / "empty.osm.pbf")
    assert rows(mash_app, "SELECT count(*) FROM wintersmart_road_segment") == [(0,)]
    from mash_wintersmart.cli import cli
    result = CliRunner().invoke(cli, ["import-network", str(bad)], obj=mash_app)
    assert result.exit_code == 1 and "Error: cannot read bad.osm.pbf as an OSM file" in result.output


def test_pbf_cli_and_api(mash_app, client_as, tmp_path):
    from mash_wintersmart.cli import cli
    path = write_osm(tmp_path / "extract.osm.pbf")
    runner = CliRunner()
    result = runner.invoke(cli, ["import-network", "--highways", "primary", str(path)], obj=mash_app)
    assert result.exit_code == 0, result.output
    # only primary roads: way 100 meets no other imported way, so it stays one segment
    assert "1 created, 0 updated, 0 unchanged, 0 rejected, 4 way(s) of other classes ignored" in result.output
    assert sorted(_segments(mash_app)) == ["osm:100"]
    assert runner.invoke(cli, ["import-network", "--highways", "primary,autobahn", str(path)],
                         obj=mash_app).exit_code == 2
    result = runner.invoke(cli, ["import-network", str(path)], obj=mash_app)
    assert "4 created" in result.output and "way/103: 1 node(s) missing from the extract: 99" in result.output
    # the API takes the file as the request body (recognised by its header)
    headers = api_headers(mash_app)
    r = client_as(None).post("/api/v1/wintersmart/network/import", data=path.read_bytes(),
                             headers={**headers, "Content-Type": "application/octet-stream"})
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    assert (body["format"], body["unchanged"], body["ignored"]) == ("osm", 4, 1)
    assert body["rejected"] == [{"index": 3, "osm_id": "way/103", "reason": "1 node(s) missing from the extract: 99"}]


def test_highway_setting_is_validated_and_used(mash_app, tmp_path):
    from mash_core.testing import host_client
    headers = api_headers(mash_app, scopes=("core.admin",), roles=("admin",), email="netz-admin@example.org")
    client = host_client(mash_app)
    url = "/api/v1/core/plugins/wintersmart/settings"
    bad = client.patch(url, json={"network_highways": "primary,autobahn"}, headers=headers)
    assert bad.status_code == 422, bad.get_data(as_text=True)
    assert "Unbekannte Straßenklasse(n): autobahn" in str(bad.get_json()["errors"]["json"]["network_highways"])
    assert client.patch(url, json={"network_highways": " , "}, headers=headers).status_code == 422
    assert client.patch(url, json={"network_highways": "primary, secondary"}, headers=headers).status_code == 200
    report = _import(mash_app, write_osm(tmp_path / "extract.osm.pbf"))
    assert (report.created, report.ignored) == (2, 3)  # ways 100 and 102 only: they meet at node 3
    assert sorted(_segments(mash_app)) == ["osm:100", "osm:102"]
