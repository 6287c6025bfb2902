"""Gritting-route solvers: named drivers of the stevedore group ``mash_wintersmart.carp_solvers``.

A driver is a function ``solve(inst, time_limit, *, seed, num_vehicles, workers, progress,
tuning) -> CarpPlan | None`` (None, or :class:`NoFeasiblePlan`: no plan within ``num_vehicles``).
Shipped: ``native`` (:mod:`.native`, the default — an iterated local search in C whose moves
choose the service directions) and ``pyvrp`` (:mod:`.pyvrp_solver`, PyVRP's ILS on the
generalised-VRP encoding). Another package adds one with an entry point in that group.

:func:`solve_carp` runs the chosen driver and verifies its plan independently
(:func:`.verify.verify_carp_plan`) before returning it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache

from stevedore import driver as _driver
from stevedore import extension as _extension

from .instance import CarpInstance, CarpPlan
from .verify import verify_carp_plan

GROUP = "mash_wintersmart.carp_solvers"
DEFAULT_SOLVER = "native"


class NoFeasiblePlan(RuntimeError):
    """No plan with at most the given number of vehicles was found within the time limit."""


class UnknownSolver(ValueError):
    pass


def solver_names() -> list[str]:
    """The installed solver drivers."""
    return sorted(_extension.ExtensionManager(GROUP).names())


@lru_cache(maxsize=None)
def get_solver(name: str) -> Callable[..., CarpPlan | None]:
    if name not in solver_names():
        raise UnknownSolver(f"unknown gritting-route solver {name!r} (installed: {', '.join(solver_names())})")
    return _driver.DriverManager(GROUP, name).driver


def solve_carp(
    inst: CarpInstance,
    time_limit: float = 10.0,
    *,
    seed: int = 0,
    num_vehicles: int | None = None,
    workers: int = 1,
    progress: Callable[[float, int], None] | None = None,
    tuning: dict | None = None,
    solver: str = DEFAULT_SOLVER,
) -> CarpPlan:
    """Plan ``inst`` within about ``time_limit`` seconds (wall clock) with the driver ``solver``.

    ``num_vehicles`` limits the fleet (else the number of trips is free, as in the literature);
    ``workers`` > 1 runs that many independent searches in parallel, the best kept;
    ``progress(elapsed_s, best_cost)`` is called on every new best; ``tuning`` passes the
    driver's own search parameters through (see its module). The plan is verified; raises
    :class:`NoFeasiblePlan` when none within ``num_vehicles`` was found."""
    t0 = time.perf_counter()
    plan = get_solver(solver)(inst, time_limit, seed=seed, num_vehicles=num_vehicles,
                              workers=workers, progress=progress, tuning=tuning)
    if plan is None:
        raise NoFeasiblePlan(f"{inst.name}: no plan with at most {num_vehicles} vehicles found")
    plan.runtime_s = time.perf_counter() - t0
    plan.seed = seed
    verify_carp_plan(inst, plan, max_vehicles=num_vehicles)
    plan.verified = True
    return plan
