"""CAP 1.2 (OASIS Common Alerting Protocol) for the active warnings, built with xml.etree.

* :func:`alert` — one ``<alert>`` per warning: identifier ``urn:mash:<municipality>:wintersmart:
  warning:<id>``, sender (setting ``cap_sender``, else ``wintersmart@<host>``), sent (the
  warning's start), status Actual, msgType Alert (Update with ``references`` when it followed a
  warning of the same segment without a gap), scope Public; one ``<info>`` (de-DE, category Met,
  event, responseType, urgency/severity/certainty from the level, headline, description from the
  reasons, instruction, web, ``<area>`` with areaDesc and a closed polygon around the segment).
* :func:`feed` — an Atom feed (RFC 4287) whose entries carry the CAP alerts as content, the
  shape warning apps poll (as the CAP index feeds of alerting authorities).

Times are written with an offset and never with "Z", UTC as ``-00:00`` (CAP 1.2 §3.3.2).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Optional

from .warnings import REASON_TEXT, aware, level_text

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
ET.register_namespace("", CAP_NS)
ET.register_namespace("atom", ATOM_NS)

#: level → (urgency, severity, certainty, responseType)
PROFILE = {
    1: ("Expected", "Minor", "Possible", "Prepare"),
    2: ("Immediate", "Moderate", "Likely", "Avoid"),
    3: ("Immediate", "Severe", "Observed", "Avoid"),
}
INSTRUCTION = {
    1: "Auf Glätte einstellen, besonders auf Brücken: vorsichtig und mit Abstand fahren.",
    2: "Langsam fahren, Abstand halten, nicht abrupt bremsen. Zu Fuß und mit dem Rad besonders vorsichtig sein.",
    3: "Wenn möglich nicht fahren. Sonst sehr langsam fahren und großen Abstand halten.",
}
BUFFER_M = 30.0


def cap_time(t: datetime) -> str:
    t = aware(t).astimezone(timezone.utc).replace(microsecond=0)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + "-00:00"


def identifier(municipality_slug: str, warning_id: int) -> str:
    return f"urn:mash:{municipality_slug}:wintersmart:warning:{warning_id}"


def polygon(coordinates: list) -> Optional[str]:
    """A closed ring around a lon/lat polyline: its bounding box widened by ``BUFFER_M`` metres,
    as CAP wants it: "lat,lon" pairs separated by spaces, first = last, at least 4 points."""
    if not coordinates:
        return None
    lons = [c[0] for c in coordinates]
    lats = [c[1] for c in coordinates]
    mid = (min(lats) + max(lats)) / 2
    dlat = BUFFER_M / 111_320.0
    dlon = BUFFER_M / (111_320.0 * max(math.cos(math.radians(mid)), 0.01))
    s, n, w, e = min(lats) - dlat, max(lats) + dlat, min(lons) - dlon, max(lons) + dlon
    ring = [(s, w), (s, e), (n, e), (n, w), (s, w)]
    return " ".join(f"{lat:.5f},{lon:.5f}" for lat, lon in ring)


def _sub(parent, tag: str, text=None, ns: str = CAP_NS):
    el = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        el.text = str(text)
    return el


def alert(warning: dict, previous: Optional[dict], *, municipality_slug: str, sender: str, sender_name: str,
          web: str, contact: str = "") -> ET.Element:
    """The CAP alert of one warning (as :func:`.warnings.warning_dict` gives it)."""
    level = max(1, min(3, warning["level"]))
    urgency, severity, certainty, response = PROFILE[level]
    root = ET.Element(f"{{{CAP_NS}}}alert")
    _sub(root, "identifier", identifier(municipality_slug, warning["id"]))
    _sub(root, "sender", sender)
    sent = cap_time(datetime.fromisoformat(warning["valid_from"]))
    _sub(root, "sent", sent)
    _sub(root, "status", "Actual")
    _sub(root, "msgType", "Update" if previous else "Alert")
    _sub(root, "scope", "Public")
    if previous:
        _sub(root, "references", ",".join((sender, identifier(municipality_slug, previous["id"]),
                                           cap_time(datetime.fromisoformat(previous["valid_from"])))))
    info = _sub(root, "info")
    _sub(info, "language", "de-DE")
    _sub(info, "category", "Met")
    _sub(info, "event", "Straßenglätte")
    _sub(info, "responseType", response)
    _sub(info, "urgency", urgency)
    _sub(info, "severity", severity)
    _sub(info, "certainty", certainty)
    _sub(info, "effective", sent)
    _sub(info, "senderName", sender_name)
    segment = warning["segment"]
    _sub(info, "headline", f"{level_text(level)}: {segment['name']}")
    reasons = [str(REASON_TEXT[r["code"]]) for r in warning["reasons"] if r["code"] in REASON_TEXT]
    _sub(info, "description", " ".join(reasons) or level_text(level))
    _sub(info, "instruction", INSTRUCTION[level])
    _sub(info, "web", web)
    if contact:
        _sub(info, "contact", contact)
    for name, value in (("mash:level", level), ("mash:segment", segment["key"] or segment["id"])):
        param = _sub(info, "parameter")
        _sub(param, "valueName", name)
        _sub(param, "value", value)
    area = _sub(info, "area")
    _sub(area, "areaDesc", segment["name"] or "")
    geometry = segment.get("geometry")
    ring = polygon(geometry["coordinates"]) if geometry else None
    if ring:
        _sub(area, "polygon", ring)
    return root


def to_bytes(element: ET.Element) -> bytes:
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def feed(alerts: list[tuple[dict, ET.Element]], *, feed_id: str, title: str, self_url: str, author: str,
         now: datetime) -> ET.Element:
    """An Atom feed with one entry per alert (content type application/cap+xml, the alert inline)."""
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    _sub(root, "id", feed_id, ATOM_NS)
    _sub(root, "title", title, ATOM_NS)
    updated = max((datetime.fromisoformat(w["valid_from"]) for w, _ in alerts), default=now)
    _sub(root, "updated", aware(updated).astimezone(timezone.utc).isoformat(), ATOM_NS)
    link = _sub(root, "link", None, ATOM_NS)
    link.set("rel", "self")
    link.set("href", self_url)
    _sub(_sub(root, "author", None, ATOM_NS), "name", author, ATOM_NS)
    for warning, cap in alerts:
        entry = _sub(root, "entry", None, ATOM_NS)
        _sub(entry, "id", cap.find(f"{{{CAP_NS}}}identifier").text, ATOM_NS)
        _sub(entry, "title", cap.find(f"{{{CAP_NS}}}info/{{{CAP_NS}}}headline").text, ATOM_NS)
        _sub(entry, "updated", datetime.fromisoformat(warning["valid_from"]).astimezone(timezone.utc).isoformat(),
             ATOM_NS)
        content = _sub(entry, "content", None, ATOM_NS)
        content.set("type", "application/cap+xml")
        content.append(cap)
    return root
