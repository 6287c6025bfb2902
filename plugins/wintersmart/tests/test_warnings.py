"""Warnings per road segment: lifecycle from assessments, history, operator notification once
per rise to level 2, JSON API, CAP 1.2 feed, citizen page with its SVG map."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from wintersmart_support import api_headers, feed, in_municipality, rows, station, utc

pytestmark = pytest.mark.mash_plugins("wintersmart")
T0 = utc(2026, 1, 15, 1, 0)
CAP = "{urn:oasis:names:tc:emergency:cap:1.2}"
ATOM = "{http://www.w3.org/2005/Atom}"
BRIDGE = {"key": "hd:theodor-heuss-bruecke", "name": "Theodor-Heuss-Brücke", "is_bridge": True, "priority_class": 1,
          "geometry": {"type": "LineString", "coordinates": [[8.6927, 49.4131], [8.6934, 49.4164]]}}


@pytest.fixture
def sent(monkeypatch):
    """Notifications the warnings module sends (instead of the notifier driver)."""
    out = []
    monkeypatch.setattr("mash_wintersmart.warnings.notify", lambda to, subject, body: out.append((to, subject, body)))
    return out


@pytest.fixture
def segment(mash_app, monkeypatch):
    """The Theodor-Heuss-Brücke with station rws-1 on it; operators' address set."""
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_OPERATOR_EMAIL", "einsatz@example.org")
    auth = api_headers(mash_app)
    client = mash_app.test_client()
    seg = client.post("/api/v1/wintersmart/segments", headers=auth, json=BRIDGE).get_json()
    feed(mash_app, [station("rws-1", T0 - timedelta(minutes=5), rst_1=5.0, t_air=6.0, rh=60)])
    thing = dict(rows(mash_app, "SELECT key, id FROM wintersmart_thing"))["rws-1"]
    assert client.patch(f"/api/v1/wintersmart/things/{thing}", headers=auth,
                        json={"road_segment_id": seg["id"]}).status_code == 200
    return seg["id"]


def warnings_of(app):
    return rows(app, "SELECT level, valid_from, valid_until, source, previous_id, notified_at, reasons "
                     "FROM wintersmart_warning ORDER BY id")


def test_warning_lifecycle_follows_the_segment_level_with_history(mash_app, segment, sent):
    from mash_wintersmart.assess import assess_all

    feed(mash_app, [station("rws-1", T0, rst_1=-1.0, water_film=0.3)])            # level 2 at once
    got = warnings_of(mash_app)
    assert [(w[0], w[2], w[3]) for w in got] == [(2, None, "auto")]
    assert "RST_LE_TCRIT_MOIST" in json.loads(got[0][6]) if isinstance(got[0][6], str) else got[0][6]
    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=5), rst_1=-1.2, water_film=0.3, ice_film=0.2)])
    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=10), rst_1=-1.2, water_film=0.3, ice_film=0.2)])
    got = warnings_of(mash_app)
    assert [w[0] for w in got] == [2, 3]                                           # same level: no new row
    assert got[0][2] is not None and got[1][2] is None and got[1][4] is not None    # closed, follows
    with in_municipality(mash_app):                                                # data stop: hold, then 0
        assess_all(now=T0 + timedelta(minutes=50))
        assess_all(now=T0 + timedelta(minutes=90))
    got = warnings_of(mash_app)
    assert all(w[2] is not None for w in got), got                                 # nothing active any more
    assert [w[0] for w in got][:2] == [2, 3]


def test_operators_are_notified_once_per_rise_to_level_2(mash_app, segment, sent):
    from mash_wintersmart.warnings import update_warning

    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=m), rst_1=-1.0 - m / 100, water_film=0.3)
                    for m in range(0, 30, 5)])                                     # level 2 six times
    assert len(sent) == 1
    to, subject, body = sent[0]
    assert to == "einsatz@example.org" and "Theodor-Heuss-Brücke" in subject and "Stufe 2" in subject
    assert "feucht und kälter als ihr Gefrierpunkt" in body
    with in_municipality(mash_app) as m:
        from mash_core.api import db_session
        session = db_session()
        update_warning(session, segment, 3, ["ICE_FILM"], T0 + timedelta(hours=1))    # 2 → 3: no new rise
        update_warning(session, segment, 1, ["NOWCAST_NEAR_TCRIT"], T0 + timedelta(hours=2))
        assert len(sent) == 1
        update_warning(session, segment, 2, ["FROST_RST_LE_TF"], T0 + timedelta(hours=3))  # a new rise
        session.commit()
    assert len(sent) == 2
    assert [w[0] for w in warnings_of(mash_app)] == [2, 3, 1, 2]
    assert sum(1 for w in warnings_of(mash_app) if w[5] is not None) == 2


def _make_warning(app, segment_id, level=2, reasons=("RST_LE_TCRIT_MOIST", "HOLD_HYSTERESIS")):
    from mash_core.api import db_session
    from mash_wintersmart.warnings import update_warning

    with in_municipality(app):
        session = db_session()
        update_warning(session, segment_id, level, list(reasons), T0)
        session.commit()


def test_json_api_lists_active_warnings_publicly(mash_app, segment, sent):
    _make_warning(mash_app, segment, 1, ["NEAR_TCRIT_NEAR_DEWPOINT"])
    _make_warning(mash_app, segment, 2)
    r = mash_app.test_client().get("/api/v1/wintersmart/warnings")
    assert r.status_code == 200
    body = r.get_json()["warnings"]
    assert len(body) == 1
    w = body[0]
    assert w["level"] == 2 and w["level_text"] == "Glätte" and w["source"] == "auto"
    assert w["segment"]["name"] == "Theodor-Heuss-Brücke" and w["segment"]["geometry"]["type"] == "LineString"
    assert [r["code"] for r in w["reasons"]] == ["RST_LE_TCRIT_MOIST", "HOLD_HYSTERESIS"]
    assert w["valid_from"].startswith("2026-01-15T01:00:00") and w["valid_until"] is None
    # history for operators only
    client = mash_app.test_client()
    assert client.get("/api/v1/wintersmart/warnings/history").status_code == 401
    hist = client.get("/api/v1/wintersmart/warnings/history", headers=api_headers(mash_app, email="o2@example.org"))
    assert [h["level"] for h in hist.get_json()["warnings"]] == [2, 1]


def test_cap_feed_carries_one_cap_1_2_alert_per_active_warning(mash_app, segment, sent):
    _make_warning(mash_app, segment, 1, ["NEAR_TCRIT_NEAR_DEWPOINT"])
    _make_warning(mash_app, segment, 3, ["ICE_FILM"])
    r = mash_app.test_client().get("/api/v1/wintersmart/warnings.cap")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    feed_el = ET.fromstring(r.data)
    assert feed_el.tag == f"{ATOM}feed" and feed_el.find(f"{ATOM}id").text
    entries = feed_el.findall(f"{ATOM}entry")
    assert len(entries) == 1
    content = entries[0].find(f"{ATOM}content")
    assert content.get("type") == "application/cap+xml"
    alert = content.find(f"{CAP}alert")
    children = [c.tag.removeprefix(CAP) for c in alert]
    # CAP 1.2 order of the alert block
    assert children[:6] == ["identifier", "sender", "sent", "status", "msgType", "scope"]
    assert alert.find(f"{CAP}identifier").text.startswith("urn:mash:heidelberg:wintersmart:warning:")
    assert alert.find(f"{CAP}sent").text == "2026-01-15T01:00:00-00:00"
    assert alert.find(f"{CAP}status").text == "Actual" and alert.find(f"{CAP}scope").text == "Public"
    assert alert.find(f"{CAP}msgType").text == "Update"                        # level 1 → 3 without a gap
    sender, ref_id, ref_sent = alert.find(f"{CAP}references").text.split(",")
    assert sender == alert.find(f"{CAP}sender").text and ref_id.endswith(":warning:1")
    info = alert.find(f"{CAP}info")
    get = lambda tag: info.find(f"{CAP}{tag}").text  # noqa: E731
    assert get("language") == "de-DE" and get("category") == "Met" and get("event") == "Straßenglätte"
    assert (get("urgency"), get("severity"), get("certainty")) == ("Immediate", "Severe", "Observed")
    assert "Eisschicht" in get("description") and get("web").endswith("/wintersmart/warnungen")
    area = info.find(f"{CAP}area")
    assert area.find(f"{CAP}areaDesc").text == "Theodor-Heuss-Brücke"
    points = [tuple(map(float, p.split(","))) for p in area.find(f"{CAP}polygon").text.split()]
    assert len(points) >= 4 and points[0] == points[-1]
    assert all(49.41 < lat < 49.42 and 8.69 < lon < 8.70 for lat, lon in points)
    # one alert on its own
    wid = ref_id  # noqa: F841
    one = mash_app.test_client().get(f"/api/v1/wintersmart/warnings/{alert.find(f'{CAP}identifier').text.split(':')[-1]}.cap")
    assert one.status_code == 200 and one.mimetype == "application/cap+xml"
    assert ET.fromstring(one.data).tag == f"{CAP}alert"
    first = ET.fromstring(mash_app.test_client().get("/api/v1/wintersmart/warnings/1.cap").data)
    assert first.find(f"{CAP}msgType").text == "Alert" and first.find(f"{CAP}references") is None
    assert first.find(f"{CAP}info/{CAP}severity").text == "Minor"


def test_empty_cap_feed_is_valid(mash_app):
    feed_el = ET.fromstring(mash_app.test_client().get("/api/v1/wintersmart/warnings.cap").data)
    assert feed_el.tag == f"{ATOM}feed" and feed_el.findall(f"{ATOM}entry") == []


def test_citizen_page_lists_warnings_and_draws_an_accessible_map(mash_app, segment, sent, client_as):
    _make_warning(mash_app, segment, 2)
    r = client_as(None).get("/wintersmart/warnungen")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    main = html[html.index("<main"):html.index("</main>")]
    assert "Theodor-Heuss-Brücke" in main and "Stufe 2 von 3: Glätte" in main
    assert "15.01.2026, 02:00" in main                                             # local time (CET)
    assert "feucht und kälter als ihr Gefrierpunkt" in main
    assert "style=" not in main and "<script" not in main and "http://" not in main.replace(
        "http://www.w3.org/2000/svg", "")
    assert 'role="img"' in main and 'aria-labelledby="map-title map-desc"' in main and "<polyline" in main
    assert 'aria-hidden="true"' in main                                           # legend swatches
    assert "/api/v1/wintersmart/warnings.cap" in main
    # headings in order, no level skipped
    import re
    levels = [int(h) for h in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:]))
    # English
    en = client_as(None).get("/wintersmart/warnungen", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Current ice warnings" in en


def test_citizen_page_without_warnings_or_segments(mash_app, client_as):
    html = client_as(None).get("/wintersmart/warnungen").get_data(as_text=True)
    assert "Zurzeit gibt es keine Glättewarnung" in html and "<svg" not in html[html.index("<main"):]
