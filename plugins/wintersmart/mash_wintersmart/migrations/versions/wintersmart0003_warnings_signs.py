"""WinterSMART: warnings per road segment (with history), signs, sign commands, manual overrides

Revision ID: wintersmart0003
Revises: wintersmart0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "wintersmart0003"
down_revision = "wintersmart0002"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def _tenant() -> sa.Column:
    return sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "wintersmart_warning",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("road_segment_id", sa.Integer(), sa.ForeignKey("wintersmart_road_segment.id"), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("valid_from", UTC(), nullable=False),
        sa.Column("valid_until", UTC(), nullable=True),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("previous_id", sa.Integer(), sa.ForeignKey("wintersmart_warning.id"), nullable=True),
        sa.Column("notified_at", UTC(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_wintersmart_warning_municipality_id", "wintersmart_warning", ["municipality_id"])
    op.create_index("ix_wintersmart_warning_segment_from", "wintersmart_warning", ["road_segment_id", "valid_from"])

    op.create_table(
        "wintersmart_sign",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("road_segment_id", sa.Integer(), sa.ForeignKey("wintersmart_road_segment.id"), nullable=True),
        sa.Column("min_level", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.UniqueConstraint("municipality_id", "key", name="uq_wintersmart_sign_key"),
    )
    op.create_index("ix_wintersmart_sign_municipality_id", "wintersmart_sign", ["municipality_id"])
    op.create_index("ix_wintersmart_sign_road_segment_id", "wintersmart_sign", ["road_segment_id"])

    op.create_table(
        "wintersmart_sign_command",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("command_id", sa.String(64), nullable=False),
        sa.Column("state_key", sa.String(400), nullable=False),
        sa.Column("sign_id", sa.Integer(), sa.ForeignKey("wintersmart_sign.id"), nullable=False),
        sa.Column("content", sa.String(40), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("driver", sa.String(40), nullable=False),
        sa.Column("issued_at", UTC(), nullable=False),
        sa.Column("valid_until", UTC(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("acked_at", UTC(), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("origin", sa.String(240), nullable=False),
        sa.UniqueConstraint("municipality_id", "command_id", name="uq_wintersmart_sign_command_id"),
    )
    op.create_index("ix_wintersmart_sign_command_municipality_id", "wintersmart_sign_command", ["municipality_id"])
    op.create_index("ix_wintersmart_sign_command_sign", "wintersmart_sign_command", ["sign_id", "issued_at"])

    op.create_table(
        "wintersmart_sign_override",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("sign_id", sa.Integer(), sa.ForeignKey("wintersmart_sign.id"), nullable=False),
        sa.Column("content", sa.String(40), nullable=False),
        sa.Column("text", sa.String(200), nullable=False),
        sa.Column("until", UTC(), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("cleared_at", UTC(), nullable=True),
        sa.Column("cleared_by", sa.String(200), nullable=True),
    )
    op.create_index("ix_wintersmart_sign_override_municipality_id", "wintersmart_sign_override", ["municipality_id"])
    op.create_index("ix_wintersmart_sign_override_sign", "wintersmart_sign_override", ["sign_id", "until"])


def downgrade() -> None:
    op.drop_table("wintersmart_sign_override")
    op.drop_table("wintersmart_sign_command")
    op.drop_table("wintersmart_sign")
    op.drop_table("wintersmart_warning")
