"""Digitallabor: tour stops

Revision ID: digitallabor0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "digitallabor0001"
down_revision = None
branch_labels = ("digitallabor",)
depends_on = "core0001"


def upgrade() -> None:
    op.create_table(
        "digitallabor_stop",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("place", sa.String(200), nullable=False),
        sa.Column("district", sa.String(120), nullable=False),
        sa.Column("audience", sa.String(200), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.UniqueConstraint("municipality_id", "date", "start_time", "place", name="uq_digitallabor_stop_when_where"),
    )
    op.create_index("ix_digitallabor_stop_municipality_id", "digitallabor_stop", ["municipality_id"])
    op.create_index("ix_digitallabor_stop_date", "digitallabor_stop", ["date"])


def downgrade() -> None:
    op.drop_index("ix_digitallabor_stop_date", "digitallabor_stop")
    op.drop_index("ix_digitallabor_stop_municipality_id", "digitallabor_stop")
    op.drop_table("digitallabor_stop")
