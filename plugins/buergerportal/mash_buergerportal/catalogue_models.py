"""Tables of the service catalogue, the life-situation tree, the help directory, the search index
and the anonymous usage counters (all ``buergerportal_*``, created by migration 0002), and the
draft revisions of published services (migration 0007).

Service fields follow the brief's FIM/XZuFi mapping (§1.2): ``leika_key`` is the
Leistungsschlüssel (``referenzLeiKa``), ``synonyms`` the *Begriffe im Kontext*, ``last_verified``
the *fachliche Freigabe* date. ``description`` and the life situations' ``summary`` hold a safe
Markdown subset; it is rendered and sanitised with an allow-list on output (see ``richtext``).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy import UniqueConstraint

from mash_core.api import Field, TenantModel

DRAFT, PUBLISHED = "draft", "published"
STATES = (DRAFT, PUBLISHED)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Service(TenantModel, table=True):
    """A service description (Leistung) with the local execution details."""

    __tablename__ = "buergerportal_service"
    __table_args__ = (UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_service_slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120)
    #: LeiKa key (14 digits); never guessed — empty until looked up in the FIM catalogue
    leika_key: Optional[str] = Field(default=None, max_length=20)
    name: str = Field(max_length=200)
    teaser: str = Field(default="", max_length=500)
    description: str = Field(default="", sa_type=sa.Text)
    prerequisites: list = Field(default_factory=list, sa_type=sa.JSON)
    documents: list = Field(default_factory=list, sa_type=sa.JSON)
    procedure: str = Field(default="", sa_type=sa.Text)
    deadlines: str = Field(default="", max_length=1000)
    processing_time: str = Field(default="", max_length=300)
    costs: str = Field(default="", max_length=500)
    #: [{"name": "§ 7 BEEG", "link": "https://…"}]
    legal: list = Field(default_factory=list, sa_type=sa.JSON)
    office_id: Optional[int] = Field(default=None, foreign_key="buergerportal_office.id")
    #: the responsible body when it is not one of the offices (e.g. "L-Bank, Familienförderung")
    responsible: str = Field(default="", max_length=300)
    #: [{"name": "KG 1 Antrag auf Kindergeld", "link": "https://…"}]
    forms: list = Field(default_factory=list, sa_type=sa.JSON)
    online_service_url: str = Field(default="", max_length=500)
    appointment_url: str = Field(default="", max_length=500)
    synonyms: list = Field(default_factory=list, sa_type=sa.JSON)
    #: source URLs or names of the facts in the text
    sources: list = Field(default_factory=list, sa_type=sa.JSON)
    last_verified: Optional[date] = Field(default=None)
    status: str = Field(default=DRAFT, max_length=20)
    updated_at: datetime = Field(default_factory=_now)


#: the fields of a service that the editors change; a draft revision holds all of them
CONTENT_FIELDS = ("slug", "leika_key", "name", "teaser", "description", "prerequisites", "documents", "procedure",
                  "deadlines", "processing_time", "costs", "legal", "office_id", "responsible", "forms",
                  "online_service_url", "appointment_url", "synonyms", "sources", "last_verified")


class ServiceDraft(TenantModel, table=True):
    """The unpublished revision of a *published* service (at most one per service, migration 0007).

    While it exists, citizens and the search keep seeing the service's published fields in
    ``buergerportal_service``; ``data`` holds the editor's version of every ``CONTENT_FIELDS``
    field (dates as ISO strings) until it is published (copied onto the service in one
    transaction) or discarded. Not indexed, not exported. See ``service_drafts``.
    """

    __tablename__ = "buergerportal_service_draft"
    __table_args__ = (UniqueConstraint("service_id", name="uq_buergerportal_service_draft_service"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    service_id: int = Field(foreign_key="buergerportal_service.id")
    data: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=_now)
    updated_at: datetime = Field(default_factory=_now)


class LifeSituation(TenantModel, table=True):
    """A node of the life-situation tree (Lebenslage); ``parent_id`` builds the hierarchy."""

    __tablename__ = "buergerportal_life_situation"
    __table_args__ = (UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_life_situation_slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120)
    title: str = Field(max_length=200)
    summary: str = Field(default="", sa_type=sa.Text)
    parent_id: Optional[int] = Field(default=None, foreign_key="buergerportal_life_situation.id")
    position: int = Field(default=0)
    status: str = Field(default=DRAFT, max_length=20)
    updated_at: datetime = Field(default_factory=_now)


class LifeSituationService(TenantModel, table=True):
    """A service linked to a life situation, in the editor's order."""

    __tablename__ = "buergerportal_life_situation_service"
    __table_args__ = (UniqueConstraint("life_situation_id", "service_id", name="uq_buergerportal_lss"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    life_situation_id: int = Field(foreign_key="buergerportal_life_situation.id")
    service_id: int = Field(foreign_key="buergerportal_service.id")
    position: int = Field(default=0)


#: categories of the help directory, in display order
HELP_CATEGORIES = ("notruf", "beratung", "familie", "elterngruppe", "gesundheit", "verwaltung")


class HelpEntry(TenantModel, table=True):
    """An emergency number, counselling line, parent group or health offer (brief §5)."""

    __tablename__ = "buergerportal_help_entry"
    __table_args__ = (UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_help_entry_slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120)
    name: str = Field(max_length=200)
    category: str = Field(default="beratung", max_length=30)
    description: str = Field(default="", max_length=1000)
    #: as printed, e.g. "0800 111 0 111"; the tel: link is derived, never typed
    number: str = Field(default="", max_length=50)
    alt_number: str = Field(default="", max_length=50)
    hours: str = Field(default="", max_length=300)
    free_of_charge: Optional[bool] = Field(default=None)
    languages: str = Field(default="", max_length=300)
    region: str = Field(default="", max_length=100)
    address: str = Field(default="", max_length=300)
    website: str = Field(default="", max_length=500)
    source: str = Field(default="", max_length=1000)
    last_verified: Optional[date] = Field(default=None)
    #: "verified" | "needs_checking" (only verified entries are shown to the public)
    status: str = Field(default="verified", max_length=20)
    position: int = Field(default=100)


class HelpTopic(TenantModel, table=True):
    """The topic finder ("Wer hilft bei …?"): plain words mapped to directory entries."""

    __tablename__ = "buergerportal_help_topic"
    __table_args__ = (UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_help_topic_slug"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120)
    title: str = Field(max_length=200)
    #: plain words that lead here ("Gift", "verschluckt", …)
    words: list = Field(default_factory=list, sa_type=sa.JSON)
    #: slugs of HelpEntry rows, in the order shown
    entries: list = Field(default_factory=list, sa_type=sa.JSON)


class SearchDoc(TenantModel, table=True):
    """One searchable document. Maintained by ``search_index`` on every flush; queried only by
    ``search_sql`` (FTS5 on SQLite, a tsvector column on PostgreSQL — both made in 0002)."""

    __tablename__ = "buergerportal_search_doc"
    __table_args__ = (UniqueConstraint("municipality_id", "kind", "ref_id", name="uq_buergerportal_search_doc"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20)
    ref_id: int
    slug: str = Field(default="", max_length=120)
    title: str = Field(max_length=300)
    body: str = Field(default="", sa_type=sa.Text)
    terms: str = Field(default="", sa_type=sa.Text)
    #: stemmed title and synonyms (weight A) and stemmed body (weight B)
    title_idx: str = Field(default="", sa_type=sa.Text)
    body_idx: str = Field(default="", sa_type=sa.Text)
    #: "m<municipality_id>": still indexed, but no longer part of the FTS5 match (bm25 counted every
    #: document of the municipality on each search); search_sql filters by municipality_id instead
    scope: str = Field(default="", max_length=20)


class UsageCount(TenantModel, table=True):
    """Anonymous daily counters for editors: no user, no address, no session — only what and when."""

    __tablename__ = "buergerportal_usage"
    __table_args__ = (UniqueConstraint("municipality_id", "kind", "key", "day", name="uq_buergerportal_usage"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    #: "service_view" | "search_empty" | "assistant_done"
    kind: str = Field(max_length=30)
    key: str = Field(max_length=120)
    day: date
    count: int = Field(default=0)
