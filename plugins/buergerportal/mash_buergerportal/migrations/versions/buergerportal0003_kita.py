"""Bürgerportal: Kita search and pre-registration (facilities, children, pre-registrations,
wishes, offers, places per care year)

Revision ID: buergerportal0003
Revises: buergerportal0001
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0003"
down_revision = "buergerportal0001"
branch_labels = None
depends_on = None


def _municipality():
    return sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True)


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def upgrade() -> None:
    op.create_table(
        "buergerportal_kita",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("provider", sa.String(200), nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("district", sa.String(120), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("age_groups", sa.String(100), nullable=False),
        sa.Column("opens_at", sa.String(5), nullable=False),
        sa.Column("closes_at", sa.String(5), nullable=False),
        sa.Column("opening_days", sa.String(100), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("concept", sa.String(1000), nullable=False),
        sa.Column("languages", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(50), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("accessible", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("municipality_id", "name", name="uq_buergerportal_kita_name"),
    )
    op.create_index("ix_buergerportal_kita_municipality_id", "buergerportal_kita", ["municipality_id"])
    op.create_index("ix_buergerportal_kita_district", "buergerportal_kita", ["district"])

    op.create_table(
        "buergerportal_kita_child",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("core_user.id", ondelete="CASCADE"), nullable=False),
        sa.Column("first_name", sa.String(60), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_buergerportal_kita_child_municipality_id", "buergerportal_kita_child", ["municipality_id"])
    op.create_index("ix_buergerportal_kita_child_user_id", "buergerportal_kita_child", ["user_id"])

    op.create_table(
        "buergerportal_kita_registration",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("child_id", sa.Integer(), sa.ForeignKey("buergerportal_kita_child.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("care_year", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('submitted', 'offered', 'accepted', 'withdrawn')",
                           name="ck_buergerportal_kita_registration_status"),
    )
    op.create_index("ix_buergerportal_kita_registration_municipality_id", "buergerportal_kita_registration",
                    ["municipality_id"])
    op.create_index("ix_buergerportal_kita_registration_child_id", "buergerportal_kita_registration", ["child_id"])
    op.create_index("uq_buergerportal_kita_registration_active", "buergerportal_kita_registration",
                    ["child_id", "care_year"], unique=True, **_where("status != 'withdrawn'"))

    op.create_table(
        "buergerportal_kita_wish",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("registration_id", sa.Integer(),
                  sa.ForeignKey("buergerportal_kita_registration.id", ondelete="CASCADE"), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("buergerportal_kita.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.UniqueConstraint("registration_id", "rank", name="uq_buergerportal_kita_wish_rank"),
        sa.UniqueConstraint("registration_id", "facility_id", name="uq_buergerportal_kita_wish_facility"),
        sa.CheckConstraint("rank BETWEEN 1 AND 3", name="ck_buergerportal_kita_wish_rank"),
    )
    op.create_index("ix_buergerportal_kita_wish_municipality_id", "buergerportal_kita_wish", ["municipality_id"])
    op.create_index("ix_buergerportal_kita_wish_registration_id", "buergerportal_kita_wish", ["registration_id"])
    op.create_index("ix_buergerportal_kita_wish_facility_id", "buergerportal_kita_wish", ["facility_id"])

    op.create_table(
        "buergerportal_kita_offer",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("registration_id", sa.Integer(),
                  sa.ForeignKey("buergerportal_kita_registration.id", ondelete="CASCADE"), nullable=False),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("buergerportal_kita.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("care_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("core_user.id", ondelete="SET NULL"), nullable=True),
        sa.CheckConstraint("status IN ('offered', 'accepted', 'declined', 'withdrawn')",
                           name="ck_buergerportal_kita_offer_status"),
    )
    op.create_index("ix_buergerportal_kita_offer_municipality_id", "buergerportal_kita_offer", ["municipality_id"])
    op.create_index("ix_buergerportal_kita_offer_registration_id", "buergerportal_kita_offer", ["registration_id"])
    op.create_index("ix_buergerportal_kita_offer_facility_id", "buergerportal_kita_offer", ["facility_id"])
    op.create_index("uq_buergerportal_kita_offer_accepted", "buergerportal_kita_offer", ["registration_id"],
                    unique=True, **_where("status = 'accepted'"))
    op.create_index("uq_buergerportal_kita_offer_open", "buergerportal_kita_offer",
                    ["registration_id", "facility_id"], unique=True,
                    **_where("status IN ('offered', 'accepted')"))

    op.create_table(
        "buergerportal_kita_quota",
        sa.Column("id", sa.Integer(), primary_key=True),
        _municipality(),
        sa.Column("facility_id", sa.Integer(), sa.ForeignKey("buergerportal_kita.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("care_year", sa.Integer(), nullable=False),
        sa.Column("places", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.UniqueConstraint("facility_id", "care_year", name="uq_buergerportal_kita_quota"),
        sa.CheckConstraint("used >= 0 AND used <= places", name="ck_buergerportal_kita_quota_used"),
    )
    op.create_index("ix_buergerportal_kita_quota_municipality_id", "buergerportal_kita_quota", ["municipality_id"])
    op.create_index("ix_buergerportal_kita_quota_facility_id", "buergerportal_kita_quota", ["facility_id"])


def downgrade() -> None:
    for table in ("buergerportal_kita_quota", "buergerportal_kita_offer", "buergerportal_kita_wish",
                  "buergerportal_kita_registration", "buergerportal_kita_child", "buergerportal_kita"):
        op.drop_table(table)
