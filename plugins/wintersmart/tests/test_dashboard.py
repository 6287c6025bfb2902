"""Operator dashboard (Leitstand): permissions, the map and tables with the demo data, the
station chart from the history, and the sign override form (CSRF, audit, signs module)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from mash_core.api import municipality_context
from wintersmart_support import feed, night, rows, scalar

pytestmark = pytest.mark.mash_plugins("wintersmart")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_demo(app):
    from mash_wintersmart.plugin import mash_load_demo
    with app.app_context(), municipality_context(1):
        mash_load_demo(None)


def ids(app, table: str) -> dict:
    return dict(rows(app, f"SELECT key, id FROM {table}"))


@pytest.fixture
def demo(mash_app, monkeypatch):
    monkeypatch.setattr("mash_wintersmart.warnings.notify", lambda *a: None)
    load_demo(mash_app)
    load_demo(mash_app)                                   # idempotent
    return mash_app


def test_dashboard_needs_the_operate_permission(demo, client_as):
    anonymous = client_as(None).get("/wintersmart/leitstand")
    assert anonymous.status_code == 302 and "/anmelden" in anonymous.headers["Location"]
    assert client_as("citizen").get("/wintersmart/leitstand").status_code == 403
    station = ids(demo, "wintersmart_thing")["hd-rws-01"]
    assert client_as("citizen").get(f"/wintersmart/leitstand/station/{station}").status_code == 403
    sign = ids(demo, "wintersmart_sign")["hd-sign-01"]
    assert client_as("citizen").post(f"/wintersmart/leitstand/schild/{sign}/uebersteuern",
                                     data={"content": "blank", "hours": "1"}).status_code in (400, 403)
    assert client_as("staff").get("/wintersmart/leitstand").status_code == 200
    assert client_as("winterdienst").get("/wintersmart/leitstand").status_code == 200


def test_nav_link_only_for_operators(demo, client_as):
    assert 'href="/wintersmart/leitstand"' in client_as("staff").get("/").get_data(as_text=True)
    assert 'href="/wintersmart/leitstand"' not in client_as("citizen").get("/").get_data(as_text=True)


def test_dashboard_renders_the_demo_map_and_tables(demo, client_as):
    html = client_as("staff").get("/wintersmart/leitstand").get_data(as_text=True)
    assert scalar(demo, "SELECT count(*) FROM wintersmart_sign") == 4
    svg = html[html.index('<svg xmlns="http://www.w3.org/2000/svg" viewBox'):]
    svg = svg[:svg.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert svg.count("<polyline") == scalar(demo, "SELECT count(*) FROM wintersmart_road_segment")
    assert svg.count("<circle") == 20 and svg.count("<polygon") == 4 and svg.count("<rect") == 1 + 52
    assert "Legende" in html and "Dreieck: Schild" in html
    assert html.count("<tr data-container=") == 52 and "Salzsilo" in html and "keine Prognose" in html
    assert html.count('ws-override-form"') == 4
    assert "Zurzeit gibt es keine Glättewarnung." in html
    # no inline script or style, assets from the plugin's static folder
    assert "<style" not in html and " style=" not in html and not re.search(r"<script(?![^>]*src=)", html)
    assert "/wintersmart/static/wintersmart/leitstand.css" in html and "/wintersmart/static/wintersmart/leitstand.js" in html
    assert client_as("staff").get("/wintersmart/static/wintersmart/leitstand.js").status_code == 200


def test_station_chart_from_the_history(demo, client_as):
    start = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=3)
    feed(demo, night("hd-rws-01", start, minutes=175, step=5, rst0=2.0, cooling_k_per_h=1.5, water_film=0.2))
    station = ids(demo, "wintersmart_thing")["hd-rws-01"]
    client = client_as("staff")
    html = client.get(f"/wintersmart/leitstand/station/{station}").get_data(as_text=True)
    assert "Fahrbahntemperatur" in html and "Lufttemperatur" in html and "Taupunkt" in html
    chart = html[html.index('class="ws-chart-svg"'):]
    chart = chart[:chart.index("</svg>")]
    assert chart.count("<polyline") >= 4                       # three temperatures + the level step line
    assert "−" in chart or "0" in chart                          # the temperature axis
    assert "Letzter Wert je Stunde" in html and html.count("<tr><th scope=\"row\">") >= 3
    # dashboard: the station now has an assessment, the segment (a bridge) a warning
    dash = client.get("/wintersmart/leitstand").get_data(as_text=True)
    assert "noch keine Bewertung" in dash and "Aktuelle Warnungen" in dash
    empty = ids(demo, "wintersmart_thing")["hd-rws-02"]
    assert "keine Messwerte vor" in client.get(f"/wintersmart/leitstand/station/{empty}").get_data(as_text=True)
    sign = ids(demo, "wintersmart_thing")["hd-sign-01"]
    assert client.get(f"/wintersmart/leitstand/station/{sign}").status_code == 404


def test_override_form_sets_and_clears_through_the_signs_module(demo, client_as):
    client = client_as("staff")
    sign = ids(demo, "wintersmart_sign")["hd-sign-02"]
    page = client.get("/wintersmart/leitstand").get_data(as_text=True)
    token = CSRF.search(page).group(1)
    url = f"/wintersmart/leitstand/schild/{sign}/uebersteuern"
    assert client.post(url, data={"content": "VZ101-51", "hours": "2"}).status_code == 400     # no CSRF token
    bad = client.post(url, data={"csrf_token": token, "content": "rainbow", "hours": "3"}, follow_redirects=True)
    assert "nicht gesetzt" in bad.get_data(as_text=True)
    assert scalar(demo, "SELECT count(*) FROM wintersmart_sign_override") == 0
    done = client.post(url, data={"csrf_token": token, "content": "VZ101-51", "text": "Glätte", "hours": "2",
                                  "reason": "Unfallstelle"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "übersteuert" in html and "Übersteuerung aufheben" in html
    override = rows(demo, "SELECT content, text, reason, created_by, until, cleared_at FROM wintersmart_sign_override")
    assert len(override) == 1 and override[0][:3] == ("VZ101-51", "Glätte", "Unfallstelle")
    assert override[0][3].startswith("staff") and override[0][5] is None
    commands = rows(demo, "SELECT content, text, origin FROM wintersmart_sign_command WHERE sign_id = :s", s=sign)
    assert commands[-1] == ("VZ101-51", "Glätte", f"manual:{override[0][3]}")
    actions = [r[0] for r in rows(demo, "SELECT action FROM core_audit ORDER BY id")]
    assert "wintersmart.sign_override_set" in actions and "wintersmart.sign_command" in actions

    cleared = client.post(f"/wintersmart/leitstand/schild/{sign}/freigeben", data={"csrf_token": token},
                          follow_redirects=True)
    assert "aufgehoben" in cleared.get_data(as_text=True)
    assert rows(demo, "SELECT cleared_at FROM wintersmart_sign_override")[0][0] is not None
    assert "wintersmart.sign_override_cleared" in [r[0] for r in rows(demo, "SELECT action FROM core_audit")]
    again = client.post(f"/wintersmart/leitstand/schild/{sign}/freigeben", data={"csrf_token": token},
                        follow_redirects=True)
    assert "war nicht übersteuert" in again.get_data(as_text=True)
    assert client.post("/wintersmart/leitstand/schild/99999/freigeben", data={"csrf_token": token}).status_code == 404


def test_english_dashboard(demo, client_as):
    client = client_as("staff")
    client.get("/sprache/en?next=/")
    html = client.get("/wintersmart/leitstand").get_data(as_text=True)
    assert "Winter service control centre" in html and "Legend" in html and "Leitstand" not in html
