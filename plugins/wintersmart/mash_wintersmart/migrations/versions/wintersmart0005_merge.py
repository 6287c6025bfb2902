"""Merge the warnings/signs and grit bins/road network lines of the WinterSMART branch

Revision ID: wintersmart0005
Revises: wintersmart0003, wintersmart0004
Create Date: 2026-11-27
"""

revision = "wintersmart0005"
down_revision = ("wintersmart0003", "wintersmart0004")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
