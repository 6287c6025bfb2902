"""Table of the plans "Geburt eines Kindes" that citizens saved to their account (migration 0005).

Only the answers of the questionnaire are stored, never the computed plan: opening a saved plan
recomputes it with the rules that apply then.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Optional

import sqlalchemy as sa

from mash_core.api import Field, TenantModel

#: how many plans one account may keep
MAX_SAVED_PLANS = 20
LABEL_MAX = 100


def _now() -> datetime:
    return datetime.now(timezone.utc)


class SavedPlan(TenantModel, table=True):
    """The answers of one questionnaire "Geburt eines Kindes", saved by a citizen with consent."""

    __tablename__ = "buergerportal_saved_plan"

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="core_user.id", index=True, ondelete="CASCADE")
    #: the citizen's own name for the plan (may be empty)
    label: str = Field(default="", max_length=LABEL_MAX)
    #: the answers as the questionnaire's parameters (ISO dates, booleans, integers); no plan text
    answers: dict = Field(default_factory=dict, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=_now)
