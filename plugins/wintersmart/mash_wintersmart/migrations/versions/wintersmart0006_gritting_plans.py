"""WinterSMART: stored gritting plans (capacitated arc routing)

Revision ID: wintersmart0006
Revises: wintersmart0005
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "wintersmart0006"
down_revision = "wintersmart0005"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "wintersmart_gritting_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("silo_id", sa.Integer(), sa.ForeignKey("wintersmart_container.id"), nullable=True),
        sa.Column("solver", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("cost_m", sa.Integer(), nullable=False),
        sa.Column("salt_kg", sa.Float(), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("network", sa.JSON(), nullable=False),
        sa.Column("runtime_s", sa.Float(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_wintersmart_gritting_plan_municipality_id", "wintersmart_gritting_plan",
                    ["municipality_id"])


def downgrade() -> None:
    op.drop_table("wintersmart_gritting_plan")
