"""Bürgerportal: citizen offices

Revision ID: buergerportal0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0001"
down_revision = None
branch_labels = ("buergerportal",)
depends_on = "core0001"


def upgrade() -> None:
    op.create_table(
        "buergerportal_office",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("opening_hours", sa.String(1000), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("accessibility", sa.String(500), nullable=False),
        sa.UniqueConstraint("municipality_id", "name", name="uq_buergerportal_office_name"),
    )
    op.create_index("ix_buergerportal_office_municipality_id", "buergerportal_office", ["municipality_id"])


def downgrade() -> None:
    op.drop_index("ix_buergerportal_office_municipality_id", "buergerportal_office")
    op.drop_table("buergerportal_office")
