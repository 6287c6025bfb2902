"""Bürgerportal: merge the saved-plans/Kita-expiry (0005–0006) and service-draft (0007) branches

Revision ID: buergerportal0008
Revises: buergerportal0006, buergerportal0007
Create Date: 2026-11-27
"""

revision = "buergerportal0008"
down_revision = ("buergerportal0006", "buergerportal0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
