"""The ice-risk engine without a database: the domain brief's worked examples (exactly, to the
stated precision), every level line, hysteresis and the nowcast."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from mash_wintersmart.icerisk import (HOLD, HoldState, Inputs, Thresholds, assess, critical_temperature, dew_point,
                                      fire, frost_point, nacl_critical_concentration, nowcast_rst,
                                      saturation_vapour_pressure, t_crit_from_salt, theil_sen)

T0 = datetime(2026, 1, 15, 3, 0, tzinfo=timezone.utc)


# -- brief §1.2: dew point and frost point, WMO coefficients (tolerance 0.01 K) ---------------
@pytest.mark.parametrize("t, rh, td, tf", [(2, 90, 0.53, 0.47), (0, 85, -2.22, -1.96), (-3, 95, -3.69, -3.26)])
def test_dew_and_frost_point_reproduce_the_worked_examples(t, rh, td, tf):
    assert round(dew_point(t, rh), 2) == td
    assert round(frost_point(t, rh), 2) == tf
    assert dew_point(t, rh) == pytest.approx(td, abs=0.01)
    assert frost_point(t, rh) == pytest.approx(tf, abs=0.01)


def test_magnus_coefficients_and_their_inversion():
    assert saturation_vapour_pressure(0) == pytest.approx(6.112)
    assert round(saturation_vapour_pressure(-10, "ice"), 2) == 2.60   # the standard ice table (brief)
    # saturated air: dew point = air temperature; the ice curve lies below the water curve
    for t in (-20, -5, 0, 5, 20):
        assert dew_point(t, 100) == pytest.approx(t, abs=1e-9)
        assert saturation_vapour_pressure(t, "ice") < saturation_vapour_pressure(t) or t >= 0
    # the frost point inverts the ICE curve at the actual vapour pressure …
    e = 0.95 * saturation_vapour_pressure(-3)
    assert saturation_vapour_pressure(frost_point(-3, 95), "ice") == pytest.approx(e, rel=1e-12)
    # … and is not the calculator-site shortcut Tf = Td − (0.66·Td + 0.16)
    td = dew_point(-3, 95)
    assert abs(frost_point(-3, 95) - (td - (0.66 * td + 0.16))) > 0.1
    assert dew_point(5, 0) is None and frost_point(5, 0) is None


# -- brief §1.3: NaCl curve and T_crit -------------------------------------------------------
@pytest.mark.parametrize("t, c", [(-2, 3.21), (-5, 7.76), (-10, 14.18), (-20, 22.64)])
def test_nacl_critical_concentration_reproduces_the_test_vectors(t, c):
    assert round(nacl_critical_concentration(t), 2) == c


def test_t_crit_from_residual_salt():
    assert round(t_crit_from_salt(7.76), 1) == -5.0                   # the brief's example
    for t, c in [(-2, 3.21), (-5, 7.76), (-10, 14.18), (-20, 22.64)]:  # the inverse of the curve
        assert t_crit_from_salt(c) == pytest.approx(t, abs=0.01)
    for c in (0.5, 4.0, 12.0, 20.0):
        assert nacl_critical_concentration(t_crit_from_salt(c)) == pytest.approx(c, abs=1e-9)
    assert t_crit_from_salt(30.0) == -21.6     # no real root: clamped to the eutectic
    assert t_crit_from_salt(25.0) == -21.6     # root below the eutectic: clamped
    assert -0.1 < t_crit_from_salt(0.0) <= 0   # the fit's offset at c = 0 (−0.07 °C), inside [−21.6, 0]
    assert nacl_critical_concentration(-21.6) is None and nacl_critical_concentration(-25) is None
    assert nacl_critical_concentration(2.0) == 0.0


def test_t_crit_precedence_freeze_point_then_salt_then_zero():
    assert critical_temperature(-3.4, 7.76) == (-3.4, "freeze_point")
    value, source = critical_temperature(None, 7.76)
    assert source == "salt" and round(value, 1) == -5.0
    assert critical_temperature(None, None) == (0.0, "default")


# -- brief §4: every line -----------------------------------------------------------------------
def codes(**kw):
    return fire(Inputs(at=T0, **kw))[0]


def test_level_lines_fire_as_defined():
    # dry, cold road, dry air: nothing
    assert codes(rst=-4.0, t_air=-2.0, rh=50, water_film=0.0, surface_state="dry") == []
    # RST ≤ T_crit + 1 and RST − Td ≤ 2: T 2 °C / RH 90 % → Td 0.53; RST 0.9 (0.37 K above Td)
    assert "NEAR_TCRIT_NEAR_DEWPOINT" in codes(rst=0.9, t_air=2.0, rh=90)
    assert "NEAR_TCRIT_NEAR_DEWPOINT" not in codes(rst=1.1, t_air=2.0, rh=90)       # 1.1 > 0 + 1
    assert "NEAR_TCRIT_NEAR_DEWPOINT" not in codes(rst=0.9, t_air=8.0, rh=40)       # far from Td
    # RST ≤ T_crit and moisture (water film)
    assert codes(rst=-0.5, water_film=0.2) == ["RST_LE_TCRIT_MOIST"]
    assert codes(rst=-0.5, water_film=0.2, freeze_point=-3.0) == []                 # brine protects
    assert codes(rst=-0.5, water_film=0.2, salt_pct=7.76) == []                      # T_crit −5 °C
    assert codes(rst=-5.5, water_film=0.2, salt_pct=7.76) == ["RST_LE_TCRIT_MOIST"]
    # moisture from a wet state, and from RST − Td ≤ 1 K
    assert "RST_LE_TCRIT_MOIST" in codes(rst=-0.5, surface_state="wet")
    assert "RST_LE_TCRIT_MOIST" in codes(rst=-2.5, t_air=0.0, rh=85)                # Td −2.22
    # frost: RST ≤ 0, RST ≤ Tf (T 0 °C / RH 85 %: Tf −1.96)
    got = codes(rst=-2.5, t_air=0.0, rh=85)
    assert got == ["NEAR_TCRIT_NEAR_DEWPOINT", "RST_LE_TCRIT_MOIST", "FROST_RST_LE_TF"]  # the brief's order
    assert "FROST_RST_LE_TF" not in codes(rst=-1.5, t_air=0.0, rh=85)               # above Tf
    # sensor state frozen
    for state in ("frost", "ice", "ice_warning"):
        assert "SENSOR_STATE_FROZEN" in codes(surface_state=state)
    assert "SENSOR_STATE_FROZEN" not in codes(surface_state="snow")
    # friction (IRIS): < 0.70 with RST < 0 → 2; < 0.60 → 3
    assert codes(rst=-0.1, friction=0.65) == ["FRICTION_LT_070"]
    assert codes(rst=0.1, friction=0.65) == []
    assert codes(rst=-0.1, friction=0.55) == ["FRICTION_LT_070", "FRICTION_LT_060"]
    # freezing precipitation (MDSS 0.833 °C) and METRo's icing-rain code
    assert "FREEZING_PRECIP" in codes(rst=0.8, precip_type="freezing_rain")
    assert "FREEZING_PRECIP" in codes(rst=0.833, precip_type="freezing_drizzle")
    assert "FREEZING_PRECIP" not in codes(rst=0.9, precip_type="freezing_rain")
    assert "FREEZING_PRECIP" not in codes(rst=0.5, precip_type="rain")
    assert "FREEZING_PRECIP" in codes(rst=0.5, surface_state="ice", surface_state_raw="METRO:8")
    # black ice and ice film
    assert codes(black_ice_signal=3) == ["BLACK_ICE_SIGNAL"]
    assert codes(black_ice_signal=2) == []
    assert codes(surface_state="black_ice") == ["BLACK_ICE_SIGNAL"]
    assert codes(ice_film=0.05) == ["ICE_FILM"]
    assert codes(ice_film=0.0) == []


def test_the_level_is_the_highest_firing_line_and_every_code_is_kept():
    r = assess(Inputs(at=T0, rst=-0.5, t_air=0.0, rh=85, water_film=0.3, friction=0.55))
    assert r.level == 3 and r.raw_level == 3
    assert r.reasons[0] == "FRICTION_LT_060"
    assert set(r.reasons) >= {"FRICTION_LT_060", "RST_LE_TCRIT_MOIST", "FRICTION_LT_070", "NEAR_TCRIT_NEAR_DEWPOINT"}
    levels = [3 if c in ("FRICTION_LT_060",) else 2 if c in ("RST_LE_TCRIT_MOIST", "FRICTION_LT_070") else 1
              for c in r.reasons]
    assert levels == sorted(levels, reverse=True)
    assert r.dew_point == pytest.approx(-2.22, abs=0.01) and r.t_crit == 0.0 and r.t_crit_source == "default"
    none = assess(Inputs(at=T0))
    assert none.level == 0 and none.reasons == [] and "NO_RST" in none.flags


def test_thresholds_come_from_settings():
    thr = Thresholds.from_settings({"friction_warning": 0.8, "friction_ice": 0.5, "service_name": "x",
                                    "near_tcrit_k": 2.0})
    assert thr.friction_warning == 0.8 and thr.near_tcrit_k == 2.0 and thr.hysteresis_min == 30
    assert fire(Inputs(at=T0, rst=-0.1, friction=0.75), thr)[0] == ["FRICTION_LT_070"]
    assert fire(Inputs(at=T0, rst=1.5, t_air=2.0, rh=90), thr)[0] == ["NEAR_TCRIT_NEAR_DEWPOINT"]


def test_a_growing_water_film_marks_the_measured_freezing_point_optimistic():
    thr = Thresholds(dilution_margin_k=1.0)
    _, d = fire(Inputs(at=T0, rst=-2.5, freeze_point=-3.0, water_film=0.5, water_film_growing=True), thr)
    assert "TCRIT_OPTIMISTIC" in d["flags"] and d["t_crit"] == -2.0
    assert fire(Inputs(at=T0, rst=-2.5, freeze_point=-3.0, water_film=0.5, water_film_growing=True), thr)[0] == \
        ["RST_LE_TCRIT_MOIST"]
    _, d = fire(Inputs(at=T0, rst=-2.5, freeze_point=-3.0, water_film=0.5))
    assert "TCRIT_OPTIMISTIC" not in d["flags"] and d["t_crit"] == -3.0


# -- hysteresis ----------------------------------------------------------------------------------
WET_ICE = dict(rst=-1.0, water_film=0.3)      # level 2 (RST_LE_TCRIT_MOIST)
DRY_WARM = dict(rst=4.0, water_film=0.0, t_air=5.0, rh=60)


def run(steps, thr=Thresholds()):
    """steps: [(minutes after T0, inputs)] → results, each fed the previous hold state."""
    state, out = None, []
    for minutes, kw in steps:
        r = assess(Inputs(at=T0 + timedelta(minutes=minutes), **kw), state, thr)
        state = r.hold
        out.append(r)
    return out


def test_levels_rise_at_once_and_fall_only_after_30_minutes_without_the_condition():
    rs = run([(0, DRY_WARM), (10, WET_ICE), (15, DRY_WARM), (39, DRY_WARM), (40, DRY_WARM), (50, DRY_WARM)])
    assert [r.level for r in rs] == [0, 2, 2, 2, 0, 0]
    assert [r.raw_level for r in rs] == [0, 2, 0, 0, 0, 0]
    assert rs[1].reasons == ["RST_LE_TCRIT_MOIST"]
    assert rs[2].reasons == [HOLD] and rs[3].reasons == [HOLD]       # held: only the hold code
    assert rs[4].reasons == [] and HOLD not in rs[5].reasons


def test_the_hold_counts_from_the_last_time_the_condition_held():
    rs = run([(0, WET_ICE), (20, WET_ICE), (25, DRY_WARM), (49, DRY_WARM), (50, DRY_WARM)])
    assert [r.level for r in rs] == [2, 2, 2, 2, 0]


def test_a_level_steps_down_through_held_lower_levels():
    black = dict(rst=-1.0, water_film=0.3, ice_film=0.1)               # 3 (and 2)
    rs = run([(0, black), (10, WET_ICE), (29, DRY_WARM), (30, DRY_WARM), (39, DRY_WARM), (40, DRY_WARM)])
    assert [r.level for r in rs] == [3, 3, 3, 2, 2, 0]
    assert rs[1].reasons == ["RST_LE_TCRIT_MOIST", HOLD]             # firing lower code plus the hold
    assert rs[3].reasons == [HOLD] and rs[5].reasons == []


def test_a_custom_hold_time_and_no_hold():
    assert [r.level for r in run([(0, WET_ICE), (5, DRY_WARM), (10, DRY_WARM)], Thresholds(hysteresis_min=10))] \
        == [2, 2, 0]
    assert [r.level for r in run([(0, WET_ICE), (1, DRY_WARM)], Thresholds(hysteresis_min=0))] == [2, 0]


def test_gritting_with_a_confirmed_lower_freezing_point_releases_the_hold():
    gritted = T0 + timedelta(minutes=12)
    after = dict(rst=-1.0, water_film=0.3, freeze_point=-6.0, gritted_at=gritted)   # brine now: T_crit −6
    rs = run([(0, WET_ICE), (15, after)])
    assert [r.level for r in rs] == [2, 0]
    assert "HOLD_RELEASED_GRITTED" in rs[1].flags and HOLD not in rs[1].reasons
    # gritting without a lower freezing point: held
    rs = run([(0, WET_ICE), (15, dict(rst=4.0, gritted_at=gritted))])
    assert [r.level for r in rs] == [2, 2] and HOLD in rs[1].reasons
    # a lower freezing point without gritting: held
    rs = run([(0, WET_ICE), (15, dict(rst=-1.0, water_film=0.3, freeze_point=-6.0))])
    assert [r.level for r in rs] == [2, 2]
    # gritting long before the episode does not count
    old = dict(rst=-1.0, water_film=0.3, freeze_point=-6.0, gritted_at=T0 - timedelta(hours=3))
    assert [r.level for r in run([(0, WET_ICE), (15, old)])] == [2, 2]


def test_hold_state_survives_json():
    r = run([(0, WET_ICE)])[0]
    again = HoldState.from_json(r.hold.to_json())
    assert again.last == r.hold.last and again.t_crit == r.hold.t_crit
    assert HoldState.from_json(None).last == {} and HoldState.from_json({}).t_crit == {}


# -- brief §5: nowcast ------------------------------------------------------------------------
def series(values, step_min=5, end=T0):
    """[(time, value)] ending at ``end`` with one value every ``step_min`` minutes."""
    n = len(values)
    return [(end - timedelta(minutes=step_min * (n - 1 - i)), v) for i, v in enumerate(values)]


def test_theil_sen_is_the_median_of_pairwise_slopes_and_ignores_an_outlier():
    assert theil_sen([0, 1, 2, 3], [1, 3, 5, 7]) == (2.0, 1.0)
    slope, intercept = theil_sen([0, 1, 2, 3, 4], [0, 1, 2, 30, 4])
    assert slope == 1.0 and intercept == 0.0
    assert theil_sen([1, 1], [0, 5]) is None


def test_nowcast_extrapolates_the_trend_to_30_60_120_180_minutes():
    # −1 K/h: 2.0 °C an hour ago, 1.0 °C now, every 5 minutes
    values = [2.0 - i / 12 for i in range(13)]
    nc = nowcast_rst(series(values), T0)
    assert nc.trend_k_per_h == pytest.approx(-1.0) and nc.base == pytest.approx(1.0) and nc.points == 13
    assert {k: round(v, 6) for k, v in nc.values.items()} == {"+30": 0.5, "+60": 0.0, "+120": -1.0, "+180": -2.0}
    assert nc.flags == []


def test_nowcast_clips_the_slope_and_needs_four_points_in_the_window():
    steep = nowcast_rst(series([6.0, 4.0, 2.0, 0.0], step_min=20), T0)      # −6 K/h
    assert steep.raw_trend_k_per_h == pytest.approx(-6.0) and steep.trend_k_per_h == -3.0
    assert steep.values["+60"] == pytest.approx(-3.0) and "NOWCAST_SLOPE_CLIPPED" in steep.flags
    warming = nowcast_rst(series([0.0, 2.0, 4.0, 6.0], step_min=20), T0)
    assert warming.trend_k_per_h == 3.0 and warming.values["+180"] == pytest.approx(15.0)
    assert nowcast_rst(series([1.0, 0.9, 0.8]), T0) is None                # 3 points
    # points outside the last 60 minutes do not count
    old = series([5.0, 4.0, 3.0, 2.0], step_min=30)                         # span 90 min
    assert nowcast_rst(old, T0) is None
    assert nowcast_rst(old, T0, window_min=120).points == 4
    assert nowcast_rst(series([1.0, 0.9, 0.8]), T0, min_points=3) is not None


def test_nowcast_does_not_cool_more_than_1_k_below_the_dew_point():
    values = [2.0 - i / 6 for i in range(13)]                               # −2 K/h, 0.0 °C now
    nc = nowcast_rst(series(values), T0, dew_point_c=-1.5)
    assert nc.values["+30"] == pytest.approx(-1.0)
    assert nc.values["+60"] == pytest.approx(-2.0) and nc.values["+120"] == pytest.approx(-2.5)
    assert nc.values["+180"] == pytest.approx(-2.5) and "NOWCAST_DEWPOINT_FLOOR" in nc.flags
    # already below: no further cooling forecast
    below = nowcast_rst(series(values), T0, dew_point_c=3.0)
    assert all(v == pytest.approx(0.0) for v in below.values.values())
    # a radiation term lifts the floor; warming is never floored
    free = nowcast_rst(series(values), T0, dew_point_c=-1.5, radiation_term=True)
    assert free.values["+180"] == pytest.approx(-6.0)


def test_the_nowcast_raises_level_1_when_moisture_is_expected():
    cooling = series([4.0 - i / 12 for i in range(13)])                     # −1 K/h to 3.0 °C now
    # +3 h: 0.0 °C ≤ T_crit + 1; the dew point (1.21 °C) is reached within 3 h → moisture expected
    r = assess(Inputs(at=T0, rst=3.0, t_air=3.5, rh=85, rst_series=cooling))
    assert r.nowcast.values["+180"] == pytest.approx(dew_point(3.5, 85) - 1.0)   # floored at Td − 1 K
    assert r.reasons == ["NOWCAST_NEAR_TCRIT"] and r.level == 1 and r.moisture_expected
    assert r.trend_k_per_h == pytest.approx(-1.0)
    # very dry air: the surface stays far from the dew point → no moisture expected
    dry = assess(Inputs(at=T0, rst=3.0, t_air=3.5, rh=30, rst_series=cooling))
    assert dry.level == 0 and not dry.moisture_expected
    # the same dry air with precipitation on the way: moisture expected
    assert assess(Inputs(at=T0, rst=3.0, t_air=3.5, rh=30, precip_type="snow", rst_series=cooling)).level == 1
    assert assess(Inputs(at=T0, rst=3.0, t_air=3.5, rh=30, surface_state="ice_watch", rst_series=cooling)).level == 1
    # windy: low confidence
    windy = assess(Inputs(at=T0, rst=3.0, t_air=3.5, rh=85, wind_speed=8.0, rst_series=cooling))
    assert "NOWCAST_LOW_CONFIDENCE" in windy.flags
    assert "NOWCAST_INSUFFICIENT_DATA" in assess(Inputs(at=T0, rst=3.0)).flags


def test_dew_point_is_not_used_without_humidity():
    assert math.isclose(fire(Inputs(at=T0, rst=0.5, dew_point=-0.2))[1]["dew_point"], -0.2)
    assert "NEAR_TCRIT_NEAR_DEWPOINT" in fire(Inputs(at=T0, rst=0.5, dew_point=-0.2))[0]
