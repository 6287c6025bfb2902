"""Defines a table that is not scoped to the municipality."""

from typing import Optional

from sqlmodel import Field, SQLModel

from mash_core.api import Manifest

manifest = Manifest(slug="fxunscoped", title="Unscoped", description="table without municipality_id")


class Thing(SQLModel, table=True):
    __tablename__ = "fxunscoped_thing"

    id: Optional[int] = Field(default=None, primary_key=True)
