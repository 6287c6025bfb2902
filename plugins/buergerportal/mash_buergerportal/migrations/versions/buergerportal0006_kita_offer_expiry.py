"""Bürgerportal: Kita offers can expire (offer status ``expired``)

Revision ID: buergerportal0006
Revises: buergerportal0005
Create Date: 2026-12-01

The response deadline itself already exists (``buergerportal_kita_offer.deadline``); this
revision only lets the CHECK constraint on the offer status accept ``expired``, which the job
``kita_offers`` sets on offers not answered by the end of their deadline. SQLite cannot alter a
constraint, so there the table is rebuilt (Alembic batch mode); its partial unique indexes are
dropped before and re-created after the rebuild, so that their ``WHERE`` clauses survive.
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0006"
down_revision = "buergerportal0005"
branch_labels = None
depends_on = None

TABLE = "buergerportal_kita_offer"
CHECK = "ck_buergerportal_kita_offer_status"
OLD = "status IN ('offered', 'accepted', 'declined', 'withdrawn')"
NEW = "status IN ('offered', 'accepted', 'declined', 'withdrawn', 'expired')"
PARTIAL = (("uq_buergerportal_kita_offer_accepted", ["registration_id"], "status = 'accepted'"),
           ("uq_buergerportal_kita_offer_open", ["registration_id", "facility_id"],
            "status IN ('offered', 'accepted')"))


def _where(condition: str) -> dict:
    return {"sqlite_where": sa.text(condition), "postgresql_where": sa.text(condition)}


def _replace_check(condition: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(CHECK, TABLE, type_="check")
        op.create_check_constraint(CHECK, TABLE, condition)
        return
    for name, _columns, _condition in PARTIAL:
        op.drop_index(name, table_name=TABLE)
    with op.batch_alter_table(TABLE, recreate="always") as batch:
        batch.drop_constraint(CHECK, type_="check")
        batch.create_check_constraint(CHECK, condition)
    for name, columns, where in PARTIAL:
        op.create_index(name, TABLE, columns, unique=True, **_where(where))


def upgrade() -> None:
    _replace_check(NEW)


def downgrade() -> None:
    op.execute(sa.text(f"UPDATE {TABLE} SET status = 'withdrawn' WHERE status = 'expired'"))
    _replace_check(OLD)
