"""Bürgerportal: merge the catalogue (0002) and Kita (0003) branches

Revision ID: buergerportal0004
Revises: buergerportal0002, buergerportal0003
Create Date: 2026-11-28
"""

revision = "buergerportal0004"
down_revision = ("buergerportal0002", "buergerportal0003")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
