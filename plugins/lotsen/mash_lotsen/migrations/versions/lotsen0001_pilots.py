"""Digital-Lotsen: directory of pilots

Revision ID: lotsen0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "lotsen0001"
down_revision = None
branch_labels = ("lotsen",)
depends_on = "core0001"


def upgrade() -> None:
    op.create_table(
        "lotsen_pilot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("office", sa.String(200), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("topics", sa.String(500), nullable=False),
    )
    op.create_index("ix_lotsen_pilot_municipality_id", "lotsen_pilot", ["municipality_id"])


def downgrade() -> None:
    op.drop_index("ix_lotsen_pilot_municipality_id", "lotsen_pilot")
    op.drop_table("lotsen_pilot")
