"""Tables of the Bürgerportal plugin (prefix ``buergerportal_``)."""

from typing import Optional

from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel


class Office(TenantModel, table=True):
    """A citizen office (Bürgeramt) with its address, opening hours and contacts."""

    __tablename__ = "buergerportal_office"
    __table_args__ = (UniqueConstraint("municipality_id", "name", name="uq_buergerportal_office_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    address: str = Field(default="", max_length=300)
    #: free text, e.g. "Mo–Fr 8–16 Uhr, nur mit Termin"
    opening_hours: str = Field(default="", max_length=1000)
    phone: str = Field(default="", max_length=50)
    email: str = Field(default="", max_length=254)
    #: the office's own page (http/https), added by migration 0007
    website: str = Field(default="", max_length=500)
    #: step-free access, lift, accessible toilet, hearing loop … or whom to ask
    accessibility: str = Field(default="", max_length=500)


# Kita search and pre-registration (tables in kita_models.py)
from .kita_models import (KitaChild, KitaFacility, KitaOffer, KitaQuota, KitaRegistration,  # noqa: E402,F401
                          KitaWish)


# Service catalogue, life situations, help directory, search index, usage counters
from .catalogue_models import (HelpEntry, HelpTopic, LifeSituation, LifeSituationService,  # noqa: E402,F401
                               SearchDoc, Service, UsageCount)


# Plans of the assistant "Geburt eines Kindes" saved to an account (table in plan_models.py)
from .plan_models import SavedPlan  # noqa: E402,F401
