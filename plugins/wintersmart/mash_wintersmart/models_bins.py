"""Tables of grit bins and salt silos (domain brief §6): containers, fill readings derived from
the ultrasonic ``distance`` observations, low-fill / re-supply alerts, and stored refill plans.

Imported at the end of :mod:`.models`, so that every table is known where the models are.
"""

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel

CONTAINER_KINDS = ("bin", "silo")
#: box: a cuboid bin; cylinder: a vertical cylinder; cone_silo: a vertical cylinder on a
#: conical (frustum) bottom that narrows to the outlet
CONTAINER_SHAPES = ("box", "cylinder", "cone_silo")
ALERT_KINDS = ("bin_low", "silo_resupply")


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Container(TenantModel, table=True):
    """A roadside grit bin or a depot's salt silo with an ultrasonic level sensor (``thing_id``).

    The sensor sits at the top and measures the distance down to the surface of the salt:
    ``d_empty_mm`` is the distance to the floor (or the outlet of a silo's cone), ``d_full_mm``
    the distance at nominal full (never less than the sensor's blind zone). The shape and its
    dimensions turn the height of the salt into a volume; the capacity (kg) is given or follows
    from the full volume and the bulk density. The ``fill``…``alert_active`` columns are the
    current state, written by :func:`mash_wintersmart.bins.update_containers`.
    """

    __tablename__ = "wintersmart_container"
    __table_args__ = (UniqueConstraint("municipality_id", "key", name="uq_wintersmart_container_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=120)
    name: str = Field(default="", max_length=200)
    kind: str = Field(default="bin", max_length=10)
    lat: Optional[float] = None
    lon: Optional[float] = None
    depot_id: Optional[int] = Field(default=None, foreign_key="wintersmart_depot.id")
    road_segment_id: Optional[int] = Field(default=None, foreign_key="wintersmart_road_segment.id")
    thing_id: Optional[int] = Field(default=None, foreign_key="wintersmart_thing.id", index=True)
    shape: str = Field(default="box", max_length=20)
    d_empty_mm: float
    d_full_mm: float
    #: box: inner length and width; cylinder and silo: inner diameter
    length_mm: Optional[float] = None
    width_mm: Optional[float] = None
    diameter_mm: Optional[float] = None
    #: cone_silo: height of the cone and diameter of the outlet (0 = a pointed cone)
    cone_height_mm: Optional[float] = None
    outlet_diameter_mm: Optional[float] = None
    capacity_kg: Optional[float] = None
    bulk_density_kg_m3: float = 1200.0
    #: own low threshold in % (None: the setting for the kind)
    low_threshold_pct: Optional[float] = None
    # -- current state ----------------------------------------------------------------------
    fill: Optional[float] = None
    level_kg: Optional[float] = None
    reading_at: Optional[datetime] = None
    consumption_kg_per_day: Optional[float] = None
    forecast_low_at: Optional[datetime] = None
    forecast_empty_at: Optional[datetime] = None
    alert_active: bool = False
    created_at: datetime = Field(default_factory=_utcnow)


class FillReading(TenantModel, table=True):
    """One fill level: the median of the last N valid distances at an observation's time."""

    __tablename__ = "wintersmart_fill_reading"
    __table_args__ = (UniqueConstraint("container_id", "time", name="uq_wintersmart_fill_reading_time"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    container_id: int = Field(foreign_key="wintersmart_container.id", index=True)
    time: datetime
    distance_mm: float
    median_mm: float
    height_mm: float
    fill: float
    level_kg: Optional[float] = None
    n_median: int = 1


class ContainerAlert(TenantModel, table=True):
    """A low-fill alert of a bin or a re-supply alert of a silo: one per crossing of the
    threshold; ``cleared_at`` is set when the container is refilled above it (plus the margin)."""

    __tablename__ = "wintersmart_container_alert"

    id: Optional[int] = Field(default=None, primary_key=True)
    container_id: int = Field(foreign_key="wintersmart_container.id", index=True)
    kind: str = Field(max_length=20)
    created_at: datetime = Field(default_factory=_utcnow)
    reading_at: Optional[datetime] = None
    fill: float
    threshold: float
    forecast_empty_at: Optional[datetime] = None
    cleared_at: Optional[datetime] = None


class RefillPlan(TenantModel, table=True):
    """A grit-bin refill tour plan (prize-collecting CVRP), verified before it is stored.

    ``routes``: ``[{"containers": [id, …], "load_kg": …, "distance_m": …}, …]``; ``skipped``:
    the optional bins left out; ``silo_id``: the silo the vehicles load at.
    """

    __tablename__ = "wintersmart_refill_plan"

    id: Optional[int] = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=_utcnow)
    silo_id: Optional[int] = Field(default=None, foreign_key="wintersmart_container.id")
    solver: str = Field(default="", max_length=40)
    vehicle_capacity_kg: float
    num_vehicles: Optional[int] = None
    params: dict = Field(default_factory=dict, sa_type=sa.JSON)
    routes: list = Field(default_factory=list, sa_type=sa.JSON)
    skipped: list = Field(default_factory=list, sa_type=sa.JSON)
    distance_m: float = 0.0
    uncollected_prize: float = 0.0
    runtime_s: float = 0.0
    seed: int = 0
    verified: bool = False
    status: str = Field(default="draft", max_length=20)
