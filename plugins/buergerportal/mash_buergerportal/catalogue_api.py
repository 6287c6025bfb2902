"""REST API of the catalogue, the search (as you type) and the help directory."""

from __future__ import annotations

from flask import request, url_for

from mash_core.api import audit, db_session, public, require_permission, select

from . import catalogue, help as helpdir, search
from .api import blp
from .catalogue_models import PUBLISHED, Service


def _hit_url(hit) -> str:
    from .catalogue_views import hit_url
    return hit_url(hit)


@blp.route("/catalogue/schema.json")
@public
def catalogue_schema():
    """The JSON Schema (draft 2020-12) of the catalogue's import and export format."""
    return catalogue.SCHEMA, 200, {"Content-Type": "application/schema+json",
                                   "Cache-Control": "public, max-age=3600"}


@blp.route("/catalogue")
@require_permission("buergerportal.edit")
def catalogue_export():
    """The whole catalogue of the municipality in the published format: unpublished services
    included, published services with their published text (a draft revision of a published
    service is not exported)."""
    return catalogue.export(), 200, {"Cache-Control": "no-store"}


@blp.route("/catalogue", methods=["POST"])
@require_permission("buergerportal.edit")
def catalogue_import():
    """Import a catalogue document. Answers 200 with the report (``rejected`` lists every
    record that was not imported, with ``section``, ``index``, ``key`` and ``reason``)."""
    data = request.get_json(silent=True)
    report = catalogue.import_catalogue(data)
    audit("buergerportal.catalogue.import", created=report.created, updated=report.updated,
          rejected=len(report.rejected))
    db_session().commit()
    return report.to_dict(), 200


@blp.route("/search")
@public
def catalogue_search():
    """Full-text search as you type: ``?q=`` (the last word counts as a prefix) and ``limit``
    (1–20, default 8). Each result has ``kind`` (service, life_situation, office, help), ``title``
    and ``snippet`` as HTML (escaped, matches in ``<mark>``), ``url`` and ``score``."""
    q = request.args.get("q", "")
    try:
        limit = max(1, min(20, int(request.args.get("limit", 8))))
    except ValueError:
        limit = 8
    hits = search.search(q, limit=limit)
    return {"q": q[:search.MAX_QUERY], "results": [{**h.to_dict(), "url": _hit_url(h)} for h in hits]}, 200


@blp.route("/services")
@public
def services_list():
    """Published services by name."""
    rows = db_session().exec(select(Service).where(Service.status == PUBLISHED).order_by(Service.name)).all()
    return [{"slug": s.slug, "name": s.name, "teaser": s.teaser, "leika_key": s.leika_key,
             "url": url_for("buergerportal.service", slug=s.slug)} for s in rows]


def _entry(e) -> dict:
    return {"slug": e.slug, "name": e.name, "category": e.category, "number": e.number,
            "tel_uri": catalogue.tel_uri(e.number), "alt_number": e.alt_number or None,
            "alt_tel_uri": catalogue.tel_uri(e.alt_number) or None, "hours": e.hours,
            "free_of_charge": e.free_of_charge, "languages": e.languages, "region": e.region,
            "description": e.description, "source": e.source,
            "last_verified": e.last_verified.isoformat() if e.last_verified else None}


@blp.route("/help")
@public
def help_list():
    """The verified help directory; the entry "Lebensgefahr: 112" is always first."""
    return [_entry(e) for e in helpdir.directory()]


@blp.route("/help/finder")
@public
def help_finder():
    """"Wer hilft bei …?": ``?q=`` plain words → matching topics and contacts (112 first)."""
    topics, entries = helpdir.find(request.args.get("q", "")[:100])
    return {"topics": [{"slug": t.slug, "title": t.title} for t in topics], "entries": [_entry(e) for e in entries]}
