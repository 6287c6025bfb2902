"""WinterSMART's interactive map (setting map_library = "leaflet") when the tile server cannot be
reached: the citizen warning page and the operator dashboard draw the Leaflet map with the road
network on a plain background and say so; axe scans both pages.

This module runs its own portal (own instance, demo data) with the map settings locked by the
environment, and — unlike the other journeys — browses with the portal's real
Content-Security-Policy in force (no ``bypass_csp``): the vendored Leaflet and the plugin's script
must work under it, and the CSP must let the browser ask the configured tile server (an address
on this machine where nothing answers).
"""

from __future__ import annotations

import struct
import zlib

import pytest

from conftest import AXE_JS, Portal, _free_port, _mash_executable, _start, _wait_until_up, is_local

pytestmark = pytest.mark.e2e

TILE_HOST = "http://127.0.0.1:9"                       # the discard port: no tile server there
TILE_URL = TILE_HOST + "/{z}/{x}/{y}.png"
NOTE = "Kartenhintergrund nicht erreichbar – Straßennetz ohne Hintergrund"
SEGMENTS = 25                                          # the demo network


def _png(size: int = 256, grey: int = 0xDD) -> bytes:
    """A plain grey PNG: the tile a reachable tile server would send."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + bytes([grey]) * size for _ in range(size))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


PNG = _png()

#: records CSP violations before any script of the page runs (init scripts are not subject to the CSP)
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    """A live portal like the shared one, with map_library = leaflet and an unreachable tile URL."""
    import os

    instance = tmp_path_factory.mktemp("e2e-map-instance")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MASH_") and k not in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")}
    env.update(MASH_INSTANCE=str(instance), MASH_NOTIFIER="file", MASH_SECRET_KEY="e2e-" + os.urandom(16).hex(),
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONUNBUFFERED="1",
               MASH_SETTING_WINTERSMART_MAP_LIBRARY="leaflet", MASH_SETTING_WINTERSMART_MAP_TILE_URL=TILE_URL)
    port = _free_port()
    portal = Portal(url=f"http://127.0.0.1:{port}", instance=instance, env=env)
    portal.mash("demo", "load")
    log = instance / "server.log"
    proc = _start([_mash_executable(), "run", "--host", "127.0.0.1", "--port", str(port), "--no-worker"], env, log)
    try:
        _wait_until_up(portal.url, proc, log)
        yield portal
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except Exception:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def strict_page(chromium, portal):
    """A page in a German desktop context that enforces the portal's CSP; every request is
    recorded in ``page.requests`` and none may leave the machine."""
    ctx = chromium.new_context(locale="de-DE", base_url=portal.url, viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    requests: list[str] = []
    ctx.on("request", lambda req: requests.append(req.url))
    ctx.add_init_script(RECORD_CSP_VIOLATIONS)
    page = ctx.new_page()
    page.requests = requests
    yield page
    ctx.close()
    foreign = [u for u in requests if not is_local(u)]
    assert not foreign, f"requests left the machine: {foreign}"


def strict_axe(page, axe) -> None:
    """axe under the page's CSP: load axe-core through the DevTools protocol, not a script tag."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    axe(page)


def assert_map_without_background(page, fallback: str) -> None:
    box = page.locator("[data-ws-leaflet]")
    page.wait_for_selector("[data-ws-leaflet][data-ready=true]")
    assert box.is_visible() and box.get_attribute("role") == "region"
    # the tile server does not answer: the tile layer is removed and the note is shown
    page.wait_for_selector("[data-ws-leaflet][data-tiles=failed]")
    note = page.locator("[data-ws-map-note]")
    assert note.is_visible() and note.inner_text().strip() == NOTE
    assert box.locator(".leaflet-tile").count() == 0
    assert "ws-leaflet-plain" in (box.get_attribute("class") or "")
    # the browser did ask the configured tile server, and the CSP blocked nothing (without the tile
    # host in img-src, every tile would be a violation here)
    assert any(u.startswith(TILE_HOST + "/") for u in page.requests), page.requests
    assert page.evaluate("window.__cspViolations") == []
    # the SVG fallback is hidden once the interactive map is drawn; zoom buttons in German
    assert not page.locator(f"#{fallback}").is_visible()
    assert page.get_by_role("button", name="Vergrößern").count() == 1


def test_warning_page_leaflet_map_without_tile_server(strict_page, axe):
    page = strict_page
    response = page.goto("/wintersmart/warnungen")
    assert response.status == 200
    assert TILE_HOST in response.headers["content-security-policy"]
    assert_map_without_background(page, "warning-map-fallback")
    # the segment layer is drawn: one SVG path per demo segment in Leaflet's overlay pane, in the
    # colour of "no warning" (the demo has no warning)
    assert page.locator("[data-ws-leaflet] .leaflet-overlay-pane path").count() == SEGMENTS
    assert page.locator("[data-ws-leaflet] .leaflet-overlay-pane path[stroke='#8c8c8c']").count() == SEGMENTS
    strict_axe(page, axe)


def test_warning_page_with_tiles_has_no_note(strict_page, axe):
    """The same page when the tile server answers (the browser's requests to it are answered by
    the test): tiles are shown with their attribution, and no note."""
    page = strict_page
    page.route(TILE_HOST + "/**", lambda route: route.fulfill(status=200, content_type="image/png", body=PNG))
    page.goto("/wintersmart/warnungen")
    page.wait_for_selector("[data-ws-leaflet][data-tiles=ok]")
    box = page.locator("[data-ws-leaflet]")
    assert box.locator(".leaflet-tile-loaded").count() > 0
    assert "© OpenStreetMap-Mitwirkende" in box.locator(".leaflet-control-attribution").inner_text()
    page.wait_for_timeout(5500)                           # past the script's wait for a first tile
    assert box.get_attribute("data-tiles") == "ok" and not page.locator("[data-ws-map-note]").is_visible()
    assert box.locator(".leaflet-overlay-pane path").count() == SEGMENTS
    assert page.evaluate("window.__cspViolations") == []
    strict_axe(page, axe)


def test_dashboard_leaflet_map_without_tile_server(portal, strict_page, axe):
    page = strict_page
    email, password = portal.credentials("staff")
    page.goto("/anmelden")
    strict_axe(page, axe)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/")
    response = page.goto("/wintersmart/leitstand")
    assert response.status == 200 and TILE_HOST in response.headers["content-security-policy"]
    assert_map_without_background(page, "ws-map-fallback")
    box = page.locator("[data-ws-leaflet]")
    paths = box.locator(".leaflet-overlay-pane path")
    assert paths.count() == SEGMENTS + 20                  # segments and the 20 stations
    assert box.locator(".leaflet-overlay-pane path[stroke='#767676']").count() == SEGMENTS
    assert box.locator(".leaflet-overlay-pane path[stroke='#1a1a1a']").count() == 20
    assert box.locator(".leaflet-marker-pane .ws-leaflet-icon").count() == 52 + 4   # bins and silos, signs
    # the layer switches also switch the interactive map's layers
    page.get_by_label("Messstationen", exact=True).uncheck()
    assert paths.count() == SEGMENTS
    page.get_by_label("Messstationen", exact=True).check()
    assert paths.count() == SEGMENTS + 20
    strict_axe(page, axe)
