"""The only raw SQL of the plugin: full-text queries on the search index.

SECURITY: the core's tenant guard scopes ORM statements only; it does not see ``text(...)`` nor
the DB-API cursor used for SQLite below. Every statement here therefore carries an explicit
``d.municipality_id = :mid`` condition, and callers pass the current municipality. Do not add raw
SQL anywhere else.

* SQLite: FTS5 table ``buergerportal_search_fts`` over the stemmed columns (see migration 0002;
  prefix indexes for 2 to 10 characters since 0009, as every query word is a prefix query),
  ranked by ``bm25`` with the title/synonyms weighted 10:1 against the body. The join restricts
  the matches to ``d.municipality_id`` (the ``scope`` token is not part of the MATCH: see
  ``_MATCHES``). Each statement ranks first, reading only ``d.kind`` per match, and reads title
  and body of the top rows only.
* PostgreSQL: the generated ``tsv`` column (``to_tsvector('german', …)``), ranked by ``ts_rank_cd``.

A search runs at most two SQLite statements (title tier, anywhere tier), on the DB-API cursor of
the session's connection (same transaction): see ``bench/search.py`` for the latency they keep."""

from __future__ import annotations

import re

from sqlalchemy import delete, text

from .catalogue_models import SearchDoc
from .textsearch import typed_stems

COLUMNS = "d.id, d.kind, d.ref_id, d.slug, d.title, d.body"
#: services first, then life situations, help entries and offices, at equal text relevance
BOOST = ("(CASE d.kind WHEN 'service' THEN 1.5 WHEN 'life_situation' THEN 1.25 WHEN 'help' THEN 1.0 "
         "ELSE 0.8 END)")

FTS = "buergerportal_search_fts"
#: BM25 with the title/synonyms weighted 10:1 against the body (the scope column does not count)
_RANK = f"bm25({FTS}, 10.0, 1.0, 0.0) * {BOOST}"
#: the municipality's matches. The scope token is deliberately not part of the MATCH: bm25 counts
#: the documents of every phrase of the query, so ``scope : "m1"`` would cost a pass over all
#: documents of the municipality on every search, for a score it does not change (weight 0.0;
#: the IDF is over the whole table either way). ``d.municipality_id`` restricts the rows instead,
#: before any LIMIT. CROSS JOIN keeps the FTS table the outer loop (SQLite: fixed join order).
_MATCHES = (f"FROM {FTS} CROSS JOIN buergerportal_search_doc d ON d.id = {FTS}.rowid "
            f"WHERE {FTS} MATCH :q AND d.municipality_id = :mid")
#: rank first (only ``d.kind`` is read per match), then read title and body of the top rows only
_TOP = (f"SELECT {COLUMNS}, r.score FROM ({{ranked}}) r "
        "JOIN buergerportal_search_doc d ON d.id = r.id AND d.municipality_id = :mid ORDER BY r.score, r.id")

#: title tier: every document whose title or synonyms match, ranked
_SQLITE_TITLE = _TOP.format(ranked=f"SELECT d.id AS id, {_RANK} AS score {_MATCHES} ORDER BY score, d.id LIMIT :limit")
#: anywhere tier: the first CANDIDATES matches (rowid order, which FTS5 yields without sorting),
#: ranked — ranking every one of thousands of matches of a very common word would cost tens of ms
_SQLITE_ANY = _TOP.format(ranked=f"SELECT id, score FROM (SELECT d.id AS id, {_RANK} AS score {_MATCHES} "
                                 f"ORDER BY {FTS}.rowid LIMIT :candidates) ORDER BY score, id LIMIT :limit")
CANDIDATES = 400

_POSTGRES = text(
    f"SELECT {COLUMNS}, ts_rank_cd(d.tsv, q, 1) * {BOOST} AS score "
    "FROM buergerportal_search_doc d, to_tsquery('german', :q) q "
    "WHERE d.municipality_id = :mid AND d.tsv @@ q "
    "ORDER BY score DESC, d.id LIMIT :limit")


def _quote(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _sqlite_query(terms, raw, any_term: bool) -> str:
    parts = []
    for i, (stemmed, folded) in enumerate(terms):
        if i == len(terms) - 1:
            # "antrag"* already covers "antrage"*: only add the folded form when it differs
            options = {f"{_quote(stemmed)}*"} if folded.startswith(stemmed) else {f"{_quote(stemmed)}*",
                                                                                  f"{_quote(folded)}*"}
            # whole stems only (no *): one doclist each, and no stem that merely begins the same way
            options.update(_quote(t) for t in typed_stems(folded) if not t.startswith(stemmed))
            parts.append("(" + " OR ".join(sorted(options)) + ")")
        else:
            parts.append(_quote(stemmed))
    return (" OR " if any_term else " AND ").join(parts)


def _pg_query(terms, raw, any_term: bool) -> str:
    words = ["".join(c for c in w.lower() if c.isalnum()) for w in raw]
    words = [w for w in words if w]
    if not words:
        return ""
    last = words[-1]
    parts = words[:-1] + ["(" + " | ".join([last + ":*"] + typed_stems(last)) + ")"]
    return (" | " if any_term else " & ").join(parts)


_FIELDS = ("id", "kind", "ref_id", "slug", "title", "body", "score")


def _sqlite_rows(session, sql: str, params: dict) -> list[dict]:
    # straight on the DB-API cursor of the session's connection (same transaction): for these
    # millisecond queries SQLAlchemy's statement handling would be a noticeable share of the time
    cursor = session.connection().connection.cursor()
    try:
        return [dict(zip(_FIELDS, row)) for row in cursor.execute(sql, params)]
    finally:
        cursor.close()


#: the tokens of the ``scope`` column ("m1", "m2", …) and every prefix of one
_SCOPE_LIKE = re.compile(r"m\d*")


def _anywhere(match: str, terms) -> str:
    """The MATCH of the anywhere tier: title and body. Without a column filter when no term can
    be (a prefix of) a scope token — the same matches and the same bm25, but FTS5 does not have to
    filter the positions of every hit of a common word by column (about a fifth of the time)."""
    if any(_SCOPE_LIKE.fullmatch(form) for term in terms for form in term):
        return f"{{title_idx body_idx}} : ({match})"
    return match


def _sqlite_search(session, mid: int, terms, any_term: bool, limit: int) -> list[dict]:
    """Two tiers: documents whose title or synonyms match, ranked by BM25; then, when fewer than
    ``limit``, documents matching anywhere, ranked by BM25 among the first ``CANDIDATES`` matches."""
    mid, match = int(mid), _sqlite_query(terms, None, any_term)
    rows = _sqlite_rows(session, _SQLITE_TITLE, {"q": f"{{title_idx}} : ({match})", "mid": mid, "limit": limit})
    if len(rows) >= limit:
        return rows
    seen = {r["id"] for r in rows}
    more = _sqlite_rows(session, _SQLITE_ANY, {"q": _anywhere(match, terms), "mid": mid,
                                               "candidates": CANDIDATES, "limit": limit + len(rows)})
    rows += [r for r in more if r["id"] not in seen]
    return rows[:limit]


def search(session, mid: int, terms: list[tuple[str, str]], raw: list[str], limit: int,
           any_term: bool = False) -> list[dict]:
    """Ranked rows of municipality ``mid`` matching all (or, with ``any_term``, any) terms."""
    if not terms or mid is None:
        return []
    if session.get_bind().dialect.name == "postgresql":
        query = _pg_query(terms, raw, any_term)
        if not query:
            return []
        result = session.execute(_POSTGRES, {"q": query, "mid": mid, "limit": limit})
        return [dict(row._mapping) for row in result]
    return _sqlite_search(session, mid, terms, any_term, limit)


def delete_documents(session) -> None:
    """Remove the current municipality's documents (ORM statement: scoped by the tenant guard)."""
    session.execute(delete(SearchDoc))
