"""``mash wintersmart …``: network import, priority classes, grit-bin levels, refill tours and
the demo simulator.

The core's CLI adds this group as it is (hook ``mash_register_commands``); the commands set up
the application context and the municipality (``--municipality``, default: the default one)
themselves through :func:`acting`.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys

import click
from flask import g, has_app_context

from mash_core.api import Municipality, db_session, municipality_context, select


@contextlib.contextmanager
def acting(slug):
    """App context with municipality ``slug`` (default: the default one) as the current one.

    Under ``mash`` the core already runs the command in that context (hook
    ``mash_register_commands``); the set-up below serves tests that call the group directly.
    """
    if has_app_context() and g.get("municipality") is not None:
        yield g.municipality
        return
    app = click.get_current_context().find_root().obj
    if app is None:  # invoked outside the ``mash`` CLI (tests call the group directly with obj=app)
        raise click.ClickException("no application")
    with app.app_context():
        session = db_session()
        q = select(Municipality)
        q = q.where(Municipality.slug == slug) if slug else q.where(Municipality.is_default == True)  # noqa: E712
        municipality = session.exec(q).first()
        if municipality is None:
            raise click.ClickException(f"municipality {slug or '(default)'} not found")
        with municipality_context(municipality.id):
            g.municipality, g.user = municipality, None
            g.enabled_plugins = frozenset({"wintersmart"})
            yield municipality


@click.group("wintersmart")
@click.option("--municipality", "municipality", default=None, help="slug of the municipality (default: the default one)")
@click.pass_context
def cli(ctx, municipality):
    """WinterSMART: road network, grit bins, refill tours, demo simulator."""
    ctx.meta["wintersmart.municipality"] = municipality


def _slug():
    return click.get_current_context().meta.get("wintersmart.municipality")


@cli.command("import-network")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="validate and report only")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--highways", default=None, metavar="CLASS,…",
              help="OSM highway classes to import (default: setting network_highways)")
def import_network_cmd(path, dry_run, as_json, highways):
    """Import road segments from an OSM extract: GeoJSON (.geojson/.json) or an OSM file
    (.osm.pbf, .osm, .osm.gz, .osm.bz2, .o5m; split at junctions). Idempotent by OSM id."""
    from .network import NetworkFileError, import_network, parse_highways

    try:
        selected = parse_highways(highways) if highways is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--highways")
    with acting(_slug()):
        try:
            report = import_network(path, dry_run=dry_run, highways=selected)
        except NetworkFileError as exc:
            raise click.ClickException(str(exc))
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False))
        return
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.rejected)} rejected" + (f", {report.ignored} way(s) of other classes ignored"
                                                     if report.format == "osm" else "")
               + (" (dry run)" if dry_run else ""))
    for r in report.rejected:
        where = f"{r.osm_id}" if report.format == "osm" else f"feature {r.index} (osm_id {r.osm_id})"
        click.echo(f"  {where}: {r.reason}", err=True)


@cli.command("set-priority")
@click.argument("priority_class", type=click.IntRange(1, 5))
@click.argument("keys", nargs=-1)
@click.option("--highway", default=None, help="all segments with this OSM highway value")
def set_priority_cmd(priority_class, keys, highway):
    """Set the gritting priority class (1 = first) of segments given by key or --highway."""
    from .network import set_priority

    if not keys and not highway:
        raise click.UsageError("name segment keys or --highway")
    with acting(_slug()):
        n = set_priority(priority_class, keys=keys, highway=highway)
    click.echo(f"{n} segment(s) set to priority class {priority_class}")


@cli.command("update-bins")
def update_bins_cmd():
    """Derive fill levels from new distance observations; refresh forecasts and alerts."""
    from .bins import update_containers

    with acting(_slug()):
        n = update_containers()
    click.echo(f"{n} new fill reading(s)")


@cli.command("plan-refill")
@click.option("--capacity", type=click.FloatRange(1), default=None, help="vehicle payload in kg (default: setting)")
@click.option("--vehicles", type=click.IntRange(1), default=None, help="fleet limit")
@click.option("--time-limit", type=click.FloatRange(0.1, 600), default=5.0, show_default=True)
def plan_refill_cmd(capacity, vehicles, time_limit):
    """Plan grit-bin refill tours (required + optional bins) from a silo with enough salt."""
    from .bins import NoSiloAvailable, plan_refill_tours

    with acting(_slug()):
        try:
            plan = plan_refill_tours(capacity, vehicles, time_limit)
        except (NoSiloAvailable, ValueError) as exc:
            raise click.ClickException(str(exc))
        click.echo(f"plan {plan.id}: {len(plan.routes)} tour(s), {plan.distance_m / 1000:.1f} km, "
                   f"{len(plan.skipped)} optional bin(s) left out, silo {plan.silo_id}, verified={plan.verified}")
        off = plan.params.get("off_network") or []
        if plan.params.get("distances") == "straight_line":
            click.echo(f"straight-line distances × {plan.params['detour_factor']:g}: no bin or silo lies within "
                       f"{plan.params['snap_max_m']:g} m of the road network (import it: import-network)")
        elif off:
            from .models_bins import Container

            keys = db_session().exec(select(Container.key).where(Container.id.in_(off)).order_by(Container.key)).all()
            click.echo(f"road distances; {len(off)} bin(s)/silo(s) off the road network (straight line × "
                       f"{plan.params['detour_factor']:g}): {', '.join(keys)}")
        else:
            click.echo("road distances")


@cli.command("simulate")
@click.option("--speed", type=click.FloatRange(min=1, max=1e6), default=60.0, show_default=True,
              help="simulated seconds per real second")
@click.option("--broker", default=None, help="mqtt://host:port (default: $MASH_MQTT_URL or mqtt://127.0.0.1:18830)")
@click.option("--hours", type=click.FloatRange(0.5, 24), default=12.0, show_default=True, help="length of the night")
@click.option("--max-seconds", type=click.FloatRange(min=0.1), default=None, help="stop after this many real seconds")
@click.option("--seed", type=int, default=1, show_default=True)
def simulate_cmd(speed, broker, hours, max_seconds, seed):
    """Publish a cooling night over MQTT for the stations, grit bins and silos."""
    from .simulator import DEFAULT_BROKER, demo_targets, simulate, targets_from_db

    broker = broker or os.environ.get("MASH_MQTT_URL") or DEFAULT_BROKER
    with acting(_slug()) as municipality:
        stations, containers = targets_from_db()
        slug = municipality.slug
    if not stations and not containers:
        click.echo("no stations or bins in the database (run `mash demo load`): simulating the demo's", err=True)
        stations, containers = demo_targets()
    click.echo(f"{len(stations)} stations, {len(containers)} bins/silos → {broker} "
               f"(mash/{slug}/wintersmart/obs/…), {hours:g} h at ×{speed:g}")
    steps_total = [0]
    with click.progressbar(length=1000, label="night", file=sys.stderr, show_eta=True) as bar:
        def progress(step, steps, messages):
            target = int(1000 * step / steps)
            bar.update(target - steps_total[0])
            steps_total[0] = target
            bar.label = f"night ({messages} msgs)"
        try:
            result = simulate(broker, slug, stations, containers, speed=speed, hours=hours, max_seconds=max_seconds,
                              seed=seed, progress=progress)
        except (OSError, ValueError) as exc:
            raise click.ClickException(f"cannot publish to {broker}: {exc}")
    click.echo(f"published {result.messages} messages in {result.seconds:.1f} s")


@cli.command("plan")
@click.option("--time-limit", type=click.FloatRange(0.1, 3600), default=None,
              help="seconds of search (default: setting gritting_time_limit_s)")
@click.option("--vehicles", type=click.IntRange(1, 100), default=None,
              help="number of gritting vehicles (default: setting gritting_vehicles)")
@click.option("--seed", type=int, default=0, show_default=True)
def plan_cmd(time_limit, vehicles, seed):
    """Plan gritting routes over the required segments from a silo with enough salt; verify, store."""
    import threading
    import time

    from mash_core.api import get_settings

    from .planning import PlanningError, plan_gritting

    with acting(_slug()):
        limit = float(time_limit or get_settings("wintersmart")["gritting_time_limit_s"])
        best = {"cost": None}
        done = threading.Event()
        t0 = time.monotonic()
        with click.progressbar(length=1000, label="planning", file=sys.stderr, show_eta=False) as bar:
            shown = [0]

            def tick():
                while not done.wait(0.25):
                    target = min(999, int(1000 * (time.monotonic() - t0) / limit))
                    if target > shown[0]:
                        bar.label = "planning" + (f" (best {best['cost'] / 1000:.1f} km)" if best["cost"] else "")
                        bar.update(target - shown[0])
                        shown[0] = target

            def on_best(elapsed, cost):
                best["cost"] = cost

            ticker = threading.Thread(target=tick, daemon=True)
            ticker.start()
            try:
                plan = plan_gritting(limit, vehicles, seed=seed, progress=on_best)
            except PlanningError as exc:
                raise click.ClickException(str(exc))
            finally:
                done.set()
                ticker.join()
            bar.update(1000 - shown[0])
        click.echo(f"plan {plan.id}: {len(plan.routes)} trip(s) on {plan.params['vehicles']} vehicle(s), "
                   f"{plan.cost_m / 1000:.1f} km, {plan.salt_kg:.0f} kg salt, "
                   f"{len(plan.params['required'])} segment(s), silo {plan.silo_id}, verified={plan.verified}")
        for r in plan.routes:
            click.echo(f"  vehicle {r['vehicle']} trip {r['trip']}: {len(r['segments'])} segment(s), "
                       f"{r['cost_m'] / 1000:.1f} km, {r['load_kg']} kg")
