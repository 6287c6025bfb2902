"""Bürgerportal: draft revisions of published services; a website for the Bürgerämter

A published service keeps its live text in ``buergerportal_service`` while an editor works on
its draft in ``buergerportal_service_draft`` (at most one per service).

Revision ID: buergerportal0007
Revises: buergerportal0004
Create Date: 2026-12-02
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0007"
down_revision = "buergerportal0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "buergerportal_service_draft",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("buergerportal_service.id"), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("service_id", name="uq_buergerportal_service_draft_service"),
    )
    op.create_index("ix_buergerportal_service_draft_municipality_id", "buergerportal_service_draft",
                    ["municipality_id"])
    with op.batch_alter_table("buergerportal_office") as batch:
        batch.add_column(sa.Column("website", sa.String(500), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("buergerportal_office") as batch:
        batch.drop_column("website")
    op.drop_index("ix_buergerportal_service_draft_municipality_id", "buergerportal_service_draft")
    op.drop_table("buergerportal_service_draft")
