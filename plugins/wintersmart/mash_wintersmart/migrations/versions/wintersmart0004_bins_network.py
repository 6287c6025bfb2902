"""WinterSMART: grit bins and salt silos (containers, fill readings, alerts, refill plans); OSM
highway value of road segments

Revision ID: wintersmart0004
Revises: wintersmart0002
Create Date: 2026-11-28
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel

revision = "wintersmart0004"
down_revision = "wintersmart0002"
branch_labels = None
depends_on = None

UTC = sqlmodel.sql.sqltypes.UTCDateTime


def _tenant() -> sa.Column:
    return sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True)


def upgrade() -> None:
    with op.batch_alter_table("wintersmart_road_segment") as batch:
        batch.add_column(sa.Column("highway", sa.String(40), nullable=True))

    op.create_table(
        "wintersmart_container",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("depot_id", sa.Integer(), sa.ForeignKey("wintersmart_depot.id"), nullable=True),
        sa.Column("road_segment_id", sa.Integer(), sa.ForeignKey("wintersmart_road_segment.id"), nullable=True),
        sa.Column("thing_id", sa.Integer(), sa.ForeignKey("wintersmart_thing.id"), nullable=True),
        sa.Column("shape", sa.String(20), nullable=False),
        sa.Column("d_empty_mm", sa.Float(), nullable=False),
        sa.Column("d_full_mm", sa.Float(), nullable=False),
        sa.Column("length_mm", sa.Float(), nullable=True),
        sa.Column("width_mm", sa.Float(), nullable=True),
        sa.Column("diameter_mm", sa.Float(), nullable=True),
        sa.Column("cone_height_mm", sa.Float(), nullable=True),
        sa.Column("outlet_diameter_mm", sa.Float(), nullable=True),
        sa.Column("capacity_kg", sa.Float(), nullable=True),
        sa.Column("bulk_density_kg_m3", sa.Float(), nullable=False),
        sa.Column("low_threshold_pct", sa.Float(), nullable=True),
        sa.Column("fill", sa.Float(), nullable=True),
        sa.Column("level_kg", sa.Float(), nullable=True),
        sa.Column("reading_at", UTC(), nullable=True),
        sa.Column("consumption_kg_per_day", sa.Float(), nullable=True),
        sa.Column("forecast_low_at", UTC(), nullable=True),
        sa.Column("forecast_empty_at", UTC(), nullable=True),
        sa.Column("alert_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.UniqueConstraint("municipality_id", "key", name="uq_wintersmart_container_key"),
    )
    op.create_index("ix_wintersmart_container_municipality_id", "wintersmart_container", ["municipality_id"])
    op.create_index("ix_wintersmart_container_thing_id", "wintersmart_container", ["thing_id"])

    op.create_table(
        "wintersmart_fill_reading",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("container_id", sa.Integer(), sa.ForeignKey("wintersmart_container.id"), nullable=False),
        sa.Column("time", UTC(), nullable=False),
        sa.Column("distance_mm", sa.Float(), nullable=False),
        sa.Column("median_mm", sa.Float(), nullable=False),
        sa.Column("height_mm", sa.Float(), nullable=False),
        sa.Column("fill", sa.Float(), nullable=False),
        sa.Column("level_kg", sa.Float(), nullable=True),
        sa.Column("n_median", sa.Integer(), nullable=False),
        sa.UniqueConstraint("container_id", "time", name="uq_wintersmart_fill_reading_time"),
    )
    op.create_index("ix_wintersmart_fill_reading_municipality_id", "wintersmart_fill_reading", ["municipality_id"])
    op.create_index("ix_wintersmart_fill_reading_container_id", "wintersmart_fill_reading", ["container_id"])

    op.create_table(
        "wintersmart_container_alert",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("container_id", sa.Integer(), sa.ForeignKey("wintersmart_container.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("reading_at", UTC(), nullable=True),
        sa.Column("fill", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("forecast_empty_at", UTC(), nullable=True),
        sa.Column("cleared_at", UTC(), nullable=True),
    )
    op.create_index("ix_wintersmart_container_alert_municipality_id", "wintersmart_container_alert",
                    ["municipality_id"])
    op.create_index("ix_wintersmart_container_alert_container_id", "wintersmart_container_alert", ["container_id"])

    op.create_table(
        "wintersmart_refill_plan",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("silo_id", sa.Integer(), sa.ForeignKey("wintersmart_container.id"), nullable=True),
        sa.Column("solver", sa.String(40), nullable=False),
        sa.Column("vehicle_capacity_kg", sa.Float(), nullable=False),
        sa.Column("num_vehicles", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("routes", sa.JSON(), nullable=False),
        sa.Column("skipped", sa.JSON(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("uncollected_prize", sa.Float(), nullable=False),
        sa.Column("runtime_s", sa.Float(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
    )
    op.create_index("ix_wintersmart_refill_plan_municipality_id", "wintersmart_refill_plan", ["municipality_id"])


def downgrade() -> None:
    op.drop_table("wintersmart_refill_plan")
    op.drop_table("wintersmart_container_alert")
    op.drop_table("wintersmart_fill_reading")
    op.drop_table("wintersmart_container")
    with op.batch_alter_table("wintersmart_road_segment") as batch:
        batch.drop_column("highway")
