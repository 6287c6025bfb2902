"""Server-side SVG geometry for the operator dashboard: a projection of lon/lat into an SVG box
(no tiles, no map library) and a time-series chart (no chart library). The functions return
plain numbers and strings; the templates draw them, so Jinja's escaping applies to every text."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta
from typing import Callable, Iterable, Optional, Sequence


def line_coordinates(geometry: Optional[str]) -> list[list[float]]:
    """The [lon, lat] pairs of a GeoJSON LineString stored as text ([] when unusable)."""
    if not geometry:
        return []
    try:
        coords = json.loads(geometry)["coordinates"]
    except (ValueError, KeyError, TypeError):
        return []
    out = []
    for c in coords:
        try:
            out.append([float(c[0]), float(c[1])])
        except (TypeError, ValueError, IndexError):
            return []
    return out if len(out) >= 2 else []


class Projection:
    """Equirectangular projection of a lon/lat box into ``width`` × height pixels, north up,
    longitude scaled by cos(mean latitude), ``pad`` pixels of margin."""

    def __init__(self, points: Iterable[Sequence[float]], width: float = 760.0, pad: float = 24.0):
        pts = list(points)
        if not pts:
            raise ValueError("no points to project")
        lons, lats = [p[0] for p in pts], [p[1] for p in pts]
        self.lon0, self.lat1 = min(lons), max(lats)
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        span_x = max((max(lons) - min(lons)) * self.k, 1e-6)
        span_y = max(max(lats) - min(lats), 1e-6)
        self.pad = pad
        self.scale = (width - 2 * pad) / max(span_x, span_y)
        self.width = round(width, 1)
        self.height = round(span_y * self.scale + 2 * pad, 1)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (round(self.pad + (lon - self.lon0) * self.k * self.scale, 1),
                round(self.pad + (self.lat1 - lat) * self.scale, 1))

    def points(self, coords: Sequence[Sequence[float]]) -> str:
        return " ".join(f"{x},{y}" for x, y in (self(c[0], c[1]) for c in coords))


def _nice_step(span: float, target: int = 6) -> float:
    """A 1-2-5 step giving about ``target`` ticks over ``span``."""
    raw = max(span, 1e-9) / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def chart(series: list[dict], start: datetime, end: datetime, level_points: Sequence[tuple[datetime, int]] = (),
          width: float = 760.0, height: float = 320.0, time_label: Callable[[datetime], str] = None) -> dict:
    """Geometry of a temperature chart over [start, end]: ``series`` are dicts with ``points``
    [(t, value °C)] plus any display keys (colour, dash, label), each given back with its
    ``path`` (polyline points; gaps over 3 hours break the line into several polylines) and its
    ``marks`` (a few circles to tell the lines apart without colour). ``level_points`` [(t,
    level 0…3)] become a step line on the right axis (0…3)."""
    left, right, top, bottom = 56.0, 56.0, 16.0, 40.0
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for _, v in s["points"] if v is not None]
    lo, hi = (min(values), max(values)) if values else (-2.0, 4.0)
    lo, hi = min(lo, 0.0) - 0.5, max(hi, 0.0) + 0.5          # 0 °C always in view
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    span_t = max((end - start).total_seconds(), 1.0)
    time_label = time_label or (lambda t: t.strftime("%H:%M"))

    def x(t: datetime) -> float:
        return round(left + (t - start).total_seconds() / span_t * plot_w, 1)

    def y(v: float) -> float:
        return round(top + (hi - v) / (hi - lo) * plot_h, 1)

    out_series = []
    for s in series:
        lines, current, last = [], [], None
        for t, v in sorted(s["points"], key=lambda p: p[0]):
            if v is None or t < start or t > end:
                continue
            if last is not None and (t - last) > timedelta(hours=3) and current:
                lines.append(current)
                current = []
            current.append((x(t), y(v)))
            last = t
        if current:
            lines.append(current)
        flat = [p for line in lines for p in line]
        marks = flat[:: max(1, len(flat) // 8)] if flat else []
        out_series.append({**s, "paths": [" ".join(f"{a},{b}" for a, b in line) for line in lines],
                           "marks": marks, "empty": not flat,
                           "last": next((v for t, v in sorted(s["points"], key=lambda p: p[0], reverse=True)
                                         if v is not None), None)})
    y_ticks, v = [], lo
    while v <= hi + 1e-9:
        y_ticks.append({"y": y(v), "label": f"{v:g}".replace("-", "−"), "zero": abs(v) < 1e-9})
        v += step
    hours = span_t / 3600
    t_step = timedelta(hours=next((h for h in (1, 2, 3, 4, 6, 12, 24) if hours / h <= 8), 48))
    tick = start.replace(minute=0, second=0, microsecond=0)
    while tick < start:
        tick += timedelta(hours=1)
    x_ticks = []
    while tick <= end:
        if tick.hour % min(int(t_step.total_seconds() // 3600), 24) == 0:
            x_ticks.append({"x": x(tick), "label": time_label(tick)})
        tick += timedelta(hours=1)
    level_path, level_ticks = "", []
    if level_points:
        def yl(level: int) -> float:
            return round(top + (3 - level) / 3 * plot_h, 1)

        pts, prev = [], None
        for t, level in sorted(level_points, key=lambda p: p[0]):
            if t < start or t > end:
                continue
            if prev is not None:
                pts.append((x(t), yl(prev)))
            pts.append((x(t), yl(level)))
            prev = level
        if pts:
            pts.append((x(end), pts[-1][1]))
            level_path = " ".join(f"{a},{b}" for a, b in pts)
        level_ticks = [{"y": yl(lv), "label": str(lv)} for lv in range(4)]
    return {"width": width, "height": height, "left": left, "top": top, "right": left + plot_w,
            "bottom": top + plot_h, "series": out_series, "y_ticks": y_ticks, "x_ticks": x_ticks,
            "level_path": level_path, "level_ticks": level_ticks, "has_data": bool(values) or bool(level_path)}
