"""Citizen page of the current ice warnings (``/wintersmart/warnungen``): a list and a simple
map drawn as inline SVG from the segments' coordinates — no tiles, no CDN, no script, no inline
style. Colour is never the only cue: line pattern and the level number label each segment. With the
setting ``map_library = "leaflet"`` the page also carries the interactive map (:mod:`.webmap`), drawn
over the SVG map, which stays as the fallback without script."""

from __future__ import annotations

import json
import math

from mash_core.api import db_session, get_settings, public, render, select

from . import webmap
from .models import RoadSegment
from .views import bp
from .warnings import SLUG, active_warnings, level_text, local_time, reason_texts

WIDTH = 640.0
PAD = 24.0
#: level → (stroke colour, width, dash pattern); level 0 = a segment without warning
STROKE = {0: ("#8c8c8c", 3, ""), 1: ("#b35c00", 5, "2 6"), 2: ("#c0392b", 6, "10 5"), 3: ("#6a1b9a", 8, "")}


def svg_map(segments: list[RoadSegment], levels: dict[int, int]) -> dict | None:
    """Project the segments (GeoJSON LineStrings, lon/lat) into an SVG box: equirectangular with
    the longitude scaled by cos(mean latitude), north up. None without geometry."""
    lines = []
    for seg in segments:
        if not seg.geometry:
            continue
        try:
            coords = json.loads(seg.geometry)["coordinates"]
        except (ValueError, KeyError, TypeError):
            continue
        if len(coords) >= 2:
            lines.append((seg, coords))
    if not lines:
        return None
    lons = [c[0] for _, cs in lines for c in cs]
    lats = [c[1] for _, cs in lines for c in cs]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * k, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = (WIDTH - 2 * PAD) / max(span_x, span_y)
    height = span_y * scale + 2 * PAD

    def xy(c):
        return round(PAD + (c[0] - min(lons)) * k * scale, 1), round(PAD + (max(lats) - c[1]) * scale, 1)

    items = []
    for seg, coords in sorted(lines, key=lambda sc: levels.get(sc[0].id, 0)):   # warnings drawn on top
        level = levels.get(seg.id, 0)
        colour, width, dash = STROKE[min(level, 3)]
        points = [xy(c) for c in coords]
        mid = points[len(points) // 2]
        items.append({"name": seg.name, "level": level, "level_text": level_text(level),
                      "points": " ".join(f"{x},{y}" for x, y in points), "colour": colour, "width": width,
                      "dash": dash, "label_x": mid[0], "label_y": round(mid[1] - 8, 1)})
    return {"width": WIDTH, "height": round(height, 1), "items": items}


@bp.get("/warnungen")
@public
def warnings_page():
    session = db_session()
    rows = active_warnings(session)
    segments = session.exec(select(RoadSegment).order_by(RoadSegment.name)).all()
    by_id = {s.id: s for s in segments}
    warnings = [{"id": w.id, "segment": by_id[w.road_segment_id].name if w.road_segment_id in by_id else "",
                 "is_bridge": bool(by_id.get(w.road_segment_id) and by_id[w.road_segment_id].is_bridge),
                 "level": w.level, "level_text": level_text(w.level), "since": local_time(w.valid_from),
                 "since_iso": w.valid_from.isoformat(), "reasons": reason_texts(w.reasons)} for w in rows]
    levels = {w.road_segment_id: w.level for w in rows}
    return render("wintersmart/warnings.html", warnings=warnings, map=svg_map(list(segments), levels),
                  webmap=webmap.options(lambda: webmap.warning_features(segments, levels)),
                  settings=get_settings(SLUG), legend=[(lvl, level_text(lvl), *STROKE[lvl]) for lvl in (3, 2, 1, 0)])
