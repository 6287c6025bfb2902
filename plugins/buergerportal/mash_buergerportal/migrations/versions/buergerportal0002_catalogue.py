"""Bürgerportal: service catalogue, life situations, help directory, search index, usage counters

Revision ID: buergerportal0002
Revises: buergerportal0001
Create Date: 2026-11-28

The full-text index is backend specific and therefore raw SQL:

* SQLite: an FTS5 table ``buergerportal_search_fts`` with external content
  (``buergerportal_search_doc``), kept in sync by triggers; its ``scope`` column holds the token
  ``m<municipality_id>``, so that the match itself is limited to one municipality;
* PostgreSQL: a generated ``tsvector`` column ``tsv`` (``to_tsvector('german', …)``, title and
  synonyms weighted A, body B) with a GIN index.
"""
from alembic import op
import sqlalchemy as sa

revision = "buergerportal0002"
down_revision = "buergerportal0001"
branch_labels = None
depends_on = None


def _tenant():
    return sa.Column("municipality_id", sa.Integer(), sa.ForeignKey("core_municipality.id"), nullable=True)


def upgrade() -> None:
    op.create_table(
        "buergerportal_service",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("leika_key", sa.String(20), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("teaser", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("prerequisites", sa.JSON(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("procedure", sa.Text(), nullable=False),
        sa.Column("deadlines", sa.String(1000), nullable=False),
        sa.Column("processing_time", sa.String(300), nullable=False),
        sa.Column("costs", sa.String(500), nullable=False),
        sa.Column("legal", sa.JSON(), nullable=False),
        sa.Column("office_id", sa.Integer(), sa.ForeignKey("buergerportal_office.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("responsible", sa.String(300), nullable=False),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("online_service_url", sa.String(500), nullable=False),
        sa.Column("appointment_url", sa.String(500), nullable=False),
        sa.Column("synonyms", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_service_slug"),
    )
    op.create_index("ix_buergerportal_service_municipality_id", "buergerportal_service", ["municipality_id"])

    op.create_table(
        "buergerportal_life_situation",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("parent_id", sa.Integer(), sa.ForeignKey("buergerportal_life_situation.id", ondelete="SET NULL"),
                  nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_life_situation_slug"),
    )
    op.create_index("ix_buergerportal_life_situation_municipality_id", "buergerportal_life_situation",
                    ["municipality_id"])

    op.create_table(
        "buergerportal_life_situation_service",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("life_situation_id", sa.Integer(),
                  sa.ForeignKey("buergerportal_life_situation.id", ondelete="CASCADE"), nullable=False),
        sa.Column("service_id", sa.Integer(), sa.ForeignKey("buergerportal_service.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("life_situation_id", "service_id", name="uq_buergerportal_lss"),
    )
    op.create_index("ix_buergerportal_life_situation_service_municipality_id",
                    "buergerportal_life_situation_service", ["municipality_id"])

    op.create_table(
        "buergerportal_help_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("category", sa.String(30), nullable=False),
        sa.Column("description", sa.String(1000), nullable=False),
        sa.Column("number", sa.String(50), nullable=False),
        sa.Column("alt_number", sa.String(50), nullable=False),
        sa.Column("hours", sa.String(300), nullable=False),
        sa.Column("free_of_charge", sa.Boolean(), nullable=True),
        sa.Column("languages", sa.String(300), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("website", sa.String(500), nullable=False),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("last_verified", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_help_entry_slug"),
    )
    op.create_index("ix_buergerportal_help_entry_municipality_id", "buergerportal_help_entry", ["municipality_id"])

    op.create_table(
        "buergerportal_help_topic",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("entries", sa.JSON(), nullable=False),
        sa.UniqueConstraint("municipality_id", "slug", name="uq_buergerportal_help_topic_slug"),
    )
    op.create_index("ix_buergerportal_help_topic_municipality_id", "buergerportal_help_topic", ["municipality_id"])

    op.create_table(
        "buergerportal_search_doc",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(120), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("title_idx", sa.Text(), nullable=False),
        sa.Column("body_idx", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(20), nullable=False),
        sa.UniqueConstraint("municipality_id", "kind", "ref_id", name="uq_buergerportal_search_doc"),
    )
    op.create_index("ix_buergerportal_search_doc_municipality_id", "buergerportal_search_doc", ["municipality_id"])

    op.create_table(
        "buergerportal_usage",
        sa.Column("id", sa.Integer(), primary_key=True),
        _tenant(),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.UniqueConstraint("municipality_id", "kind", "key", "day", name="uq_buergerportal_usage"),
    )
    op.create_index("ix_buergerportal_usage_municipality_id", "buergerportal_usage", ["municipality_id"])

    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE buergerportal_search_fts USING fts5("
                   "title_idx, body_idx, scope, content='buergerportal_search_doc', content_rowid='id', "
                   "tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')")
        op.execute("CREATE TRIGGER buergerportal_search_doc_ai AFTER INSERT ON buergerportal_search_doc BEGIN "
                   "INSERT INTO buergerportal_search_fts(rowid, title_idx, body_idx, scope) "
                   "VALUES (new.id, new.title_idx, new.body_idx, new.scope); END")
        op.execute("CREATE TRIGGER buergerportal_search_doc_ad AFTER DELETE ON buergerportal_search_doc BEGIN "
                   "INSERT INTO buergerportal_search_fts(buergerportal_search_fts, rowid, title_idx, body_idx, scope) "
                   "VALUES ('delete', old.id, old.title_idx, old.body_idx, old.scope); END")
        op.execute("CREATE TRIGGER buergerportal_search_doc_au AFTER UPDATE ON buergerportal_search_doc BEGIN "
                   "INSERT INTO buergerportal_search_fts(buergerportal_search_fts, rowid, title_idx, body_idx, scope) "
                   "VALUES ('delete', old.id, old.title_idx, old.body_idx, old.scope); "
                   "INSERT INTO buergerportal_search_fts(rowid, title_idx, body_idx, scope) "
                   "VALUES (new.id, new.title_idx, new.body_idx, new.scope); END")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE buergerportal_search_doc ADD COLUMN tsv tsvector GENERATED ALWAYS AS ("
                   "setweight(to_tsvector('german', coalesce(title, '') || ' ' || coalesce(terms, '')), 'A') || "
                   "setweight(to_tsvector('german', coalesce(body, '')), 'B')) STORED")
        op.execute("CREATE INDEX ix_buergerportal_search_doc_tsv ON buergerportal_search_doc USING GIN (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS buergerportal_search_doc_{trigger}")
        op.execute("DROP TABLE IF EXISTS buergerportal_search_fts")
    for table in ("buergerportal_usage", "buergerportal_search_doc", "buergerportal_help_topic",
                  "buergerportal_help_entry", "buergerportal_life_situation_service",
                  "buergerportal_life_situation", "buergerportal_service"):
        op.drop_index(f"ix_{table}_municipality_id", table)
        op.drop_table(table)
