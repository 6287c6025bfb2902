"""Table of stored gritting plans (CARP), written by :mod:`.planning` (migration wintersmart0006).

Imported at the end of :mod:`.models`, so that every table is known where the models are.
"""

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa

from mash_core.api import Field, TenantModel


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class GrittingPlan(TenantModel, table=True):
    """A gritting plan: routes over the required road segments, verified before it is stored.

    ``params``: the settings and counts it was made with; ``routes``: per trip
    ``{"vehicle", "trip", "load_kg", "cost_m", "services": [[edge, tail, head], …], "segments": [id, …]}``;
    ``network``: the planning graph as it was (``coords``, ``edges`` ``[u, v, cost_m, demand_kg,
    segment_id]``, ``depot``, ``capacity``), so that a plan is exported and drawn unchanged even
    after the road network was edited.
    """

    __tablename__ = "wintersmart_gritting_plan"

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=_utcnow)
    silo_id: Optional[int] = Field(default=None, foreign_key="wintersmart_container.id")
    solver: str = Field(default="", max_length=40)
    params: dict = Field(default_factory=dict, sa_type=sa.JSON)
    cost_m: int = 0
    salt_kg: float = 0.0
    routes: list = Field(default_factory=list, sa_type=sa.JSON)
    network: dict = Field(default_factory=dict, sa_type=sa.JSON)
    runtime_s: float = 0.0
    verified: bool = False
