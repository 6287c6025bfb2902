"""The only raw SQL of the plugin: full-text queries on the search index.

SECURITY: the core's tenant guard scopes ORM statements only; it does not see ``text(...)``.
Every statement here therefore carries an explicit ``d.municipality_id = :mid`` condition, and
callers pass the current municipality. Do not add raw SQL anywhere else.

* SQLite: FTS5 table ``buergerportal_search_fts`` over the stemmed columns (see migration 0002),
  ranked by ``bm25`` with the title/synonyms weighted 10:1 against the body; the match itself is
  limited to the municipality by its ``scope`` token, and the join checks ``municipality_id`` again.
* PostgreSQL: the generated ``tsv`` column (``to_tsvector('german', …)``), ranked by ``ts_rank_cd``.
"""

from __future__ import annotations

from sqlalchemy import delete, text

from .catalogue_models import SearchDoc

COLUMNS = "d.id, d.kind, d.ref_id, d.slug, d.title, d.body"
#: services first, then life situations, help entries and offices, at equal text relevance
BOOST = ("(CASE d.kind WHEN 'service' THEN 1.5 WHEN 'life_situation' THEN 1.25 WHEN 'help' THEN 1.0 "
         "ELSE 0.8 END)")

_SQLITE = text(
    f"SELECT {COLUMNS}, bm25(buergerportal_search_fts, 10.0, 1.0, 0.0) * {BOOST} AS score "
    "FROM buergerportal_search_fts JOIN buergerportal_search_doc d ON d.id = buergerportal_search_fts.rowid "
    "WHERE buergerportal_search_fts MATCH :q AND buergerportal_search_fts.rowid <= :bound "
    "AND d.municipality_id = :mid "
    "ORDER BY score LIMIT :limit")

#: the rowid of the CANDIDATES-th match: bounds the ranking work for very common words
_BOUND = text("SELECT rowid FROM buergerportal_search_fts WHERE buergerportal_search_fts MATCH :q "
              "ORDER BY rowid LIMIT 1 OFFSET :offset")
CANDIDATES = 400
NO_BOUND = 2 ** 62

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
            parts.append("(" + " OR ".join(sorted(options)) + ")")
        else:
            parts.append(_quote(stemmed))
    return (" OR " if any_term else " AND ").join(parts)


def _pg_query(terms, raw, any_term: bool) -> str:
    words = ["".join(c for c in w.lower() if c.isalnum()) for w in raw]
    words = [w for w in words if w]
    if not words:
        return ""
    parts = words[:-1] + [words[-1] + ":*"]
    return (" | " if any_term else " & ").join(parts)


def _sqlite_search(session, mid: int, match: str, limit: int) -> list[dict]:
    """Two tiers: documents whose title or synonyms match, ranked by BM25; then, when fewer than
    ``limit``, documents matching anywhere, ranked by BM25 among the first ``CANDIDATES`` matches
    (ranking every one of thousands of matches of a very common word would cost tens of ms)."""
    scope = f'scope : "m{int(mid)}"'
    rows = [dict(r._mapping) for r in session.execute(_SQLITE, {
        "q": f"{scope} AND {{title_idx}} : ({match})", "mid": mid, "bound": NO_BOUND, "limit": limit})]
    if len(rows) >= limit:
        return rows
    query = f"{scope} AND {{title_idx body_idx}} : ({match})"
    bound = session.execute(_BOUND, {"q": query, "offset": CANDIDATES - 1}).scalar()
    seen = {r["id"] for r in rows}
    more = session.execute(_SQLITE, {"q": query, "mid": mid, "bound": bound or NO_BOUND, "limit": limit + len(rows)})
    rows += [r for r in (dict(x._mapping) for x in more) if r["id"] not in seen]
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
    return _sqlite_search(session, mid, _sqlite_query(terms, raw, any_term), limit)


def delete_documents(session) -> None:
    """Remove the current municipality's documents (ORM statement: scoped by the tenant guard)."""
    session.execute(delete(SearchDoc))
