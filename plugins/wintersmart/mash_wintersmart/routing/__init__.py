"""Route planning for WinterSMART: gritting routes (CARP) and grit-bin refill tours (PC-CVRP).

* :mod:`.instance` — road graph (mixed: one-way arcs), required edges, plans; :mod:`.parser` — CARP ``.dat`` reader;
* :mod:`.solver` — the solver drivers and :func:`solve_carp`; :mod:`.native` — the native search
  (``_carp_search.c``, default); :mod:`.encoding` — CARP → generalised VRP (client groups) and
  :mod:`.pyvrp_solver` — PyVRP's ILS on it;
* :mod:`.baseline` — path-scanning (5 rules) + Ulusoy split;
* :mod:`.verify` — independent plan verifier (Dijkstra); :mod:`.prize` — refill tours;
* :mod:`.export` — GeoJSON / GPX.
"""

from .baseline import solve_baseline
from .export import carp_plan_geojson, carp_plan_gpx, refill_plan_geojson, refill_plan_gpx
from .instance import CarpInstance, CarpPlan, CarpRoute, Edge, Service, UnreachableSegments, make_plan
from .parser import CarpFormatError, parse_carp, read_carp
from .prize import RefillBin, RefillPlan, RefillProblem, solve_refill, verify_refill_plan
from .solver import DEFAULT_SOLVER, NoFeasiblePlan, UnknownSolver, solve_carp, solver_names
from .verify import PlanVerificationError, verify_carp_plan

__all__ = [
    "DEFAULT_SOLVER", "CarpFormatError", "CarpInstance", "CarpPlan", "CarpRoute", "Edge", "NoFeasiblePlan",
    "PlanVerificationError", "RefillBin", "RefillPlan", "RefillProblem", "Service", "UnreachableSegments",
    "carp_plan_geojson", "carp_plan_gpx", "make_plan", "parse_carp", "read_carp",
    "refill_plan_geojson", "refill_plan_gpx", "solve_baseline", "solve_carp",
    "solve_refill", "solver_names", "UnknownSolver", "verify_carp_plan", "verify_refill_plan",
]
