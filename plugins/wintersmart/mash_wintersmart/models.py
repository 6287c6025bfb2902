"""Tables of the WinterSMART plugin (prefix ``wintersmart_``)."""

from typing import Optional

from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel


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
