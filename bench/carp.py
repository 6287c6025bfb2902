"""CARP benchmark: WinterSMART's gritting-route solver against its constructive baseline on the
shared instances (gdb, val, egl), gaps to the best-known upper bound.

    python bench/carp.py --sets gdb,val,egl --time-limit 30 [--instances N] [--seed 0]
                         [--fleet-limited] [--data DIR] [--egl-g-time-limit 120]
                         [--jobs 1] [--workers W] [--solver native|pyvrp] [--tuning K=V,…]

Method
------
Per instance, in the same run: the baseline (path-scanning with the 5 classic rules, each
re-split with Ulusoy split; best kept) and the solver (``--solver``: the plugin's default
``native`` search, or ``pyvrp`` — PyVRP's iterated local search on the generalised-VRP encoding;
both warm-started from the baseline) under ``--time-limit`` wall-clock
seconds (everything included: shortest paths, encoding, baseline, search, verification). Every
plan is verified independently (:func:`mash_wintersmart.routing.verify_carp_plan`: each required
edge served once, capacity, depot, cost recomputed with Dijkstra) — the costs reported are
verified costs. ``gap = (cost − UB) / UB`` in % with UB the best-known value from
``shared/data/carp/README.md`` (the ``.dat`` files' last line).

``egl`` is reported as ``egl-e``, ``egl-s`` and ``egl-g`` (the issue's targets). ``egl-g`` runs with
``--egl-g-time-limit`` seconds (default: the issue's 120 s, or ``--time-limit`` if that is larger).
With ``--fleet-limited`` each instance is solved a second time with the fleet bound to the
instance's vehicle count (``fleet_limited`` per instance and ``fleet_mean_gap_pct`` per set).
``--instances N`` takes the first N instances of every set (natural order). ``--jobs N`` solves N
instances at a time in separate processes; ``--workers W`` runs W parallel searches per solve
(independent searches with their own seeds, the best kept; default
the machine's cores divided by ``--jobs``). ``machine.cpus``, ``jobs`` and ``workers_per_solve``
are in the JSON: compare runs only with the same figures. ``--tuning`` passes solver parameters
for experiments (``selective=0``, ``history=1000``; the native ones are ``native.DEFAULTS``).

The last line of stdout is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins" / "wintersmart"))

from mash_wintersmart.routing import (  # noqa: E402
    DEFAULT_SOLVER,
    NoFeasiblePlan,
    read_carp,
    solve_baseline,
    solve_carp,
    solver_names,
)

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "carp"
SETS = {
    "gdb": r"gdb\d+",
    "val": r"val\d+[A-D]",
    "egl-e": r"egl-e\d-[A-C]",
    "egl-s": r"egl-s\d-[A-C]",
    "egl-g": r"egl-g\d-[A-E]",
    "kshs": r"kshs\d+",
}


def natural(name: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def gap(cost: float, ub: int) -> float:
    return round(100.0 * (cost - ub) / ub, 3)


def mean(xs):
    return round(sum(xs) / len(xs), 3) if xs else None


def solve_instance(task: tuple[str, float, int, bool, int, str, dict | None]) -> dict:
    """Baseline and solver (and optionally the fleet-limited solver) on one instance."""
    path, limit, seed, fleet_limited, workers, solver, tuning = task
    inst = read_carp(Path(path))
    base = solve_baseline(inst)
    plan = solve_carp(inst, limit, seed=seed, workers=workers, solver=solver, tuning=tuning)
    row = {
        "instance": inst.name,
        "ub": inst.ub,
        "lb": inst.lb,
        "cost": plan.cost,
        "gap_pct": gap(plan.cost, inst.ub),
        "time_s": round(plan.runtime_s, 2),
        "routes": plan.n_vehicles,
        "verified": plan.verified,
        "baseline_cost": base.cost,
        "baseline_gap_pct": gap(base.cost, inst.ub),
        "baseline_time_s": round(base.runtime_s, 3),
        "baseline_routes": base.n_vehicles,
        "vehicles": inst.n_vehicles,
    }
    if fleet_limited:
        try:
            fp = solve_carp(inst, limit, seed=seed, num_vehicles=inst.n_vehicles, workers=workers,
                            solver=solver, tuning=tuning)
            row["fleet_limited"] = {"cost": fp.cost, "gap_pct": gap(fp.cost, inst.ub),
                                    "time_s": round(fp.runtime_s, 2),
                                    "routes": fp.n_vehicles, "verified": fp.verified}
        except NoFeasiblePlan:
            row["fleet_limited"] = {"cost": None, "gap_pct": None, "feasible": False}
    return row


def tuning_arg(text: str) -> dict:
    """``key=value,…`` with numeric values, for ``--tuning``."""
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, value = part.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected key=number, got {part!r}") from None
    return out


def report(set_name: str, row: dict, args) -> dict:
    if not args.quiet:
        fleet = f"  fleet={row['fleet_limited']['gap_pct']}%" if "fleet_limited" in row else ""
        print(f"{set_name:6s} {row['instance']:10s} ub={row['ub']:<8d} cost={row['cost']:<8d} "
              f"gap={row['gap_pct']:6.2f}%  baseline={row['baseline_gap_pct']:6.2f}%{fleet}"
              f"  t={row['time_s']:.1f}s", file=sys.stderr, flush=True)
    return row


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", default="gdb,val,egl")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--egl-g-time-limit", type=float, default=None)
    ap.add_argument("--instances", type=int, default=None, help="first N instances per set")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fleet-limited", action="store_true")
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--jobs", type=int, default=1,
                    help="instances solved at the same time, in separate processes")
    ap.add_argument("--workers", type=int, default=None,
                    help="parallel searches per solve (default: the cores divided by --jobs)")
    ap.add_argument("--solver", default=DEFAULT_SOLVER, choices=solver_names())
    ap.add_argument("--tuning", type=tuning_arg, default=None, metavar="KEY=VALUE[,…]",
                    help="solver parameters for experiments, e.g. selective=0 (native.DEFAULTS)")
    args = ap.parse_args(argv)

    names = []
    for s in args.sets.split(","):
        s = s.strip()
        names += ["egl-e", "egl-s", "egl-g"] if s == "egl" else [s]
    unknown = [s for s in names if s not in SETS]
    if unknown:
        ap.error(f"unknown set(s) {unknown}; known: gdb, val, egl (= egl-e, egl-s, egl-g), kshs")
    g_limit = args.egl_g_time_limit or max(120.0, args.time_limit)
    workers = args.workers or max(1, (os.cpu_count() or 1) // args.jobs)

    files = sorted(args.data.glob("*.dat"), key=lambda p: natural(p.stem))
    out = {
        "benchmark": "carp",
        "time_limit_s": args.time_limit,
        "egl_g_time_limit_s": g_limit if "egl-g" in names else None,
        "seed": args.seed,
        "solver": args.solver,
        "tuning": args.tuning,
        "fleet_limited": args.fleet_limited,
        "jobs": args.jobs,
        "workers_per_solve": workers,
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version()},
        "sets": {},
    }
    t_all = time.perf_counter()
    for set_name in names:
        pat = re.compile(SETS[set_name] + r"$")
        chosen = [p for p in files if pat.match(p.stem)]
        if args.instances:
            chosen = chosen[: args.instances]
        limit = g_limit if set_name == "egl-g" else args.time_limit
        tasks = [(str(p), limit, args.seed, args.fleet_limited, workers, args.solver, args.tuning)
                 for p in chosen]
        if args.jobs > 1:
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                results = pool.map(solve_instance, tasks)
                rows = [report(set_name, r, args) for r in results]
        else:
            rows = [report(set_name, solve_instance(t), args) for t in tasks]
        gaps = [r["gap_pct"] for r in rows]
        entry = {
            "time_limit_s": limit,
            "n": len(rows),
            "mean_gap_pct": mean(gaps),
            "max_gap_pct": max(gaps) if gaps else None,
            "baseline_mean_gap_pct": mean([r["baseline_gap_pct"] for r in rows]),
            "baseline_max_gap_pct": max((r["baseline_gap_pct"] for r in rows), default=None),
            "all_verified": all(r["verified"] for r in rows),
            "instances": rows,
        }
        if args.fleet_limited:
            fg = [r["fleet_limited"]["gap_pct"] for r in rows]
            ok = [g for g in fg if g is not None]
            entry["fleet_mean_gap_pct"] = mean(ok)
            entry["fleet_max_gap_pct"] = max(ok) if ok else None
            entry["fleet_infeasible"] = sum(g is None for g in fg)
        out["sets"][set_name] = entry
    out["total_time_s"] = round(time.perf_counter() - t_all, 1)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
