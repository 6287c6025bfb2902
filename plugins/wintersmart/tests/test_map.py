"""Maps: the settings map_library / map_tile_url / map_tile_attribution / map_max_zoom (validation
in the schema, the settings API and environment locks), the Content-Security-Policy that allows
the tile server only when the interactive map is on and only on the map pages (core facade
``allow_csp_source``), and the three map pages rendering both the SVG fallback and the Leaflet
container with its GeoJSON; the vendored Leaflet is served from the plugin."""

from __future__ import annotations

import html as htmlmod
import json
import re
from datetime import datetime, timezone

import marshmallow as ma
import pytest

from mash_core.api import municipality_context
from wintersmart_support import api_headers, in_municipality

pytestmark = pytest.mark.mash_plugins("wintersmart")

SETTINGS_API = "/api/v1/core/plugins/wintersmart/settings"
TILES = "https://tiles.example.org/{z}/{x}/{y}.png"
FEATURES = re.compile(r"data-features='([^']*)'")


def load_demo(app):
    from mash_wintersmart.plugin import mash_load_demo
    with app.app_context(), municipality_context(1):
        mash_load_demo(None)


@pytest.fixture
def demo(mash_app, monkeypatch):
    monkeypatch.setattr("mash_wintersmart.warnings.notify", lambda *a: None)
    load_demo(mash_app)
    return mash_app


@pytest.fixture
def admin_api(mash_app):
    from mash_core.testing import host_client
    client = host_client(mash_app)
    headers = api_headers(mash_app, scopes=("core.admin",), roles=("admin",), email="karten-admin@example.org")

    def patch(**values):
        return client.patch(SETTINGS_API, json=values, headers=headers)
    return patch


def csp(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def features(page: str) -> dict:
    match = FEATURES.search(page)
    assert match, "no data-features attribute"
    return json.loads(htmlmod.unescape(match.group(1)))


def assert_no_inline_code(page: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page, re.I)
    assert "<style" not in page and not re.search(r'\sstyle\s*=\s*"', page) and not re.search(r"\son[a-z]+\s*=", page)


# -- settings ------------------------------------------------------------------------------------


def test_map_settings_defaults():
    from mash_wintersmart.settings import WinterSmartSettings
    values = WinterSmartSettings().load({})
    assert values["map_library"] == "svg"
    assert values["map_tile_url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert values["map_tile_attribution"] == "© OpenStreetMap-Mitwirkende"
    assert values["map_max_zoom"] == 19


@pytest.mark.parametrize("url, source", [
    ("https://tile.openstreetmap.org/{z}/{x}/{y}.png", "https://tile.openstreetmap.org"),
    ("https://{s}.tile.example.org:8443/osm/{z}/{x}/{y}{r}.png?key=abc", "https://*.tile.example.org:8443"),
    ("http://localhost:8080/{z}/{x}/{y}.png", "http://localhost:8080"),
    ("http://127.0.0.1:9/{z}/{x}/{y}.png", "http://127.0.0.1:9"),
    ("http://[::1]/tiles/{z}/{x}/{y}.png", "http://[::1]"),
])
def test_valid_tile_urls_and_their_csp_source(url, source):
    from mash_wintersmart.settings import WinterSmartSettings
    from mash_wintersmart.webmap import tile_source
    assert WinterSmartSettings().load({"map_tile_url": url})["map_tile_url"] == url
    assert tile_source(url) == source


@pytest.mark.parametrize("url", [
    "https://tile.example.org/{z}/{x}.png",                 # {y} missing
    "https://tile.example.org/tiles.png",                   # no placeholder at all
    "http://tile.example.org/{z}/{x}/{y}.png",              # plain http to another host
    "ftp://tile.example.org/{z}/{x}/{y}.png",
    "//tile.example.org/{z}/{x}/{y}.png",
    "https://tile.example.org/{z}/{x}/{y}.png?key={apikey}",  # unknown placeholder
    "https://user:pw@tile.example.org/{z}/{x}/{y}.png",
    "https://tile.example.org; script-src */{z}/{x}/{y}.png",
    "https://tile.example.org/{z}/{x}/{y}.png' onerror='x",
    "https://tile{s}.example.org/{z}/{x}/{y}.png",         # {s} only as a whole first label
    "https://{z}/{x}/{y}",
    "",
])
def test_invalid_tile_urls_are_rejected(url):
    from mash_wintersmart.settings import WinterSmartSettings
    with pytest.raises(ma.ValidationError) as err:
        WinterSmartSettings().load({"map_tile_url": url})
    assert "map_tile_url" in err.value.messages


def test_library_and_zoom_are_validated():
    from mash_wintersmart.settings import WinterSmartSettings
    with pytest.raises(ma.ValidationError) as err:
        WinterSmartSettings().load({"map_library": "openlayers", "map_max_zoom": 30})
    assert set(err.value.messages) == {"map_library", "map_max_zoom"}
    assert WinterSmartSettings().load({"map_library": "leaflet"})["map_library"] == "leaflet"


def test_settings_api_validates_the_tile_url(mash_app, admin_api):
    bad = admin_api(map_library="leaflet", map_tile_url="http://tiles.example.org/{z}/{x}/{y}.png")
    assert bad.status_code == 422 and "map_tile_url" in bad.get_json()["errors"]["json"]
    assert admin_api(map_tile_url="https://tiles.example.org/{z}/{y}.png").status_code == 422
    with in_municipality(mash_app):
        from mash_core.api import get_settings
        assert get_settings("wintersmart")["map_library"] == "svg"          # nothing half-saved
    assert admin_api(map_library="leaflet", map_tile_url=TILES).status_code == 200
    with in_municipality(mash_app):
        values = get_settings("wintersmart")
        assert (values["map_library"], values["map_tile_url"]) == ("leaflet", TILES)


# -- the Content-Security-Policy ------------------------------------------------------------------


def test_csp_is_strict_with_the_svg_map(demo, client_as):
    for client, path in ((client_as("staff"), "/wintersmart/leitstand"), (client_as(None), "/wintersmart/warnungen")):
        response = client.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert csp(response)["img-src"] == ["'self'", "data:"], path
        assert "data-ws-leaflet" not in page and "leaflet.js" not in page and "map.js" not in page
        assert 'role="img"' in page and "<polyline" in page                 # the SVG map as before


def test_csp_allows_the_tile_host_only_with_leaflet_and_only_on_map_pages(demo, client_as, admin_api):
    assert admin_api(map_library="leaflet", map_tile_url=TILES).status_code == 200
    staff, anonymous = client_as("staff"), client_as(None)
    for client, path in ((staff, "/wintersmart/leitstand"), (anonymous, "/wintersmart/warnungen")):
        policy = csp(client.get(path))
        assert policy["img-src"] == ["'self'", "data:", "https://tiles.example.org"], path
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
        assert policy["connect-src"] == ["'self'"] and policy["default-src"] == ["'self'"]
    for path in ("/wintersmart/", "/"):                                      # no map: the strict policy
        assert csp(anonymous.get(path))["img-src"] == ["'self'", "data:"], path
    # switched back to the SVG map: the tile host is gone again
    assert admin_api(map_library="svg").status_code == 200
    assert csp(anonymous.get("/wintersmart/warnungen"))["img-src"] == ["'self'", "data:"]


def test_tile_url_locked_by_the_environment(demo, client_as, monkeypatch):
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_MAP_LIBRARY", "leaflet")
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_MAP_TILE_URL", "http://127.0.0.1:9/{z}/{x}/{y}.png")
    response = client_as(None).get("/wintersmart/warnungen")
    assert csp(response)["img-src"] == ["'self'", "data:", "http://127.0.0.1:9"]
    assert 'data-tile-url="http://127.0.0.1:9/{z}/{x}/{y}.png"' in response.get_data(as_text=True)
    # an invalid lock is ignored (logged): the default tile server is used, never the invalid one
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_MAP_TILE_URL", "http://evil.example.org/{z}/{x}/{y}.png")
    response = client_as(None).get("/wintersmart/warnungen")
    assert csp(response)["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert "evil.example.org" not in response.get_data(as_text=True)


def test_facade_widens_only_host_sources_of_img_and_connect(mash_app):
    from mash_core.api import allow_csp_source
    with mash_app.test_request_context("/"):
        for directive, source in (("script-src", "https://cdn.example.org"), ("style-src", "https://a.example.org"),
                                  ("default-src", "https://a.example.org"), ("img-src", "'unsafe-inline'"),
                                  ("img-src", "*"), ("img-src", "https:"), ("img-src", "http://tiles.example.org"),
                                  ("img-src", "https://a.example.org/path"), ("img-src", "https://a.org; script-src *"),
                                  ("connect-src", "https://a.example.org\n")):
            with pytest.raises(ValueError):
                allow_csp_source(directive, source)
        allow_csp_source("img-src", "https://tiles.example.org", "http://127.0.0.1:9")
        allow_csp_source("connect-src", "https://api.example.org:8443")
        allow_csp_source("img-src", "https://tiles.example.org")                 # no duplicate
        response = mash_app.process_response(mash_app.response_class("ok"))
    policy = csp(response)
    assert policy["img-src"] == ["'self'", "data:", "https://tiles.example.org", "http://127.0.0.1:9"]
    assert policy["connect-src"] == ["'self'", "https://api.example.org:8443"]
    assert policy["script-src"] == ["'self'"]


# -- the pages with the interactive map -----------------------------------------------------------


def test_dashboard_renders_fallback_and_leaflet_map(demo, client_as, admin_api):
    assert admin_api(map_library="leaflet", map_tile_url=TILES, map_tile_attribution="© Kacheln <b>X</b>",
                     map_max_zoom=17).status_code == 200
    page = client_as("staff").get("/wintersmart/leitstand").get_data(as_text=True)
    # the SVG map stays (no script, no Leaflet), inside the element the script hides
    fallback = page[page.index('<div id="ws-map-fallback">'):]
    assert fallback.index('class="ws-map-svg"') < fallback.index("</svg>") < fallback.index("</div>")
    svg = fallback[:fallback.index("</svg>")]
    assert svg.count("<polyline") == 25 and svg.count("<circle") == 20 and svg.count("<polygon") == 4
    # the map's container: hidden until the script draws it, tile settings and GeoJSON as data-*
    box = re.search(r"<div class=\"ws-leaflet\"[^>]*>", page).group(0)
    assert " hidden" in box and 'data-fallback="ws-map-fallback"' in box and 'role="region"' in box
    assert f'data-tile-url="{TILES}"' in box and 'data-max-zoom="17"' in box
    assert 'data-attribution="© Kacheln &lt;b&gt;X&lt;/b&gt;"' in box                   # text, never markup
    assert "Kartenhintergrund nicht erreichbar – Straßennetz ohne Hintergrund" in page
    data = features(page)
    assert data["type"] == "FeatureCollection"
    by_layer: dict[str, list] = {}
    for f in data["features"]:
        by_layer.setdefault(f["properties"]["layer"], []).append(f)
    assert {k: len(v) for k, v in by_layer.items()} == {"segments": 25, "stations": 20, "bins": 52, "signs": 4}
    seg = by_layer["segments"][0]
    assert seg["geometry"]["type"] == "LineString" and len(seg["geometry"]["coordinates"]) >= 2
    assert seg["properties"]["colour"] == "#767676" and seg["properties"]["label"].endswith(": keine Glättegefahr")
    assert {f["properties"]["shape"] for f in by_layer["signs"]} == {"triangle"}
    assert all(re.fullmatch(r"#[0-9a-f]{6}", f["properties"]["colour"]) for f in data["features"])
    # the vendored Leaflet and the plugin's map script and style, no inline code
    for asset in ("vendor/leaflet/leaflet.js", "vendor/leaflet/leaflet.css", "wintersmart/map.js",
                  "wintersmart/map.css"):
        assert f"/wintersmart/static/{asset}" in page
    assert page.index("leaflet.js") < page.index("wintersmart/map.js")     # deferred in this order
    assert_no_inline_code(page)


def test_warnings_page_renders_fallback_and_leaflet_map(demo, client_as, admin_api):
    from mash_core.api import db_session, select
    from mash_wintersmart.models import RoadSegment
    from mash_wintersmart.warning_models import Warning
    with in_municipality(demo):
        session = db_session()
        seg = session.exec(select(RoadSegment).order_by(RoadSegment.id)).first()
        seg.name = "Brücke '><script>alert(1)</script>"
        session.add(Warning(road_segment_id=seg.id, level=2, source="manual", reasons=["MANUAL"],
                            valid_from=datetime.now(timezone.utc)))
        session.commit()
    assert admin_api(map_library="leaflet", map_tile_url=TILES).status_code == 200
    page = client_as(None).get("/wintersmart/warnungen").get_data(as_text=True)
    assert '<div id="warning-map-fallback">' in page and "<polyline" in page and 'role="img"' in page
    assert "data-ws-leaflet" in page and 'data-fallback="warning-map-fallback"' in page
    assert "Kartenhintergrund nicht erreichbar – Straßennetz ohne Hintergrund" in page
    assert "<script>alert(1)" not in page                                  # the name is escaped everywhere
    data = features(page)
    assert len(data["features"]) == 25 and {f["properties"]["layer"] for f in data["features"]} == {"segments"}
    warned = [f for f in data["features"] if f["properties"]["level"] == 2]
    assert len(warned) == 1 and warned[0]["properties"]["colour"] == "#c0392b"
    assert warned[0]["properties"]["label"] == "Brücke '><script>alert(1)</script>: Glätte"
    assert data["features"][-1]["properties"]["level"] == 2                 # warnings drawn on top
    assert "Legende" in page
    assert_no_inline_code(page)


def test_plan_page_renders_fallback_and_routes_per_vehicle(mash_app, client_as, admin_api):
    from mash_core.api import db_session, select
    from mash_wintersmart.demo import load
    from mash_wintersmart.models_bins import Container
    from mash_wintersmart.planning import plan_gritting
    with in_municipality(mash_app):
        load()
        session = db_session()
        for c in session.exec(select(Container).where(Container.kind == "silo")).all():
            c.level_kg = 50000.0
        session.commit()
        plan = plan_gritting(time_limit=0.5, vehicles=2)
        plan_id, vehicles = plan.id, {r["vehicle"] for r in plan.routes}
        services = sum(len(r["services"]) for r in plan.routes)
    staff = client_as("staff")
    assert "data-ws-leaflet" not in staff.get(f"/wintersmart/plaene/{plan_id}").get_data(as_text=True)
    assert admin_api(map_library="leaflet", map_tile_url=TILES).status_code == 200
    response = staff.get(f"/wintersmart/plaene/{plan_id}")
    page = response.get_data(as_text=True)
    assert csp(response)["img-src"][-1] == "https://tiles.example.org"
    assert '<div id="plan-map-fallback">' in page and 'data-fallback="plan-map-fallback"' in page
    data = features(page)
    layers = {f["properties"]["layer"] for f in data["features"]}
    assert layers == {"network", "silo"} | {f"vehicle-{v}" for v in vehicles}
    routes = [f for f in data["features"] if f["properties"]["layer"].startswith("vehicle-")]
    assert len(routes) == services and all(f["properties"]["label"].startswith("Fahrzeug ") for f in routes)
    assert "Legende:" in page
    assert_no_inline_code(page)


def test_vendored_leaflet_is_served(mash_app, client_as):
    client = client_as(None)
    js = client.get("/wintersmart/static/vendor/leaflet/leaflet.js")
    assert js.status_code == 200 and 't.version="1.9.4"' in js.get_data(as_text=True)
    assert client.get("/wintersmart/static/vendor/leaflet/leaflet.css").status_code == 200
    for image in ("layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png", "marker-shadow.png"):
        assert client.get(f"/wintersmart/static/vendor/leaflet/images/{image}").status_code == 200
    licence = client.get("/wintersmart/static/vendor/leaflet/LICENSE").get_data(as_text=True)
    assert "Volodymyr Agafonkin" in licence
    script = client.get("/wintersmart/static/wintersmart/map.js").get_data(as_text=True)
    assert "tileerror" in script and "eval(" not in script
