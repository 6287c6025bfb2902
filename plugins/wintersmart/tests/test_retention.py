"""Retention job: hourly aggregates of old raw observations, thinned states and assessments,
idempotent runs; and the jobs' declarations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from wintersmart_support import feed, in_municipality, night, rows, scalar, station, utc

pytestmark = pytest.mark.mash_plugins("wintersmart")
T0 = utc(2026, 1, 15, 1, 0)
# 30 days (the default) after 03:30: everything before 03:00 is old
NOW = T0 + timedelta(days=30, hours=2, minutes=30)


def obs(app, key):
    return rows(app, "SELECT o.phenomenon_time, o.value, o.value_min, o.value_max, o.n_values, o.aggregate_s, "
                     "o.state, o.quality FROM wintersmart_observation o JOIN wintersmart_datastream d "
                     "ON d.id = o.datastream_id WHERE d.key = :k ORDER BY o.phenomenon_time", k=key)


def retain(app, now=NOW):
    from mash_wintersmart.retention import run_retention

    with in_municipality(app):
        return run_retention(now=now)


def test_old_raw_observations_become_hourly_aggregates(mash_app):
    feed(mash_app, night("rws-1", T0, minutes=120))                  # 01:00 … 03:00, every 5 min
    report = retain(mash_app)
    got = obs(mash_app, "rst_1")
    assert len(got) == 3                                             # 01:00 and 02:00 aggregated, 03:00 raw
    h1, h2, raw = got
    assert (h1[4], h1[5], h1[2], h1[3]) == (12, 3600, pytest.approx(1.625), 3.0)
    assert h1[1] == pytest.approx((3.0 + 1.625) / 2)
    assert (h2[4], h2[5]) == (12, 3600) and h2[1] == pytest.approx((1.5 + 0.125) / 2)
    assert (raw[1], raw[4], raw[5], raw[2]) == (pytest.approx(0.0), 1, 0, None)
    numeric_streams = 4                                              # rst_1, t_air, rh, water_film
    assert report.aggregated_hours == 2 * numeric_streams and report.raw_replaced == 24 * numeric_streams
    # the same run again changes nothing
    before = {k: obs(mash_app, k) for k in ("rst_1", "rh", "surface_state")}
    again = retain(mash_app)
    assert again.aggregated_hours == 0 and again.raw_replaced == 0 and again.states_deleted == 0
    assert {k: obs(mash_app, k) for k in ("rst_1", "rh", "surface_state")} == before


def test_a_late_observation_is_merged_into_its_hour(mash_app):
    feed(mash_app, night("rws-1", T0, minutes=55))                   # 12 values in hour 01
    retain(mash_app)
    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=57), rst_1=-10.0)])   # arrives after the run
    retain(mash_app)
    (hour,) = [r for r in obs(mash_app, "rst_1") if r[5] == 3600]
    assert hour[4] == 13 and hour[2] == -10.0 and hour[3] == 3.0
    values = [3.0 - 1.5 * i * 5 / 60 for i in range(12)] + [-10.0]
    assert hour[1] == pytest.approx(sum(values) / 13)


def test_states_keep_every_change_and_rejected_values_go(mash_app):
    states = ["dry", "dry", "wet", "wet", "wet", "dry", "ice", "ice"]
    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=5 * i), surface_state=s, t_air=-0.5 if s == "ice" else 0.5)
                    for i, s in enumerate(states)])
    # 'ice' at 0.5 °C air would be rejected; here the air is −0.5 °C for ice, 0.5 °C otherwise
    feed(mash_app, [station("rws-1", T0 + timedelta(minutes=60), surface_state="ice", t_air=4.0)])  # rejected
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation WHERE quality = 2") == 1
    report = retain(mash_app)
    assert [r[6] for r in obs(mash_app, "surface_state")] == ["dry", "wet", "dry", "ice"]
    assert report.states_deleted == 4 and report.rejected_deleted == 1
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation WHERE quality = 2") == 0


def test_old_assessments_are_thinned_to_level_changes(mash_app):
    feed(mash_app, night("rws-1", T0, minutes=180))
    levels_before = [r[0] for r in rows(mash_app, "SELECT level FROM wintersmart_assessment ORDER BY valid_time")]
    report = retain(mash_app, now=T0 + timedelta(days=91, hours=4))
    levels_after = [r[0] for r in rows(mash_app, "SELECT level FROM wintersmart_assessment ORDER BY valid_time")]
    changes = [lv for i, lv in enumerate(levels_before) if i == 0 or lv != levels_before[i - 1]]
    assert levels_after == changes == [0, 1, 2]
    assert report.assessments_deleted == len(levels_before) - 3


def test_retention_keeps_recent_data_and_honours_the_setting(mash_app, monkeypatch):
    feed(mash_app, night("rws-1", T0, minutes=120))
    retain(mash_app, now=T0 + timedelta(days=10))
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation WHERE aggregate_s = 3600") == 0
    monkeypatch.setenv("MASH_SETTING_WINTERSMART_RAW_RETENTION_DAYS", "7")
    retain(mash_app, now=T0 + timedelta(days=10))
    assert scalar(mash_app, "SELECT count(*) FROM wintersmart_observation WHERE aggregate_s = 3600") == 3 * 4


def test_jobs_are_declared():
    from mash_wintersmart.plugin import mash_register_jobs

    jobs = {j.id: j for j in mash_register_jobs()}
    assert jobs["icerisk"].trigger == "interval" and jobs["icerisk"].trigger_args == {"minutes": 5}
    assert jobs["retention"].trigger == "cron" and jobs["retention"].per_municipality
    assert str(jobs["retention"].description).startswith("Alte Messwerte")
