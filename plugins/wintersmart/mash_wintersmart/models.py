"""Tables of the WinterSMART plugin (prefix ``wintersmart_``).

Sensing follows the OGC SensorThings model (Thing → Datastream → Observation) with road
segments beside it; ice-risk assessments are stored per station and per road segment
(domain brief §11). Times are aware datetimes in UTC; units are UCUM strings; positions are
WGS 84 lat/lon floats and segment geometries GeoJSON LineStrings (no GIS extension needed).
"""

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel

THING_KINDS = ("road_weather_station", "grit_bin_sensor", "sign_controller", "other")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Depot(TenantModel, table=True):
    """A winter-service depot (Betriebshof) with its salt storage."""

    __tablename__ = "wintersmart_depot"
    __table_args__ = (UniqueConstraint("municipality_id", "name", name="uq_wintersmart_depot_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=50)
    #: how much road salt the depot's silos hold, in tonnes (unknown: None)
    salt_capacity_t: Optional[float] = Field(default=None)


class RoadSegment(TenantModel, table=True):
    """A piece of road that is gritted and warned about as one unit.

    ``geometry`` is a GeoJSON LineString (text); ``from_node``/``to_node`` and ``length_m``
    are what route planning (CARP) needs later; ``priority_class`` 1 is gritted first.
    """

    __tablename__ = "wintersmart_road_segment"
    __table_args__ = (UniqueConstraint("municipality_id", "key", name="uq_wintersmart_road_segment_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: stable external id, e.g. "osm:4045361" or "hd:theodor-heuss-bruecke"
    key: str = Field(max_length=120)
    name: str = Field(max_length=200)
    geometry: Optional[str] = Field(default=None, sa_type=sa.Text)
    is_bridge: bool = False
    priority_class: int = Field(default=3, sa_type=sa.SmallInteger)
    length_m: Optional[float] = None
    width_m: Optional[float] = None
    osm_way_id: Optional[int] = Field(default=None, sa_type=sa.BigInteger)
    from_node: Optional[int] = Field(default=None, sa_type=sa.BigInteger)
    to_node: Optional[int] = Field(default=None, sa_type=sa.BigInteger)
    oneway: bool = False
    #: OSM ``highway`` value of an imported segment (network import, migration wintersmart0004)
    highway: Optional[str] = Field(default=None, max_length=40)


class Thing(TenantModel, table=True):
    """A device: road-weather station, grit-bin sensor or sign controller."""

    __tablename__ = "wintersmart_thing"
    __table_args__ = (UniqueConstraint("municipality_id", "key", name="uq_wintersmart_thing_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: stable external id used in MQTT topics, e.g. "rws-1012" or "ttn:a84041000181c9f1"
    key: str = Field(max_length=120)
    kind: str = Field(default="road_weather_station", max_length=40)
    name: str = Field(default="", max_length=200)
    lat: Optional[float] = None
    lon: Optional[float] = None
    road_segment_id: Optional[int] = Field(default=None, foreign_key="wintersmart_road_segment.id", index=True)
    is_bridge: bool = False
    #: digitraffic, ttn, lufft, mqtt, …
    provider: Optional[str] = Field(default=None, max_length=40)
    properties: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: Optional[datetime] = None


class Datastream(TenantModel, table=True):
    """One quantity of a thing (its key names it: ``rst_1``, ``rh``, ``distance`` …)."""

    __tablename__ = "wintersmart_datastream"
    __table_args__ = (UniqueConstraint("thing_id", "key", name="uq_wintersmart_datastream_thing_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    thing_id: int = Field(foreign_key="wintersmart_thing.id", index=True)
    key: str = Field(max_length=40)
    observed_property: str = Field(max_length=60)
    #: canonical UCUM unit ("" for states and codes)
    unit: str = Field(default="", max_length=20)


class Observation(TenantModel, table=True):
    """One measured value, or (``aggregate_s`` = 3600) the hourly aggregate written by the
    retention job.

    (datastream, phenomenon time) is unique: a redelivered message is skipped by
    ``insert_ignore``. ``quality``: 0 ok, 1 suspect, 2 rejected by a plausibility rule
    (stored for the record, never used by the engine); ``flags`` says why.
    """

    __tablename__ = "wintersmart_observation"
    __table_args__ = (UniqueConstraint("datastream_id", "phenomenon_time", name="uq_wintersmart_observation_time"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    datastream_id: int = Field(foreign_key="wintersmart_datastream.id")
    phenomenon_time: datetime
    result_time: datetime
    #: numeric result in the datastream's unit (mean of an aggregate); None for states
    value: Optional[float] = None
    value_min: Optional[float] = None
    value_max: Optional[float] = None
    #: how many raw values this row stands for (1 for a raw observation)
    n_values: int = 1
    #: 0 for a raw observation, 3600 for an hourly aggregate (mean in ``value``)
    aggregate_s: int = 0
    #: canonical state ("wet", "ice", …) of state datastreams
    state: Optional[str] = Field(default=None, max_length=32)
    #: vendor code as received, e.g. "NTCIP:7" or "FBZ:66"
    raw_code: Optional[str] = Field(default=None, max_length=40)
    quality: int = Field(default=0, sa_type=sa.SmallInteger)
    flags: Optional[str] = Field(default=None, max_length=200)


class Assessment(TenantModel, table=True):
    """An ice-risk assessment of a station (``thing_id``) or of a road segment (``thing_id``
    None), with its firing reasons, inputs and the hysteresis state."""

    __tablename__ = "wintersmart_assessment"
    __table_args__ = (
        sa.Index("ix_wintersmart_assessment_thing_time", "thing_id", "valid_time"),
        sa.Index("ix_wintersmart_assessment_segment_time", "road_segment_id", "valid_time"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    thing_id: Optional[int] = Field(default=None, foreign_key="wintersmart_thing.id")
    road_segment_id: Optional[int] = Field(default=None, foreign_key="wintersmart_road_segment.id")
    valid_time: datetime
    issued_at: datetime = Field(default_factory=utcnow)
    level: int = Field(sa_type=sa.SmallInteger)
    #: the level the lines give without hysteresis
    raw_level: int = Field(sa_type=sa.SmallInteger)
    reasons: list = Field(default_factory=list, sa_type=sa.JSON)
    flags: list = Field(default_factory=list, sa_type=sa.JSON)
    rst: Optional[float] = None
    t_air: Optional[float] = None
    rh: Optional[float] = None
    dew_point: Optional[float] = None
    frost_point: Optional[float] = None
    t_crit: Optional[float] = None
    water_film_mm: Optional[float] = None
    trend_k_per_h: Optional[float] = None
    #: {"+30": °C, "+60": …, "+120": …, "+180": …}
    nowcast: dict = Field(default_factory=dict, sa_type=sa.JSON)
    #: every other input and derived value (T_crit source, state, friction, stations of a segment …)
    inputs: dict = Field(default_factory=dict, sa_type=sa.JSON)
    #: hysteresis memory: last time each level's entry condition held
    hold: dict = Field(default_factory=dict, sa_type=sa.JSON)
    model_version: str = Field(default="", max_length=40)


# warnings and signs (their own module, registered here)
from .warning_models import Sign, SignCommand, SignOverride, Warning  # noqa: E402,F401


# grit bins and salt silos (migration wintersmart0004)
from .models_bins import ContainerAlert, Container, FillReading, RefillPlan  # noqa: E402,F401


# gritting plans (migration wintersmart0006)
from .models_plans import GrittingPlan  # noqa: E402,F401
