"""Tables of the Kita search and pre-registration (prefix ``buergerportal_kita``).

Invariants held by the database itself, so that no interleaving of requests can break them:

* a pre-registration has at most one accepted offer (unique partial index);
* a facility makes at most one open (offered or accepted) offer per pre-registration;
* a child has at most one active (not withdrawn) pre-registration per care year;
* a facility never hands out more places for a care year than it has: every open offer holds
  one place of :class:`KitaQuota`, taken with a conditional ``UPDATE … WHERE used < places``
  and guarded by a CHECK constraint.
"""

from datetime import date, datetime, timezone
from typing import Optional

from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from mash_core.api import Field, TenantModel

#: age groups: Krippe (under 3) and Kindergarten (3 until school entry)
AGE_GROUPS = ("krippe", "kindergarten")

#: pre-registration states
SUBMITTED, OFFERED, ACCEPTED, WITHDRAWN = "submitted", "offered", "accepted", "withdrawn"
REGISTRATION_STATES = (SUBMITTED, OFFERED, ACCEPTED, WITHDRAWN)
#: offer states (OFFERED, ACCEPTED and WITHDRAWN as above, plus DECLINED and EXPIRED: not answered
#: by the end of the deadline, ended by the job ``kita_offers``)
DECLINED, EXPIRED = "declined", "expired"
OFFER_STATES = (OFFERED, ACCEPTED, DECLINED, WITHDRAWN, EXPIRED)
#: offers that hold a place
OPEN_OFFER_STATES = (OFFERED, ACCEPTED)
MAX_WISHES = 3


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class KitaFacility(TenantModel, table=True):
    """A day-care facility (Kita, Krippe, Kindergarten)."""

    __tablename__ = "buergerportal_kita"
    __table_args__ = (UniqueConstraint("municipality_id", "name", name="uq_buergerportal_kita_name"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    provider: str = Field(default="", max_length=200)
    street: str = Field(default="", max_length=200)
    postcode: str = Field(default="", max_length=10)
    city: str = Field(default="", max_length=100)
    #: the district (Stadtteil) by name
    district: str = Field(default="", max_length=120, index=True)
    lat: Optional[float] = None
    lon: Optional[float] = None
    #: comma-separated codes of :data:`AGE_GROUPS`
    age_groups: str = Field(default="", max_length=100)
    #: "HH:MM"
    opens_at: str = Field(default="07:30", max_length=5)
    closes_at: str = Field(default="16:30", max_length=5)
    opening_days: str = Field(default="Mo–Fr", max_length=100)
    #: places handed out per care year
    places: int = Field(default=0)
    concept: str = Field(default="", max_length=1000)
    #: comma-separated ISO 639-1 codes, e.g. "de,en"
    languages: str = Field(default="de", max_length=100)
    phone: str = Field(default="", max_length=50)
    email: str = Field(default="", max_length=254)
    accessible: bool = Field(default=False)

    @property
    def age_group_list(self) -> list[str]:
        return [a for a in self.age_groups.split(",") if a]

    @property
    def language_list(self) -> list[str]:
        return [a for a in self.languages.split(",") if a]

    @property
    def address(self) -> str:
        return f"{self.street}, {self.postcode} {self.city}".strip(", ")


class KitaChild(TenantModel, table=True):
    """A child of a citizen account: only what the allocation needs (first name or initials and
    the birth date)."""

    __tablename__ = "buergerportal_kita_child"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True, ondelete="CASCADE")
    first_name: str = Field(max_length=60)
    birth_date: date
    created_at: datetime = Field(default_factory=utcnow)


class KitaRegistration(TenantModel, table=True):
    """A pre-registration (Vormerkung) of a child for one care year (1 September – 31 August)."""

    __tablename__ = "buergerportal_kita_registration"
    __table_args__ = (
        Index("uq_buergerportal_kita_registration_active", "child_id", "care_year", unique=True,
              sqlite_where=text("status != 'withdrawn'"), postgresql_where=text("status != 'withdrawn'")),
        CheckConstraint("status IN ('submitted', 'offered', 'accepted', 'withdrawn')",
                        name="ck_buergerportal_kita_registration_status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="buergerportal_kita_child.id", index=True, ondelete="CASCADE")
    #: the year in which the care year starts (2026 = 1.9.2026 – 31.8.2027)
    care_year: int
    #: the desired start of care, within the care year
    start_date: date
    status: str = Field(default=SUBMITTED, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    #: raised by every state change (the row lock of the state machine)
    version: int = Field(default=1)


class KitaWish(TenantModel, table=True):
    """One of up to three wish facilities of a pre-registration, ranked 1–3."""

    __tablename__ = "buergerportal_kita_wish"
    __table_args__ = (
        UniqueConstraint("registration_id", "rank", name="uq_buergerportal_kita_wish_rank"),
        UniqueConstraint("registration_id", "facility_id", name="uq_buergerportal_kita_wish_facility"),
        CheckConstraint("rank BETWEEN 1 AND 3", name="ck_buergerportal_kita_wish_rank"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="buergerportal_kita_registration.id", index=True, ondelete="CASCADE")
    facility_id: int = Field(foreign_key="buergerportal_kita.id", index=True, ondelete="CASCADE")
    rank: int


class KitaOffer(TenantModel, table=True):
    """A facility's offer of a place to a pre-registration."""

    __tablename__ = "buergerportal_kita_offer"
    __table_args__ = (
        Index("uq_buergerportal_kita_offer_accepted", "registration_id", unique=True,
              sqlite_where=text("status = 'accepted'"), postgresql_where=text("status = 'accepted'")),
        Index("uq_buergerportal_kita_offer_open", "registration_id", "facility_id", unique=True,
              sqlite_where=text("status IN ('offered', 'accepted')"),
              postgresql_where=text("status IN ('offered', 'accepted')")),
        CheckConstraint("status IN ('offered', 'accepted', 'declined', 'withdrawn', 'expired')",
                        name="ck_buergerportal_kita_offer_status"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    registration_id: int = Field(foreign_key="buergerportal_kita_registration.id", index=True, ondelete="CASCADE")
    facility_id: int = Field(foreign_key="buergerportal_kita.id", index=True, ondelete="CASCADE")
    care_year: int
    status: str = Field(default=OFFERED, max_length=20)
    #: the citizen answers by the end of this day (default: the setting ``kita_offer_days``); an
    #: offer still open after it is expired by the job ``kita_offers``
    deadline: date
    created_at: datetime = Field(default_factory=utcnow)
    decided_at: Optional[datetime] = None
    staff_id: Optional[int] = Field(default=None, foreign_key="core_user.id", ondelete="SET NULL")


class KitaQuota(TenantModel, table=True):
    """Places of a facility in one care year and how many are held by open offers."""

    __tablename__ = "buergerportal_kita_quota"
    __table_args__ = (
        UniqueConstraint("facility_id", "care_year", name="uq_buergerportal_kita_quota"),
        CheckConstraint("used >= 0 AND used <= places", name="ck_buergerportal_kita_quota_used"),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="buergerportal_kita.id", index=True, ondelete="CASCADE")
    care_year: int
    places: int
    used: int = Field(default=0)
