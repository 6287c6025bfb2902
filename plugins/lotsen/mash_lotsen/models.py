"""Tables of the Digital-Lotsen plugin (prefix ``lotsen_``)."""

from typing import Optional

from mash_core.api import Field, TenantModel


class Pilot(TenantModel, table=True):
    """A Digital-Lotse or Digital-Lotsin: a contact person in one city office."""

    __tablename__ = "lotsen_pilot"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    office: str = Field(max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    topics: str = Field(default="", max_length=500)
