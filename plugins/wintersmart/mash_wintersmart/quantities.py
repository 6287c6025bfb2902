"""What WinterSMART can observe: datastream keys, canonical units, unit conversions, ranges,
and the surface-state vocabularies of the road-weather vendors.

Everything here is pure data and pure functions (no database, no Flask), so that the schema,
the ice-risk engine and the tests share one definition.

Ranges (domain brief §2):

* ``hard`` — physically or technically impossible outside; such a value is **rejected** (the
  message becomes a dead letter with the reason), never stored.
* ``plausible`` — the sensor's specified range (TLS FG3 ranges of a Lufft IRS31Pro, NTCIP
  limits); a value outside it but inside ``hard`` is stored with quality 1 (*suspect*) and the
  flag ``OUT_OF_SENSOR_RANGE``.

Relative humidity between 100 % and 105 % (condensation on the sensor, calibration) is clamped
to 100 % and stored as suspect with the flag ``CLAMPED``; above 105 % it is rejected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Optional

#: quality flags of an observation (domain brief §2)
QUALITY_OK, QUALITY_SUSPECT, QUALITY_REJECTED = 0, 1, 2

NUMERIC, STATE, CODE = "numeric", "state", "code"


def _same(x: float) -> float:
    return x


def _f_to_c(x: float) -> float:
    return (x - 32.0) * 5.0 / 9.0


def _k_to_c(x: float) -> float:
    return x - 273.15


TEMPERATURE_UNITS: dict[str, Callable[[float], float]] = {
    "Cel": _same, "°C": _same, "C": _same, "degC": _same, "celsius": _same,
    "K": _k_to_c, "kelvin": _k_to_c,
    "[degF]": _f_to_c, "°F": _f_to_c, "F": _f_to_c, "degF": _f_to_c, "fahrenheit": _f_to_c,
}
PERCENT_UNITS = {"%": _same, "percent": _same, "1": lambda x: x * 100.0}
RATIO_UNITS = {"1": _same, "%": lambda x: x / 100.0, "percent": lambda x: x / 100.0}
LENGTH_MM_UNITS = {"mm": _same, "um": lambda x: x / 1000.0, "µm": lambda x: x / 1000.0,
                   "cm": lambda x: x * 10.0, "m": lambda x: x * 1000.0}
INTENSITY_UNITS = {"mm/h": _same, "mm/min": lambda x: x * 60.0, "l/(m2.h)": _same}
SPEED_UNITS = {"m/s": _same, "km/h": lambda x: x / 3.6, "kn": lambda x: x * 0.514444,
               "[kn_i]": lambda x: x * 0.514444}
DENSITY_UNITS = {"g/m2": _same, "g/m²": _same}
VOLT_UNITS = {"V": _same, "mV": lambda x: x / 1000.0}


@dataclass(frozen=True)
class Quantity:
    """One datastream key and how its values are checked and normalised."""

    key: str
    observed_property: str
    unit: str                                   # canonical UCUM unit ("" for states and codes)
    kind: str = NUMERIC
    units: dict = field(default_factory=dict)   # accepted unit spelling -> conversion to ``unit``
    hard: tuple[float, float] = (-math.inf, math.inf)
    plausible: Optional[tuple[float, float]] = None
    codes: tuple = ()                           # allowed integer codes (CODE)
    clamp_above: Optional[float] = None         # values in (clamp_above, hard max] are clamped


def _temperature(key, prop, plausible=(-50.0, 60.0)):
    return Quantity(key, prop, "Cel", units=TEMPERATURE_UNITS, hard=(-100.0, 100.0), plausible=plausible)


QUANTITIES: dict[str, Quantity] = {q.key: q for q in (
    # road-weather stations (TLS FG3 / NTCIP 1204)
    _temperature("rst_1", "road_surface_temperature", (-30.0, 80.0)),      # TLS FBT
    _temperature("rst_2", "road_surface_temperature", (-30.0, 80.0)),
    _temperature("t_air", "air_temperature", (-50.0, 60.0)),
    _temperature("dew_point", "dew_point_temperature", (-60.0, 40.0)),
    _temperature("t_subsurface", "subsurface_temperature", (-30.0, 80.0)),
    _temperature("freeze_point", "surface_freezing_temperature", (-30.0, 0.0)),  # TLS GFT
    Quantity("rh", "relative_humidity", "%", units=PERCENT_UNITS, hard=(0.0, 105.0),
             plausible=(0.0, 100.0), clamp_above=100.0),
    Quantity("salt_pct", "residual_salt_nacl", "%", units=PERCENT_UNITS, hard=(0.0, 100.0),
             plausible=(0.0, 30.0)),
    Quantity("water_film", "water_film_height", "mm", units=LENGTH_MM_UNITS, hard=(0.0, 100.0),
             plausible=(0.0, 10.0)),                                       # TLS WFD
    Quantity("ice_film", "ice_film_height", "mm", units=LENGTH_MM_UNITS, hard=(0.0, 100.0),
             plausible=(0.0, 2.0)),                                        # TLS EFD
    Quantity("snow_height", "snow_height", "mm", units=LENGTH_MM_UNITS, hard=(0.0, 10000.0),
             plausible=(0.0, 50.0)),                                       # TLS SFD
    Quantity("friction", "friction", "1", units=RATIO_UNITS, hard=(0.0, 1.0)),   # TLS GR
    Quantity("surface_state", "surface_state", "", kind=STATE),
    Quantity("black_ice_signal", "black_ice_signal", "", kind=CODE, codes=(0, 1, 2, 3, 4)),
    Quantity("precip_type", "precipitation_type", "", kind=STATE),
    Quantity("precip_intensity", "precipitation_intensity", "mm/h", units=INTENSITY_UNITS,
             hard=(0.0, 1000.0), plausible=(0.0, 200.0)),
    Quantity("wind_speed", "wind_speed", "m/s", units=SPEED_UNITS, hard=(0.0, 150.0), plausible=(0.0, 75.0)),
    Quantity("cloud_cover", "cloud_cover", "%", units={**PERCENT_UNITS, "okta": lambda x: x * 12.5},
             hard=(0.0, 100.0)),
    # gritting reported by a vehicle or an operator (releases the hysteresis, §4)
    Quantity("gritting", "spread_density", "g/m2", units=DENSITY_UNITS, hard=(0.0, 1000.0),
             plausible=(0.0, 60.0)),
    # fill-level sensors (ultrasonic, §6) and device health
    Quantity("distance", "distance", "mm", units=LENGTH_MM_UNITS, hard=(0.0, 100000.0)),
    Quantity("battery", "battery_level", "%", units={"%": _same, "percent": _same}, hard=(0.0, 100.0)),
    Quantity("battery_voltage", "battery_voltage", "V", units=VOLT_UNITS, hard=(0.0, 60.0)),
    _temperature("device_temperature", "device_temperature", (-40.0, 85.0)),
    Quantity("tilt", "tilt", "", kind=CODE, codes=(0, 1)),
    Quantity("rssi", "rssi", "dBm", units={"dBm": _same}, hard=(-200.0, 20.0)),
    Quantity("snr", "snr", "dB", units={"dB": _same}, hard=(-50.0, 50.0)),
)}

#: keys whose new observations trigger an ice-risk assessment of their station
ENGINE_KEYS = frozenset({"rst_1", "rst_2", "t_air", "rh", "dew_point", "freeze_point", "salt_pct", "water_film",
                         "ice_film", "friction", "surface_state", "black_ice_signal", "precip_type",
                         "wind_speed", "cloud_cover", "gritting"})

# -- surface state (domain brief §3) -----------------------------------------------------------
#: canonical state -> (moisture, frozen); values "yes", "no", "expected", "unknown", None
STATES: dict[str, tuple[Optional[str], Optional[str]]] = {
    "unknown": (None, None), "error": (None, None),
    "dry": ("no", "no"), "moist": ("yes", "no"), "wet": ("yes", "no"), "chemically_wet": ("yes", "no"),
    "dew": ("yes", "no"), "wet_or_frozen": ("yes", "unknown"),
    "frost": ("yes", "yes"), "ice": ("yes", "yes"), "black_ice": ("yes", "yes"), "snow": ("yes", "yes"),
    "ice_warning": ("yes", "yes"), "snow_warning": ("yes", "yes"),
    "ice_watch": ("expected", "expected"), "snow_watch": ("expected", "expected"),
}

#: vendor vocabularies: prefix -> {code: canonical state}
VENDOR_STATES: dict[str, dict[int, str]] = {
    # NTCIP 1204 essSurfaceStatus (11 and 14 "absorption": mapping needs checking, brief §3)
    "NTCIP": {0: "unknown", 1: "unknown", 2: "error", 3: "dry", 4: "moist", 5: "wet", 6: "chemically_wet",
              7: "ice_warning", 8: "ice_watch", 9: "snow_warning", 10: "snow_watch", 11: "chemically_wet",
              12: "dew", 13: "frost", 14: "chemically_wet"},
    # TLS FG3 DE 70 FBZ
    "FBZ": {0: "dry", 1: "wet_or_frozen", 32: "wet", 64: "ice", 65: "snow", 66: "ice", 67: "frost", 255: "unknown"},
    # TLS FG3 DE 79 FZW (winter service)
    "FZW": {0: "dry", 16: "moist", 32: "wet", 48: "wet", 64: "ice"},
    # Lufft UMB road condition
    "UMB": {10: "dry", 15: "moist", 20: "wet", 25: "chemically_wet", 30: "chemically_wet", 35: "ice",
            40: "snow", 45: "frost"},
    # Pikalert RWIS road state
    "PIKALERT": {0: "unknown", 1: "dry", 2: "moist", 3: "chemically_wet", 4: "wet", 5: "chemically_wet", 6: "ice",
                 7: "frost", 8: "snow", 9: "ice_watch", 10: "ice_warning", 11: "wet", 12: "ice_warning",
                 13: "chemically_wet", 14: "chemically_wet", 15: "dew", 16: "black_ice", 17: "unknown", 18: "snow"},
    # METRo road condition (8 = icing rain also raises FREEZING_PRECIP)
    "METRO": {1: "dry", 2: "wet", 3: "ice", 4: "snow", 5: "dew", 6: "snow", 7: "frost", 8: "ice"},
}
#: raw codes that report freezing precipitation on the surface (METRo 8 "icing rain")
FREEZING_PRECIP_RAW_CODES = frozenset({"METRO:8"})

#: states Pikalert discards when the air is warmer than 1 °C (ice, frost, wet below freezing,
#: black ice, snow, slush) and when the air is at or below 0 °C (wet, moist, dew)
FROZEN_STATES = frozenset({"frost", "ice", "black_ice", "snow", "ice_warning", "snow_warning"})
WET_STATES = frozenset({"moist", "wet", "dew"})

PRECIP_TYPES = frozenset({"none", "rain", "drizzle", "freezing_rain", "freezing_drizzle", "sleet", "snow", "hail",
                          "unknown"})
FREEZING_PRECIP = frozenset({"freezing_rain", "freezing_drizzle"})


class Invalid(ValueError):
    """A value that must be rejected; the message is the reason."""


@dataclass
class Normalised:
    key: str
    value: Optional[float]      # numeric result in the canonical unit, or the code
    state: Optional[str]        # canonical state of STATE quantities
    raw_code: Optional[str]     # vendor code as sent, e.g. "NTCIP:7"
    quality: int
    flags: list[str]


def normalise_state(key: str, raw) -> tuple[str, Optional[str]]:
    """(canonical state, raw code) of a state value: a canonical name or ``PREFIX:code``."""
    if not isinstance(raw, str) or not raw or len(raw) > 40:
        raise Invalid("must be a canonical state or a vendor code such as 'NTCIP:5'")
    if key == "precip_type":
        if raw not in PRECIP_TYPES:
            raise Invalid(f"unknown precipitation type {raw!r}; one of {', '.join(sorted(PRECIP_TYPES))}")
        return raw, None
    if raw in STATES:
        return raw, None
    prefix, sep, code = raw.partition(":")
    table = VENDOR_STATES.get(prefix.upper()) if sep else None
    if table is None:
        raise Invalid(f"unknown state {raw!r}; a canonical state or one of the vocabularies "
                      f"{', '.join(sorted(VENDOR_STATES))} as 'PREFIX:code'")
    try:
        number = int(code)
    except ValueError:
        raise Invalid(f"vendor code {raw!r} must be an integer after the prefix") from None
    if number not in table:
        raise Invalid(f"unknown {prefix.upper()} code {number}")
    return table[number], f"{prefix.upper()}:{number}"


def normalise(key: str, raw, unit: Optional[str] = None, quality: int = QUALITY_OK,
              raw_code: Optional[str] = None) -> Normalised:
    """Check and convert one value of datastream ``key``; raises :class:`Invalid`."""
    q = QUANTITIES.get(key)
    if q is None:
        raise Invalid(f"unknown datastream key {key!r}")
    flags: list[str] = []
    if q.kind == STATE:
        if unit not in (None, ""):
            raise Invalid("a state has no unit")
        state, code = normalise_state(key, raw)
        return Normalised(key, None, state, code or raw_code, quality, flags)
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise Invalid("must be a number")
    if not math.isfinite(raw):
        raise Invalid("must be a finite number")
    if q.kind == CODE:
        if unit not in (None, ""):
            raise Invalid("a code has no unit")
        if raw != int(raw) or int(raw) not in q.codes:
            raise Invalid(f"must be one of the codes {', '.join(map(str, q.codes))}")
        return Normalised(key, float(int(raw)), None, raw_code, quality, flags)
    if unit is None or unit == q.unit:
        value = float(raw)
    else:
        convert = q.units.get(unit)
        if convert is None:
            accepted = ", ".join(sorted(q.units)) or q.unit
            raise Invalid(f"unit {unit!r} is not accepted for {key}; use one of: {accepted}")
        value = float(convert(float(raw)))
    lo, hi = q.hard
    if not lo <= value <= hi:
        raise Invalid(f"{value:g} {q.unit} is outside the possible range {lo:g} … {hi:g} {q.unit}")
    if q.clamp_above is not None and value > q.clamp_above:
        value = q.clamp_above
        flags.append("CLAMPED")
        quality = max(quality, QUALITY_SUSPECT)
    elif q.plausible is not None and not q.plausible[0] <= value <= q.plausible[1]:
        flags.append("OUT_OF_SENSOR_RANGE")
        quality = max(quality, QUALITY_SUSPECT)
    return Normalised(key, value, None, raw_code, quality, flags)
