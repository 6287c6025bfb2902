"""Reader for the compact CARP ``.dat`` format of the shared benchmark instances.

Whitespace-separated integers (CARPData.jl layout)::

    n_vertices
    n_edges
    from to cost demand      # n_edges lines, 0-based vertices, demand 0 = not required
    n_vehicles
    capacity
    lb
    ub

The depot is vertex 0.
"""

from __future__ import annotations

from pathlib import Path

from .instance import CarpInstance, Edge


class CarpFormatError(ValueError):
    pass


def parse_carp(text: str, name: str = "") -> CarpInstance:
    try:
        nums = [int(tok) for tok in text.split()]
    except ValueError as exc:
        raise CarpFormatError(f"{name or 'instance'}: non-integer token ({exc})") from None
    if len(nums) < 2:
        raise CarpFormatError(f"{name or 'instance'}: truncated header")
    n_vertices, n_edges = nums[0], nums[1]
    expected = 2 + 4 * n_edges + 4
    if len(nums) != expected:
        raise CarpFormatError(
            f"{name or 'instance'}: expected {expected} integers for {n_edges} edges, got {len(nums)}"
        )
    edges = []
    for i in range(n_edges):
        u, v, cost, demand = nums[2 + 4 * i : 6 + 4 * i]
        edges.append(Edge(index=i, u=u, v=v, cost=cost, demand=demand))
    n_vehicles, capacity, lb, ub = nums[2 + 4 * n_edges :]
    try:
        return CarpInstance(
            name=name,
            n_vertices=n_vertices,
            edges=edges,
            capacity=capacity,
            depot=0,
            n_vehicles=n_vehicles,
            lb=lb,
            ub=ub,
        )
    except ValueError as exc:
        raise CarpFormatError(f"{name or 'instance'}: {exc}") from None


def read_carp(path: str | Path) -> CarpInstance:
    path = Path(path)
    return parse_carp(path.read_text(), name=path.stem)
