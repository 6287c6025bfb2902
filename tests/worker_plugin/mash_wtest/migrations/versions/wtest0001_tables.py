"""worker test plugin: observations, ticks, handled events

Revision ID: wtest0001
Revises:
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa

revision = "wtest0001"
down_revision = None
branch_labels = ("wtest",)
depends_on = "core0002"


def upgrade() -> None:
    op.create_table(
        "wtest_obs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("sensor", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("stored_at", sa.Float(), nullable=False),
        sa.UniqueConstraint("municipality_id", "sensor", "seq"),
    )
    op.create_index("ix_wtest_obs_municipality_id", "wtest_obs", ["municipality_id"])
    op.create_table(
        "wtest_tick",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_wtest_tick_municipality_id", "wtest_tick", ["municipality_id"])
    op.create_table(
        "wtest_event_seen",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("payload", sa.String(2000), nullable=False),
    )
    op.create_index("ix_wtest_event_seen_municipality_id", "wtest_event_seen", ["municipality_id"])


def downgrade() -> None:
    op.drop_table("wtest_event_seen")
    op.drop_table("wtest_tick")
    op.drop_table("wtest_obs")
