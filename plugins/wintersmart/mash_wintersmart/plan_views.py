"""Operator pages of gritting plans (``/wintersmart/plaene``): a list, and per plan an inline SVG
map (no tiles, no CDN, no script, no inline style) with each vehicle's gritted segments and a
table of the trips. Colour is never the only cue: every vehicle has its own dash pattern and its
number is written at the start of each of its segments. With the setting ``map_library = "leaflet"``
the page also carries the interactive map (:mod:`.webmap`); the SVG map stays as its fallback."""

from __future__ import annotations

import math

import flask

from mash_core.api import _, db_session, render, require_permission, select

from . import webmap
from .models import RoadSegment
from .models_plans import GrittingPlan
from .views import bp

WIDTH, PAD = 640.0, 24.0
#: per vehicle (cycled): colour, dash pattern
VEHICLE_STYLE = [("#1f4e9a", ""), ("#b35c00", "10 5"), ("#2e7d32", "2 6"), ("#6a1b9a", "14 4 2 4"),
                 ("#c0392b", "6 3"), ("#00695c", "1 4")]


def plan_map(row: GrittingPlan) -> dict | None:
    """Network edges in grey, gritted segments per vehicle, the silo as a square."""
    net = row.network
    coords = net.get("coords") or []
    if not coords:
        return None
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    scale = (WIDTH - 2 * PAD) / max((max(lons) - min(lons)) * k, max(lats) - min(lats), 1e-6)
    height = (max(lats) - min(lats)) * scale + 2 * PAD

    def xy(c):
        return round(PAD + (c[0] - min(lons)) * k * scale, 1), round(PAD + (max(lats) - c[1]) * scale, 1)

    base = [{"x1": xy(coords[u])[0], "y1": xy(coords[u])[1], "x2": xy(coords[v])[0], "y2": xy(coords[v])[1],
             "connector": sid is None} for u, v, _c, _d, sid in net["edges"]]
    lines = []
    for r in row.routes:
        colour, dash = VEHICLE_STYLE[(r["vehicle"] - 1) % len(VEHICLE_STYLE)]
        for seq, (_e, tail, head) in enumerate(r["services"]):
            (x1, y1), (x2, y2) = xy(coords[tail]), xy(coords[head])
            lines.append({"x1": x1, "y1": y1, "x2": x2, "y2": y2, "colour": colour, "dash": dash,
                          "vehicle": r["vehicle"], "trip": r["trip"], "seq": seq + 1})
    dx, dy = xy(coords[net["depot"]])
    return {"width": WIDTH, "height": round(height, 1), "base": base, "lines": lines, "depot_x": dx - 6,
            "depot_y": dy - 6}


@bp.get("/plaene")
@require_permission("wintersmart.operate")
def plans_page():
    plans = db_session().exec(select(GrittingPlan).order_by(GrittingPlan.id.desc()).limit(50)).all()
    return render("wintersmart/plans.html", plans=plans)


@bp.get("/plaene/<int:plan_id>")
@require_permission("wintersmart.operate")
def plan_page(plan_id):
    session = db_session()
    row = session.exec(select(GrittingPlan).where(GrittingPlan.id == plan_id)).first()
    if row is None:
        flask.abort(404)
    ids = {sid for r in row.routes for sid in r["segments"]}
    names = {s.id: s.name for s in session.exec(select(RoadSegment).where(RoadSegment.id.in_(ids))).all()} if ids else {}
    trips = [{"vehicle": r["vehicle"], "trip": r["trip"], "load_kg": r["load_kg"], "km": r["cost_m"] / 1000,
              "segments": [names.get(sid, _("Abschnitt %(id)d", id=sid)) for sid in r["segments"]],
              "colour": VEHICLE_STYLE[(r["vehicle"] - 1) % len(VEHICLE_STYLE)][0],
              "dash": VEHICLE_STYLE[(r["vehicle"] - 1) % len(VEHICLE_STYLE)][1]} for r in row.routes]
    return render("wintersmart/plan.html", plan=row, trips=trips, map=plan_map(row),
                  webmap=webmap.options(lambda: webmap.plan_features(row, VEHICLE_STYLE)))
