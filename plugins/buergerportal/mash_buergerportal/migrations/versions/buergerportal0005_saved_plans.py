"""Bürgerportal: plans of the assistant "Geburt eines Kindes" saved to a citizen's account

Revision ID: buergerportal0005
Revises: buergerportal0004
Create Date: 2026-12-01

Only the answers of the questionnaire are stored (JSON), with the citizen's label and the date;
the plan is recomputed from them whenever it is opened.
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0005"
down_revision = "buergerportal0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buergerportal_saved_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_buergerportal_saved_plan_municipality_id", "buergerportal_saved_plan", ["municipality_id"])
    op.create_index("ix_buergerportal_saved_plan_user_id", "buergerportal_saved_plan", ["user_id"])


def downgrade() -> None:
    op.drop_table("buergerportal_saved_plan")
