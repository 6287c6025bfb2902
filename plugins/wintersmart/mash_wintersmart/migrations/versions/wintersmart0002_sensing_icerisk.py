"""WinterSMART: sensing (road segments, things, datastreams, observations) and ice-risk assessments

Revision ID: wintersmart0002
Revises: wintersmart0001
Create Date: 2026-11-27
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "wintersmart0002"
down_revision = "wintersmart0001"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def _tenant() -> sa.Column:
    return sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "wintersmart_road_segment",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("geometry", sa.Text(), nullable=True),
        sa.Column("is_bridge", sa.Boolean(), nullable=False),
        sa.Column("priority_class", sa.SmallInteger(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=True),
        sa.Column("width_m", sa.Float(), nullable=True),
        sa.Column("osm_way_id", sa.BigInteger(), nullable=True),
        sa.Column("from_node", sa.BigInteger(), nullable=True),
        sa.Column("to_node", sa.BigInteger(), nullable=True),
        sa.Column("oneway", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("municipality_id", "key", name="uq_wintersmart_road_segment_key"),
    )
    op.create_index("ix_wintersmart_road_segment_municipality_id", "wintersmart_road_segment", ["municipality_id"])

    op.create_table(
        "wintersmart_thing",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("road_segment_id", sa.Integer(), sa.ForeignKey("wintersmart_road_segment.id"), nullable=True),
        sa.Column("is_bridge", sa.Boolean(), nullable=False),
        sa.Column("provider", sa.String(40), nullable=True),
        sa.Column("properties", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("last_seen_at", UTC(), nullable=True),
        sa.UniqueConstraint("municipality_id", "key", name="uq_wintersmart_thing_key"),
    )
    op.create_index("ix_wintersmart_thing_municipality_id", "wintersmart_thing", ["municipality_id"])
    op.create_index("ix_wintersmart_thing_road_segment_id", "wintersmart_thing", ["road_segment_id"])

    op.create_table(
        "wintersmart_datastream",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("thing_id", sa.Integer(), sa.ForeignKey("wintersmart_thing.id"), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("observed_property", sa.String(60), nullable=False),
        sa.Column("unit", sa.String(20), nullable=False),
        sa.UniqueConstraint("thing_id", "key", name="uq_wintersmart_datastream_thing_key"),
    )
    op.create_index("ix_wintersmart_datastream_municipality_id", "wintersmart_datastream", ["municipality_id"])
    op.create_index("ix_wintersmart_datastream_thing_id", "wintersmart_datastream", ["thing_id"])

    op.create_table(
        "wintersmart_observation",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("datastream_id", sa.Integer(), sa.ForeignKey("wintersmart_datastream.id"), nullable=False),
        sa.Column("phenomenon_time", UTC(), nullable=False),
        sa.Column("result_time", UTC(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("value_min", sa.Float(), nullable=True),
        sa.Column("value_max", sa.Float(), nullable=True),
        sa.Column("n_values", sa.Integer(), nullable=False),
        sa.Column("aggregate_s", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(32), nullable=True),
        sa.Column("raw_code", sa.String(40), nullable=True),
        sa.Column("quality", sa.SmallInteger(), nullable=False),
        sa.Column("flags", sa.String(200), nullable=True),
        # also the index of every history query: datastream, then time
        sa.UniqueConstraint("datastream_id", "phenomenon_time", name="uq_wintersmart_observation_time"),
    )
    op.create_index("ix_wintersmart_observation_municipality_id", "wintersmart_observation", ["municipality_id"])

    op.create_table(
        "wintersmart_assessment",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("thing_id", sa.Integer(), sa.ForeignKey("wintersmart_thing.id"), nullable=True),
        sa.Column("road_segment_id", sa.Integer(), sa.ForeignKey("wintersmart_road_segment.id"), nullable=True),
        sa.Column("valid_time", UTC(), nullable=False),
        sa.Column("issued_at", UTC(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("raw_level", sa.SmallInteger(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("rst", sa.Float(), nullable=True),
        sa.Column("t_air", sa.Float(), nullable=True),
        sa.Column("rh", sa.Float(), nullable=True),
        sa.Column("dew_point", sa.Float(), nullable=True),
        sa.Column("frost_point", sa.Float(), nullable=True),
        sa.Column("t_crit", sa.Float(), nullable=True),
        sa.Column("water_film_mm", sa.Float(), nullable=True),
        sa.Column("trend_k_per_h", sa.Float(), nullable=True),
        sa.Column("nowcast", sa.JSON(), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("hold", sa.JSON(), nullable=False),
        sa.Column("model_version", sa.String(40), nullable=False),
    )
    op.create_index("ix_wintersmart_assessment_municipality_id", "wintersmart_assessment", ["municipality_id"])
    op.create_index("ix_wintersmart_assessment_thing_time", "wintersmart_assessment", ["thing_id", "valid_time"])
    op.create_index("ix_wintersmart_assessment_segment_time", "wintersmart_assessment",
                    ["road_segment_id", "valid_time"])


def downgrade() -> None:
    op.drop_table("wintersmart_assessment")
    op.drop_table("wintersmart_observation")
    op.drop_table("wintersmart_datastream")
    op.drop_table("wintersmart_thing")
    op.drop_table("wintersmart_road_segment")
