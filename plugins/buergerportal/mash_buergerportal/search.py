"""The search engine: services, life situations, offices and help entries, ranked, with German
word forms, synonyms (indexed with the title) and highlighted snippets.

``search(q)`` needs an app context with a current municipality. The last word is treated as a
prefix (as you type). When no document has all words, documents with any word are returned.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from mash_core.api import current_municipality_id, db_session

from . import search_sql
from .textsearch import highlight, matcher, query_terms, words

MAX_QUERY = 200
SNIPPET_WORDS = 24


@dataclass
class Hit:
    kind: str
    ref_id: int
    slug: str
    title: Markup
    snippet: Markup
    score: float

    def to_dict(self) -> dict:
        return {"kind": self.kind, "id": self.ref_id, "slug": self.slug, "title": str(self.title),
                "snippet": str(self.snippet), "score": round(float(self.score), 4)}


def search(q: str, limit: int = 10) -> list[Hit]:
    q = (q or "")[:MAX_QUERY]
    terms = query_terms(q)
    if not terms:
        return []
    raw = [w for w in words(q)[:len(terms) + 8] if len(w) >= 2][:len(terms)]
    session, mid = db_session(), current_municipality_id()
    rows = search_sql.search(session, mid, terms, raw, limit)
    if not rows and len(terms) > 1:
        rows = search_sql.search(session, mid, terms, raw, limit, any_term=True)
    match = matcher(terms)
    return [Hit(kind=r["kind"], ref_id=r["ref_id"], slug=r["slug"], title=highlight(r["title"], match),
                snippet=highlight(r["body"], match, window=SNIPPET_WORDS), score=r["score"])
            for r in rows]
