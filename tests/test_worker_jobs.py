"""Scheduled jobs in the worker: runs on schedule, every run recorded in ``core_job_run``,
exactly one active worker with takeover after a crash, no tick run twice, jobs paused while
their plugin is disabled.

The ``wtest`` plugin (``tests/worker_plugin``) supplies a job ``tick`` every second that
writes one ``wtest_tick`` row per run (with the ``core_job_run`` id) and a job ``boom`` that
fails while switched on. Tests parametrised with ``backend`` run on SQLite and — marked
``integration`` — on a fresh database of the PostgreSQL server.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "worker_plugin"))

import mash_wtest.plugin as wplugin  # noqa: E402
from wtest_support import (WorkerProcess, database_url, make_wtest_app, pg_available, rows,  # noqa: E402
                           running_worker, scalar, set_enabled, wait_for, worker_env)

pg = pytest.mark.skipif(not pg_available(), reason="PostgreSQL server not reachable")
BACKENDS = [pytest.param("sqlite"), pytest.param("postgresql", marks=[pytest.mark.integration, pg])]


def runs(app, job: str, outcome: str | None = None) -> list:
    sql = "SELECT id, job_id, municipality_id, scheduled_for, started_at, ended_at, outcome, error, worker " \
          "FROM core_job_run WHERE job_id = :job"
    if outcome:
        sql += " AND outcome = :outcome"
    return rows(app, sql + " ORDER BY scheduled_for", job=job, outcome=outcome)


def count_runs(app, job: str, outcome: str = "ok", worker: str | None = None) -> int:
    sql = "SELECT count(*) FROM core_job_run WHERE job_id = :job AND outcome = :outcome"
    if worker:
        sql += " AND worker = :worker"
    return scalar(app, sql, job=job, outcome=outcome, worker=worker)


def assert_no_tick_ran_twice(app) -> None:
    twice = rows(app, "SELECT job_id, municipality_id, scheduled_for, count(*) FROM core_job_run "
                      "GROUP BY job_id, municipality_id, scheduled_for HAVING count(*) > 1")
    assert twice == []
    ticks = rows(app, "SELECT run_id, count(*) FROM wtest_tick GROUP BY run_id")
    assert all(n == 1 for _, n in ticks), f"a run wrote more than one tick row: {ticks}"
    run_ids = {r.id for r in runs(app, "wtest.tick")}
    assert {run_id for run_id, _ in ticks} <= run_ids, "a tick row without its claimed run"
    # every successful run wrote its row (a run cut short by a kill may have written it, or not)
    ok_ids = {r.id for r in runs(app, "wtest.tick", "ok")}
    assert ok_ids <= {run_id for run_id, _ in ticks}


def as_utc(value):
    from datetime import datetime, timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


@pytest.mark.parametrize("backend", BACKENDS)
def test_jobs_run_on_schedule_and_every_run_is_recorded(mash_app_factory, monkeypatch, backend):
    app = make_wtest_app(mash_app_factory, monkeypatch, backend)
    try:
        with running_worker(app, name="inproc-jobs") as worker:
            wait_for(lambda: count_runs(app, "wtest.tick") >= 4, 25, what="four runs of wtest.tick")
            scheduled = {job.id for job in worker.scheduler.get_jobs()}
            wplugin.BOOM["on"] = True
            wait_for(lambda: count_runs(app, "wtest.boom", "error") >= 1, 15, what="a failed run of wtest.boom")
            wplugin.BOOM["on"] = False
    finally:
        wplugin.BOOM["on"] = False
    # namespaced ids, per municipality where the job is municipality-specific
    assert {"wtest.tick@heidelberg", "wtest.boom@heidelberg", "core.housekeeping"} <= scheduled
    # the job store lives in the application database
    assert scalar(app, "SELECT count(*) FROM core_apscheduler_jobs WHERE id = 'wtest.tick@heidelberg'") == 1

    ok = runs(app, "wtest.tick", "ok")
    assert len(ok) >= 4
    municipality_id = scalar(app, "SELECT id FROM core_municipality WHERE slug = 'heidelberg'")
    for run in ok:
        scheduled_for, started, ended = as_utc(run.scheduled_for), as_utc(run.started_at), as_utc(run.ended_at)
        assert run.municipality_id == municipality_id and run.worker == "inproc-jobs"
        assert run.error is None
        assert scheduled_for - timedelta(seconds=1) <= started <= ended <= started + timedelta(seconds=10)
    # on schedule: one run per second, ticks a whole number of seconds apart
    ticks = [as_utc(r.scheduled_for) for r in ok]
    gaps = [(b - a).total_seconds() for a, b in zip(ticks, ticks[1:])]
    assert all(g >= 1 and abs(g - round(g)) < 0.01 for g in gaps), gaps
    assert sum(1 for g in gaps if round(g) == 1) >= len(gaps) - 1, f"runs were skipped: {gaps}"
    # failed runs keep their error text; the plugin's last error names the job
    failed = runs(app, "wtest.boom", "error")
    assert "RuntimeError: boom" in failed[0].error and failed[0].ended_at is not None
    assert "job wtest.boom" in app.extensions["mash"].registry.records["wtest"].last_error
    assert_no_tick_ran_twice(app)


def test_disabling_the_plugin_pauses_its_jobs_and_enabling_resumes_them(mash_app_factory, monkeypatch):
    app = make_wtest_app(mash_app_factory, monkeypatch, municipalities=("heidelberg", "ulm"))
    with running_worker(app, name="inproc-toggle") as worker:
        wait_for(lambda: worker.scheduler is not None and worker.scheduler.get_job("wtest.tick@ulm"), 20,
                 what="the job of ulm to be scheduled")
        wait_for(lambda: scalar(app, "SELECT count(*) FROM wtest_tick t JOIN core_municipality m "
                                     "ON m.id = t.municipality_id WHERE m.slug = 'ulm'") >= 1, 20,
                 what="a tick in ulm")
        set_enabled(app, "ulm", "wtest", False)
        disabled_at = time.monotonic()
        wait_for(lambda: worker.scheduler.get_job("wtest.tick@ulm") is None, 10, what="the job to be removed")
        assert time.monotonic() - disabled_at < 8
        assert worker.scheduler.get_job("wtest.tick@heidelberg") is not None  # other municipality unaffected

        def ulm_ticks():
            return scalar(app, "SELECT count(*) FROM wtest_tick t JOIN core_municipality m "
                               "ON m.id = t.municipality_id WHERE m.slug = 'ulm'")

        def heidelberg_ticks():
            return scalar(app, "SELECT count(*) FROM wtest_tick t JOIN core_municipality m "
                               "ON m.id = t.municipality_id WHERE m.slug = 'heidelberg'")

        paused_count, heidelberg_before = ulm_ticks(), heidelberg_ticks()
        wait_for(lambda: heidelberg_ticks() >= heidelberg_before + 3, 15, what="three more ticks in heidelberg")
        assert ulm_ticks() == paused_count, "a job of a disabled plugin ran"

        set_enabled(app, "ulm", "wtest", True)
        wait_for(lambda: worker.scheduler.get_job("wtest.tick@ulm") is not None, 10, what="the job to come back")
        wait_for(lambda: ulm_ticks() > paused_count, 15, what="a tick in ulm after re-enabling")
    assert_no_tick_ran_twice(app)


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_one_active_and_the_other_takes_over_after_kill(mash_app_factory, monkeypatch, tmp_path, backend):
    app = make_wtest_app(mash_app_factory, monkeypatch, backend)
    env = worker_env(database_url(app), tmp_path / "instance")
    workers = {name: WorkerProcess(env, name, tmp_path / f"{name}.log").start() for name in ("worker-a", "worker-b")}
    try:
        wait_for(lambda: count_runs(app, "wtest.tick") >= 3, 40, what="three runs by the active worker")
        names = {r.worker for r in runs(app, "wtest.tick")}
        assert len(names) == 1, f"more than one worker ran jobs: {names}"
        active_name = names.pop()
        active = workers[active_name]
        standby = next(w for n, w in workers.items() if n != active_name)
        assert "is active" in active.text() and "is active" not in standby.text()
        assert standby.alive()

        active.kill()  # SIGKILL: no clean release of the lock or lease
        killed_at = time.monotonic()
        wait_for(lambda: count_runs(app, "wtest.tick", worker=standby.name) >= 1, 35,
                 what="the standby to take over", interval=0.2)
        takeover = time.monotonic() - killed_at
        assert takeover < 30, f"takeover took {takeover:.1f} s"
        wait_for(lambda: count_runs(app, "wtest.tick", worker=standby.name) >= 3, 15, what="three runs after takeover")
        assert "is active" in standby.text()
    finally:
        for w in workers.values():
            w.terminate()
        for w in workers.values():  # shown when the test fails
            print(f"--- log of {w.name}\n{w.text()[-4000:]}")
    assert "Traceback" not in standby.text()
    assert_no_tick_ran_twice(app)
    # everything the standby ran came after the takeover: the two never ran side by side
    last_of_killed = max(as_utc(r.started_at) for r in runs(app, "wtest.tick") if r.worker == active_name)
    first_of_standby = min(as_utc(r.started_at) for r in runs(app, "wtest.tick") if r.worker == standby.name)
    assert first_of_standby > last_of_killed
