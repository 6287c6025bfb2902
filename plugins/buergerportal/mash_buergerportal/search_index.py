"""Keeps the search index (``buergerportal_search_doc``; FTS5/tsvector follow by trigger or
generated column) in sync with services, life situations, offices and help entries.

An ``after_flush`` listener sees every insert, update and delete of those rows, whichever code
made it (editor, import, demo, another module editing offices), and rewrites their documents in
the same transaction. Only published services and life situations and verified help entries are
indexed. The writes go through the flush's connection with the row's own ``municipality_id``.
"""

from __future__ import annotations

from sqlalchemy import and_, event
from sqlalchemy.orm import Session as OrmSession

from .catalogue_models import PUBLISHED, HelpEntry, LifeSituation, SearchDoc, Service
from .models import Office
from .richtext import plain
from .textsearch import index_text

KINDS = {Service: "service", LifeSituation: "life_situation", Office: "office", HelpEntry: "help"}


def _join(*parts) -> str:
    out = []
    for part in parts:
        if isinstance(part, (list, tuple)):
            out += [p.get("name", "") if isinstance(p, dict) else str(p) for p in part]
        elif part:
            out.append(str(part))
    return " · ".join(p for p in out if p)


def document(obj) -> dict | None:
    """The index row of ``obj``, or None when it must not be found."""
    kind = KINDS.get(type(obj))
    if kind == "service":
        if obj.status != PUBLISHED:
            return None
        title, slug, terms = obj.name, obj.slug, _join(obj.synonyms)
        body = _join(obj.teaser, plain(obj.description), obj.prerequisites, obj.documents, obj.procedure,
                     obj.deadlines, obj.costs, obj.responsible, obj.legal, obj.forms)
    elif kind == "life_situation":
        if obj.status != PUBLISHED:
            return None
        title, slug, terms, body = obj.title, obj.slug, "", plain(obj.summary)
    elif kind == "office":
        title, slug, terms = obj.name, "", ""
        body = _join(obj.address, obj.opening_hours, obj.phone, obj.accessibility)
    elif kind == "help":
        if obj.status != "verified":
            return None
        title, slug, terms = obj.name, obj.slug, ""
        body = _join(obj.description, obj.number, obj.alt_number, obj.hours, obj.languages, obj.address)
    else:
        return None
    return {"municipality_id": obj.municipality_id, "kind": kind, "ref_id": obj.id, "slug": slug or "",
            "title": title, "body": body, "terms": terms,
            "title_idx": index_text(f"{title} {terms}"), "body_idx": index_text(body),
            "scope": f"m{obj.municipality_id}"}


def _after_flush(session, flush_context) -> None:
    new = [o for o in session.new if type(o) in KINDS]
    dirty = [o for o in session.dirty if type(o) in KINDS]
    deleted = [o for o in session.deleted if type(o) in KINDS]
    if not new and not dirty and not deleted:
        return
    changed = new + dirty
    table = SearchDoc.__table__
    conn = session.connection()
    stale = [(o.municipality_id, KINDS[type(o)], o.id) for o in dirty + deleted if o.id is not None]
    for mid, kind, ref_id in stale:
        conn.execute(table.delete().where(and_(table.c.municipality_id == mid, table.c.kind == kind,
                                               table.c.ref_id == ref_id)))
    rows = [doc for doc in (document(o) for o in changed) if doc is not None]
    if rows:
        conn.execute(table.insert(), rows)


def install() -> None:
    if not event.contains(OrmSession, "after_flush", _after_flush):
        event.listen(OrmSession, "after_flush", _after_flush)


def reindex_all(session) -> int:
    """Rebuild the current municipality's documents (e.g. after an upgrade); returns the count."""
    from mash_core.api import select

    from .search_sql import delete_documents
    delete_documents(session)
    rows = []
    for model in KINDS:
        for obj in session.exec(select(model)).all():
            doc = document(obj)
            if doc:
                rows.append(doc)
    if rows:
        session.connection().execute(SearchDoc.__table__.insert(), rows)
    return len(rows)


install()
