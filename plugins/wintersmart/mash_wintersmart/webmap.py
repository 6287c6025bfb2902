"""The interactive map (setting ``map_library = "leaflet"``): the tile server's URL template and
its CSP source, and the GeoJSON the plugin's ``static/wintersmart/map.js`` draws with the vendored
Leaflet (``static/vendor/leaflet``).

The pages keep their server-rendered SVG map as the fallback without script; the GeoJSON is
passed in a ``data-features`` attribute of the map's container, built from the same rows as the
SVG and the tables, with the colours, widths and dash patterns of the SVG legend and a text
``label`` per feature. The tile server's host is added to ``img-src`` of the page's CSP only when
the interactive map is on (:func:`options`).
"""

from __future__ import annotations

import logging
import re
from typing import Callable, Optional
from urllib.parse import urlsplit

from mash_core.api import _, allow_csp_source, get_settings

SLUG = "wintersmart"
LIBRARIES = ("svg", "leaflet")
DEFAULT_TILE_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION = "© OpenStreetMap-Mitwirkende"
#: placeholders Leaflet fills in a tile URL ({s}: subdomain a/b/c, {r}: "@2x" on high-DPI screens)
PLACEHOLDERS = {"z", "x", "y", "s", "r"}
LOOPBACK = re.compile(r"^(?:localhost|127(?:\.\d{1,3}){3}|::1)$")
LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
log = logging.getLogger("mash.wintersmart.map")


def tile_source(url: str) -> str:
    """The CSP host source of an XYZ tile URL template: ``https://host[:port]`` (a ``{s}``
    subdomain becomes ``*``) or ``http://`` on this machine. Raises :class:`ValueError` with a
    message for the admin when the template is not usable."""
    if not isinstance(url, str) or not url or len(url) > 500 or re.search(r"[\s\"'<>\\`]", url):
        raise ValueError(_("Bitte eine Adresse ohne Leerzeichen und Anführungszeichen angeben."))
    names = re.findall(r"\{([^{}]*)\}", url)
    if not {"z", "x", "y"} <= set(names):
        raise ValueError(_("Die Adresse muss die Platzhalter {z}, {x} und {y} enthalten."))
    unknown = sorted(set(names) - PLACEHOLDERS)
    if unknown or url.count("{") != len(names) or url.count("}") != len(names):
        raise ValueError(_("Erlaubte Platzhalter sind {z}, {x}, {y}, {s} und {r}."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(_("Die Adresse ist ungültig.")) from None
    host = (parts.hostname or "").lower()
    if parts.username is not None or parts.password is not None or not host:
        raise ValueError(_("Die Adresse ist ungültig."))
    if parts.scheme == "http" and LOOPBACK.match(host):
        netloc = "[::1]" if host == "::1" else host
    elif parts.scheme == "https":
        labels = host.split(".")
        if labels[0] == "{s}" and len(labels) > 2:
            labels[0] = "*"
        elif "{" in host:
            raise ValueError(_("Im Hostnamen ist nur {s} als erster Teil erlaubt."))
        if not all(LABEL.match(label) for label in labels if label != "*") or len(labels) < 2:
            raise ValueError(_("Die Adresse ist ungültig."))
        netloc = ".".join(labels)
    else:
        raise ValueError(_("Die Adresse muss mit https:// beginnen (http:// nur für localhost)."))
    return f"{parts.scheme}://{netloc}" + (f":{port}" if port is not None else "")


def options(features: Callable[[], list[dict]]) -> Optional[dict]:
    """What the page template needs for the interactive map, or None when the SVG map alone is
    configured (or there is nothing to draw). Allows the tile server in this response's CSP."""
    settings = get_settings(SLUG)
    if settings.get("map_library") != "leaflet":
        return None
    data = features()
    if not data:
        return None
    tile_url = settings.get("map_tile_url") or ""
    try:
        allow_csp_source("img-src", tile_source(tile_url))
    except ValueError:
        log.warning("unusable map_tile_url %r: the map is drawn without background", tile_url[:100])
        tile_url = ""  # the script shows the network on a plain background at once
    return {"tile_url": tile_url, "attribution": settings.get("map_tile_attribution") or "",
            "max_zoom": settings.get("map_max_zoom") or 19,
            "features": {"type": "FeatureCollection", "features": data}}


def line(coords, **properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c[:2]) for c in coords]},
            "properties": properties}


def point(lon: float, lat: float, **properties) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": properties}


def dashboard_features(data: dict) -> list[dict]:
    """Segments (by warning level), stations, grit bins and silos, signs of the dashboard."""
    from .dashboard import STROKE

    out = []
    for s in sorted(data["segments"], key=lambda r: r["level"]):          # warnings drawn on top
        if s["coords"]:
            colour, width, dash = STROKE[min(s["level"], 3)]
            out.append(line(s["coords"], layer="segments", shape="line", level=s["level"], colour=colour,
                            width=width, dash=dash, label=f"{s['name']}: {s['level_text']}"))
    for b in data["bins"]:
        if b["lon"] is not None and b["lat"] is not None:
            fill = f"{b['fill_pct']} % – " if b["fill_pct"] is not None else ""
            out.append(point(b["lon"], b["lat"], layer="bins", shape="square", colour=b["colour"],
                             label=f"{b['name']}: {fill}{b['state_text']}"))
    for s in data["stations"]:
        if s["lon"] is not None and s["lat"] is not None:
            out.append(point(s["lon"], s["lat"], layer="stations", shape="circle", colour=s["fill"],
                             level=s["level"] or 0, label=f"{s['name']}: {s['level_text']}"))
    for s in data["signs"]:
        if s["lon"] is not None and s["lat"] is not None:
            out.append(point(s["lon"], s["lat"], layer="signs", shape="triangle", colour=s["colour"],
                             label=f"{s['name']}: {s['state_text']}"))
    return out


def warning_features(segments, levels: dict[int, int]) -> list[dict]:
    """The citizen map: every segment with geometry, styled by its warning level."""
    from .svg import line_coordinates
    from .warning_views import STROKE
    from .warnings import level_text

    out = []
    for seg in sorted(segments, key=lambda s: levels.get(s.id, 0)):
        coords = line_coordinates(seg.geometry)
        if coords:
            level = levels.get(seg.id, 0)
            colour, width, dash = STROKE[min(level, 3)]
            out.append(line(coords, layer="segments", shape="line", level=level, colour=colour, width=width,
                            dash=dash, label=f"{seg.name}: {level_text(level)}"))
    return out


def plan_features(row, vehicle_style: list[tuple[str, str]]) -> list[dict]:
    """A gritting plan: the network in grey, the gritted segments per vehicle, the silo."""
    net = row.network
    coords = net.get("coords") or []
    if not coords:
        return []
    out = [line([coords[u], coords[v]], layer="network", shape="line", colour="#8c8c8c", width=2,
                dash="1 4" if sid is None else "", label="") for u, v, _c, _d, sid in net["edges"]]
    for r in row.routes:
        colour, dash = vehicle_style[(r["vehicle"] - 1) % len(vehicle_style)]
        for seq, (_e, tail, head) in enumerate(r["services"]):
            out.append(line([coords[tail], coords[head]], layer=f"vehicle-{r['vehicle']}", shape="line",
                            colour=colour, width=5, dash=dash,
                            label=_("Fahrzeug %(vehicle)d, Tour %(trip)d, Abschnitt %(seq)d",
                                    vehicle=r["vehicle"], trip=r["trip"], seq=seq + 1)))
    depot = coords[net["depot"]]
    out.append(point(depot[0], depot[1], layer="silo", shape="square", colour="#000000", label=_("Salzsilo")))
    return out
