"""Defines a table without its slug prefix."""

from typing import Optional

from mash_core.api import Field, Manifest, TenantModel

manifest = Manifest(slug="fxbadprefix", title="Bad prefix", description="table lacks the prefix")


class Thing(TenantModel, table=True):
    __tablename__ = "wrongprefix_thing"

    id: Optional[int] = Field(default=None, primary_key=True)
