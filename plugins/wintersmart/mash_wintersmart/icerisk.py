"""The ice-risk engine: physics, nowcast, levels 0–3 with reason codes and hysteresis.

Pure computation — no database, no Flask — so that it is unit-tested against the worked
examples of the domain brief (``shared/domain/wintersmart.md`` §1, §4, §5) and benchmarked
without I/O. :mod:`mash_wintersmart.assess` gathers the inputs from the database and stores
the results.

Physics (brief §1.2, §1.3)
--------------------------
* Magnus formula ``e_s(t) = A·exp(B·t/(C+t))`` with the WMO coefficients: over water
  (6.112 hPa, 17.62, 243.12 °C) for the dew point, over ice (6.112 hPa, 22.46, 272.62 °C) for
  the frost point. The frost point inverts the *ice* curve at the actual vapour pressure; the
  shortcut ``Tf = Td − (0.66·Td + 0.16)`` is not used.
* Critical temperature T_crit: the measured freezing point if a sensor reports one, else the
  root nearer 0 °C of the NaCl critical-concentration curve (FHWA-RD-95-202 via Pikalert
  ``ChemConc.cc``) at the residual salt, clamped to [−21.6, 0] °C, else 0 °C.

Levels (brief §4) — the level is the highest one with at least one firing line:

====  ============================  ===================================================
 1    ``NOWCAST_NEAR_TCRIT``        nowcast RST(+3 h) ≤ T_crit + 1 K and moisture expected
 1    ``NEAR_TCRIT_NEAR_DEWPOINT``  RST ≤ T_crit + 1 K and RST − Td ≤ 2 K
 2    ``RST_LE_TCRIT_MOIST``        RST ≤ T_crit and moisture
 2    ``FROST_RST_LE_TF``           RST ≤ T_crit and frost
 2    ``SENSOR_STATE_FROZEN``       canonical state ∈ {frost, ice, ice_warning}
 2    ``FRICTION_LT_070``           friction < 0.70 and RST < 0 °C
 3    ``FREEZING_PRECIP``           freezing rain or drizzle and RST ≤ 0.833 °C
 3    ``BLACK_ICE_SIGNAL``          black-ice signal = 3, or canonical state black_ice
 3    ``FRICTION_LT_060``           friction < 0.60 and RST < 0 °C
 3    ``ICE_FILM``                  ice film > 0
====  ============================  ===================================================

*Moisture*: water film > 0, or a state with moisture, or RST − Td ≤ 1 K. *Frost*: RST ≤ 0 °C and
RST ≤ Tf. *Moisture expected* (the brief leaves it open; this is MAsH's reading): moisture now,
or a *watch* state (``ice_watch``, ``snow_watch``), or precipitation reported, or the nowcast
coming within 1 K of the dew point in the next 3 h. All margins are settings.

Hysteresis: a level rises at once; it is held (reason ``HOLD_HYSTERESIS``) until its entry
condition has not held for ``hysteresis_min`` (30 min), or until the road was gritted and a
lower freezing point has been confirmed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta
from typing import Optional, Sequence

from .quantities import FREEZING_PRECIP, FREEZING_PRECIP_RAW_CODES, STATES

MODEL_VERSION = "icerisk-1.0"

#: Magnus coefficients (A hPa, B, C °C), WMO: over water and over ice
MAGNUS_WATER = (6.112, 17.62, 243.12)
MAGNUS_ICE = (6.112, 22.46, 272.62)

#: NaCl critical solution concentration c(T) = a·T² + b·T + c0 in % (FHWA-RD-95-202 p. 53)
NACL = (-0.02916, -1.7208, -0.116)
#: NaCl eutectic temperature used to clamp T_crit (Pikalert/MDSS "from FHWA anti-icing guidelines")
NACL_EUTECTIC_C = -21.6

HORIZONS_MIN = (30, 60, 120, 180)

REASONS = {  # code -> level, in the order of the brief's table
    "NOWCAST_NEAR_TCRIT": 1, "NEAR_TCRIT_NEAR_DEWPOINT": 1,
    "RST_LE_TCRIT_MOIST": 2, "FROST_RST_LE_TF": 2, "SENSOR_STATE_FROZEN": 2, "FRICTION_LT_070": 2,
    "FREEZING_PRECIP": 3, "BLACK_ICE_SIGNAL": 3, "FRICTION_LT_060": 3, "ICE_FILM": 3,
}
HOLD = "HOLD_HYSTERESIS"
SENSOR_FROZEN_STATES = frozenset({"frost", "ice", "ice_warning"})
NO_PRECIP = frozenset({"none", "unknown"})


# -- physics ----------------------------------------------------------------------------------
def saturation_vapour_pressure(t: float, over: str = "water") -> float:
    """Saturation vapour pressure in hPa at ``t`` °C over water or over ice (Magnus, WMO)."""
    a, b, c = MAGNUS_ICE if over == "ice" else MAGNUS_WATER
    return a * math.exp(b * t / (c + t))


def dew_point(t_air: float, rh: float) -> Optional[float]:
    """Dew point in °C from air temperature (°C) and relative humidity (% over water).

    γ = ln(RH/100) + B·T/(C+T); Td = C·γ/(B − γ). None when RH ≤ 0 (no vapour, no dew point).
    """
    if rh is None or t_air is None or rh <= 0:
        return None
    _, b, c = MAGNUS_WATER
    gamma = math.log(rh / 100.0) + b * t_air / (c + t_air)
    return c * gamma / (b - gamma)


def frost_point(t_air: float, rh: float) -> Optional[float]:
    """Frost point in °C: the actual vapour pressure e = RH/100·e_w(T), then the ice curve
    inverted: g = ln(e/6.112); Tf = 272.62·g/(22.46 − g). Meaningful below 0 °C."""
    if rh is None or t_air is None or rh <= 0:
        return None
    e = rh / 100.0 * saturation_vapour_pressure(t_air, "water")
    a, b, c = MAGNUS_ICE
    g = math.log(e / a)
    return c * g / (b - g)


def nacl_critical_concentration(t: float) -> Optional[float]:
    """Smallest NaCl concentration (% by weight) that keeps brine liquid at road temperature
    ``t`` °C: −0.02916·T² − 1.7208·T − 0.116 (never below 0). None at or below the eutectic
    temperature, where salt is ineffective."""
    if t <= NACL_EUTECTIC_C:
        return None
    a, b, c0 = NACL
    return max(0.0, a * t * t + b * t + c0)


def t_crit_from_salt(c: float) -> float:
    """Freezing temperature (°C) of a brine with residual salt ``c`` % NaCl: the root nearer
    0 °C of the critical-concentration curve, (−1.7208 + √(1.7208² − 4·0.02916·(0.116 + c)))
    / (2·0.02916), clamped to [−21.6, 0] °C (the eutectic when no real root exists)."""
    a, b = -NACL[0], -NACL[1]           # 0.02916·T² + 1.7208·T + (0.116 + c) = 0
    disc = b * b - 4.0 * a * (-NACL[2] + c)
    if disc < 0:
        return NACL_EUTECTIC_C
    root = (-b + math.sqrt(disc)) / (2.0 * a)
    return min(0.0, max(NACL_EUTECTIC_C, root))


def critical_temperature(freeze_point: Optional[float], salt_pct: Optional[float]) -> tuple[float, str]:
    """(T_crit in °C, source): the measured freezing point, else from residual salt, else 0 °C."""
    if freeze_point is not None:
        return freeze_point, "freeze_point"
    if salt_pct is not None:
        return t_crit_from_salt(salt_pct), "salt"
    return 0.0, "default"


# -- nowcast (brief §5, stage 1) --------------------------------------------------------------
def theil_sen(xs: Sequence[float], ys: Sequence[float]) -> Optional[tuple[float, float]]:
    """(slope, intercept) of the Theil–Sen estimator: the median of the pairwise slopes and the
    median of y − slope·x. None with fewer than two distinct x."""
    n = len(xs)
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i]) for i in range(n) for j in range(i + 1, n) if xs[j] != xs[i]]
    if not slopes:
        return None
    slope = _median(slopes)
    return slope, _median([y - slope * x for x, y in zip(xs, ys)])


def _median(values: list[float]) -> float:
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2.0


@dataclass
class Nowcast:
    values: dict[str, float]          # {"+30": °C, "+60": …, "+120": …, "+180": …}
    trend_k_per_h: float              # slope used (clipped)
    raw_trend_k_per_h: float          # Theil–Sen slope before clipping
    base: float                       # fitted RST at the assessment time
    points: int
    flags: list[str] = field(default_factory=list)


def nowcast_rst(series: Sequence[tuple[datetime, float]], at: datetime, dew_point_c: Optional[float] = None, *,
                window_min: float = 60.0, min_points: int = 4, max_slope_k_per_h: float = 3.0,
                dewpoint_floor_k: float = 1.0, radiation_term: bool = False,
                horizons_min: Sequence[int] = HORIZONS_MIN) -> Optional[Nowcast]:
    """Road-surface temperature at ``at`` + 30/60/120/180 min from the recent trend.

    A Theil–Sen line through the observations of the last ``window_min`` minutes (at least
    ``min_points``), its slope clipped to ±``max_slope_k_per_h``, extrapolated from the fitted
    value at ``at``. While cooling, the forecast does not go more than ``dewpoint_floor_k``
    below the dew point (latent heat of condensation and deposition; without a radiation
    term) — nor below the present value when that is already lower. None without enough data.
    """
    start = at - timedelta(minutes=window_min)
    points = sorted((t, v) for t, v in series if start <= t <= at and v is not None)
    if len(points) < max(min_points, 2):
        return None
    xs = [(t - at).total_seconds() / 3600.0 for t, _ in points]
    ys = [v for _, v in points]
    fit = theil_sen(xs, ys)
    if fit is None:
        return None
    raw_slope, base = fit
    slope = max(-max_slope_k_per_h, min(max_slope_k_per_h, raw_slope))
    flags = []
    if slope != raw_slope:
        flags.append("NOWCAST_SLOPE_CLIPPED")
    floor = None
    if slope < 0 and dew_point_c is not None and not radiation_term:
        floor = min(base, dew_point_c - dewpoint_floor_k)
    values = {}
    for h in horizons_min:
        value = base + slope * h / 60.0
        if floor is not None and value < floor:
            value = floor
            if "NOWCAST_DEWPOINT_FLOOR" not in flags:
                flags.append("NOWCAST_DEWPOINT_FLOOR")
        values[f"+{h}"] = value
    return Nowcast(values, slope, raw_slope, base, len(points), flags)


# -- levels and hysteresis (brief §4) ---------------------------------------------------------
@dataclass(frozen=True)
class Thresholds:
    """The engine's thresholds; defaults as in the brief (settings override them)."""

    near_tcrit_k: float = 1.0               # level 1: RST ≤ T_crit + 1 K
    near_dewpoint_k: float = 2.0            # level 1: RST − Td ≤ 2 K
    moisture_dewpoint_k: float = 1.0        # moisture: RST − Td ≤ 1 K
    freezing_precip_rst_c: float = 0.833    # level 3: MDSS 33.5 °F
    friction_warning: float = 0.70          # level 2 (IRIS)
    friction_ice: float = 0.60              # level 3 (IRIS)
    hysteresis_min: float = 30.0
    nowcast_window_min: float = 60.0
    nowcast_min_points: int = 4
    nowcast_max_slope_k_per_h: float = 3.0
    nowcast_dewpoint_floor_k: float = 1.0
    windy_m_s: float = 5.0                  # nowcast low confidence above this wind speed …
    cloudy_pct: float = 75.0                # … or this cloud cover
    dilution_margin_k: float = 0.0          # added to a measured freezing point while the film grows

    @classmethod
    def from_settings(cls, settings: dict) -> "Thresholds":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in settings.items() if k in names and v is not None})


@dataclass
class Inputs:
    """The latest valid observations of one station at ``at`` (None: not reported or stale)."""

    at: datetime
    rst: Optional[float] = None
    t_air: Optional[float] = None
    rh: Optional[float] = None
    dew_point: Optional[float] = None            # reported by the station (used without t_air/rh)
    freeze_point: Optional[float] = None
    salt_pct: Optional[float] = None
    water_film: Optional[float] = None
    water_film_growing: bool = False
    ice_film: Optional[float] = None
    friction: Optional[float] = None
    surface_state: Optional[str] = None
    surface_state_raw: Optional[str] = None
    black_ice_signal: Optional[int] = None
    precip_type: Optional[str] = None
    precip_intensity: Optional[float] = None
    wind_speed: Optional[float] = None
    cloud_cover: Optional[float] = None
    rst_series: list = field(default_factory=list)   # [(datetime, °C)] of the coldest RST sensor
    gritted_at: Optional[datetime] = None


@dataclass
class HoldState:
    """What the hysteresis remembers between assessments: per level the last time its entry
    condition held, and T_crit at that time."""

    last: dict[int, datetime] = field(default_factory=dict)
    t_crit: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"last": {str(k): v.isoformat() for k, v in self.last.items()},
                "t_crit": {str(k): v for k, v in self.t_crit.items()}}

    @classmethod
    def from_json(cls, data: Optional[dict]) -> "HoldState":
        if not data:
            return cls()
        return cls(last={int(k): datetime.fromisoformat(v) for k, v in (data.get("last") or {}).items()},
                   t_crit={int(k): float(v) for k, v in (data.get("t_crit") or {}).items()})


@dataclass
class Result:
    level: int
    raw_level: int                  # level without hysteresis
    reasons: list[str]              # firing codes (highest level first), then HOLD_HYSTERESIS
    flags: list[str]                # data-quality notes (not reasons): NO_RST, NOWCAST_*, …
    dew_point: Optional[float]
    frost_point: Optional[float]
    t_crit: float
    t_crit_source: str
    moisture: bool
    moisture_expected: bool
    frost: bool
    nowcast: Optional[Nowcast]
    hold: HoldState

    @property
    def trend_k_per_h(self) -> Optional[float]:
        return self.nowcast.trend_k_per_h if self.nowcast else None


def _has_precip(inp: Inputs) -> bool:
    return (inp.precip_type is not None and inp.precip_type not in NO_PRECIP) or \
        (inp.precip_intensity is not None and inp.precip_intensity > 0)


def fire(inp: Inputs, thr: Thresholds = Thresholds()) -> tuple[list[str], dict]:
    """The firing reason codes (in the brief's order) and the derived quantities."""
    flags: list[str] = []
    if inp.t_air is not None and inp.rh is not None:
        td, tf = dew_point(inp.t_air, inp.rh), frost_point(inp.t_air, inp.rh)
    else:
        td, tf = inp.dew_point, None
    t_crit, source = critical_temperature(inp.freeze_point, inp.salt_pct)
    if source == "freeze_point" and (inp.water_film_growing or _has_precip(inp)):
        flags.append("TCRIT_OPTIMISTIC")  # dilution raises the freezing point (brief §1.3 rule 4)
        t_crit += thr.dilution_margin_k
    rst = inp.rst
    if rst is None:
        flags.append("NO_RST")
    state_moisture = STATES.get(inp.surface_state or "", (None, None))[0]
    moisture = bool((inp.water_film is not None and inp.water_film > 0) or state_moisture == "yes"
                    or (rst is not None and td is not None and rst - td <= thr.moisture_dewpoint_k))
    frost = rst is not None and tf is not None and rst <= 0.0 and rst <= tf
    now = nowcast_rst(inp.rst_series, inp.at, td, window_min=thr.nowcast_window_min,
                      min_points=thr.nowcast_min_points, max_slope_k_per_h=thr.nowcast_max_slope_k_per_h,
                      dewpoint_floor_k=thr.nowcast_dewpoint_floor_k)
    if now is None:
        flags.append("NOWCAST_INSUFFICIENT_DATA")
    else:
        flags += now.flags
        if (inp.wind_speed is not None and inp.wind_speed >= thr.windy_m_s) or \
                (inp.cloud_cover is not None and inp.cloud_cover >= thr.cloudy_pct):
            flags.append("NOWCAST_LOW_CONFIDENCE")
    moisture_expected = bool(moisture or state_moisture == "expected" or _has_precip(inp)
                             or (now is not None and td is not None
                                 and min(now.values.values()) - td <= thr.moisture_dewpoint_k))
    codes = []
    if rst is not None:
        if now is not None and now.values["+180"] <= t_crit + thr.near_tcrit_k and moisture_expected:
            codes.append("NOWCAST_NEAR_TCRIT")
        if rst <= t_crit + thr.near_tcrit_k and td is not None and rst - td <= thr.near_dewpoint_k:
            codes.append("NEAR_TCRIT_NEAR_DEWPOINT")
        if rst <= t_crit and moisture:
            codes.append("RST_LE_TCRIT_MOIST")
        if rst <= t_crit and frost:
            codes.append("FROST_RST_LE_TF")
    if inp.surface_state in SENSOR_FROZEN_STATES:
        codes.append("SENSOR_STATE_FROZEN")
    if inp.friction is not None and rst is not None and inp.friction < thr.friction_warning and rst < 0:
        codes.append("FRICTION_LT_070")
    freezing = inp.precip_type in FREEZING_PRECIP or inp.surface_state_raw in FREEZING_PRECIP_RAW_CODES
    if freezing and rst is not None and rst <= thr.freezing_precip_rst_c:
        codes.append("FREEZING_PRECIP")
    if inp.black_ice_signal == 3 or inp.surface_state == "black_ice":
        codes.append("BLACK_ICE_SIGNAL")
    if inp.friction is not None and rst is not None and inp.friction < thr.friction_ice and rst < 0:
        codes.append("FRICTION_LT_060")
    if inp.ice_film is not None and inp.ice_film > 0:
        codes.append("ICE_FILM")
    derived = dict(dew_point=td, frost_point=tf, t_crit=t_crit, t_crit_source=source, moisture=moisture,
                   moisture_expected=moisture_expected, frost=frost, nowcast=now, flags=flags)
    return codes, derived


def hysteresis(raw_level: int, at: datetime, previous: HoldState, t_crit: float, t_crit_source: str,
               gritted_at: Optional[datetime], hold_min: float) -> tuple[int, HoldState, list[str]]:
    """(level, new hold state, flags). A level is held while its entry condition held less than
    ``hold_min`` ago; gritting (at most ``hold_min`` before the condition last held, or later)
    together with a confirmed lower freezing point — measured, or from residual salt — than at
    that time releases the hold at once."""
    hold = timedelta(minutes=hold_min)
    last, t_crits = dict(previous.last), dict(previous.t_crit)
    for level in range(1, raw_level + 1):
        if level not in last or last[level] <= at:
            last[level], t_crits[level] = at, t_crit
    flags = []
    held = [lv for lv in (1, 2, 3) if lv > raw_level and lv in last and at - last[lv] < hold]
    if held and gritted_at is not None and t_crit_source in ("freeze_point", "salt"):
        released = [lv for lv in held if gritted_at >= last[lv] - hold and t_crit < t_crits.get(lv, 0.0)]
        if released:
            flags.append("HOLD_RELEASED_GRITTED")
            for lv in released:
                held.remove(lv)
                last.pop(lv, None)
                t_crits.pop(lv, None)
    # forget conditions too old to matter
    for lv in [lv for lv in last if at - last[lv] >= hold and lv > raw_level]:
        last.pop(lv)
        t_crits.pop(lv, None)
    return max([raw_level] + held), HoldState(last, t_crits), flags


def assess(inp: Inputs, previous: Optional[HoldState] = None, thr: Thresholds = Thresholds()) -> Result:
    """The level of one station at ``inp.at``, given the hold state of its previous assessment."""
    codes, d = fire(inp, thr)
    raw_level = max((REASONS[c] for c in codes), default=0)
    level, state, flags = hysteresis(raw_level, inp.at, previous or HoldState(), d["t_crit"], d["t_crit_source"],
                                     inp.gritted_at, thr.hysteresis_min)
    reasons = sorted(codes, key=lambda c: -REASONS[c])  # stable: brief's order within a level
    if level > raw_level:
        reasons.append(HOLD)
    return Result(level=level, raw_level=raw_level, reasons=reasons, flags=d["flags"] + flags,
                  dew_point=d["dew_point"], frost_point=d["frost_point"], t_crit=d["t_crit"],
                  t_crit_source=d["t_crit_source"], moisture=d["moisture"],
                  moisture_expected=d["moisture_expected"], frost=d["frost"], nowcast=d["nowcast"], hold=state)
