"""WinterSMART: winter-service depots

Revision ID: wintersmart0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "wintersmart0001"
down_revision = None
branch_labels = ("wintersmart",)
depends_on = "core0001"


def upgrade() -> None:
    op.create_table(
        "wintersmart_depot",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("salt_capacity_t", sa.Float(), nullable=True),
        sa.UniqueConstraint("municipality_id", "name", name="uq_wintersmart_depot_name"),
    )
    op.create_index("ix_wintersmart_depot_municipality_id", "wintersmart_depot", ["municipality_id"])


def downgrade() -> None:
    op.drop_index("ix_wintersmart_depot_municipality_id", "wintersmart_depot")
    op.drop_table("wintersmart_depot")
