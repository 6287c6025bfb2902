"""The catalogue as JSON: the published schema, export and validated import.

Export and import use one document (``format`` = ``mash-buergerportal-catalogue``, ``version`` 1)
with the sections ``offices``, ``services``, ``life_situations``, ``help_entries`` and
``help_topics``. Records are matched by ``slug`` (offices by ``name``) and created or updated.
Each record is checked on its own — against the JSON Schema, then for references (office, parent,
services, entries), duplicates and cycles — and every rejected record is reported with its section,
position, key and reason; the others are imported.

Services are exported as they are saved in ``buergerportal_service``: a published service with its
published (live) text, an unpublished one as it stands. The draft revision of a published service
(``buergerportal_service_draft``, see ``service_drafts``) is neither exported nor touched by an
import: the import updates the live version, and the editor then shows that the draft is older
than the live text (publishing the draft would replace the imported text; discarding it keeps it).

The patterns below (``SLUG``, ``PHONE``, ``URL_PATTERN``, ``EMAIL``) are the ones the editors' forms
use as well (``editor_forms``), so that a value the editor accepts is one the import accepts.
"""

from __future__ import annotations

import re
from datetime import date

from jsonschema import Draft202012Validator

from mash_core.api import db_session, select

from .catalogue_models import (DRAFT, HELP_CATEGORIES, STATES, HelpEntry, HelpTopic, LifeSituation,
                               LifeSituationService, Service, _now)
from .models import Office

FORMAT, VERSION = "mash-buergerportal-catalogue", 1
SLUG = r"^[a-z0-9][a-z0-9-]{0,119}$"
#: a printed telephone number: digits, spaces and + ( ) / -
PHONE = r"^[0-9+ ()/-]*$"
#: an absolute http(s) address (or nothing)
URL_PATTERN = r"^(https?://\S+)?$"
#: an e-mail address (or nothing): one @, no spaces, a dot in the domain
EMAIL = r"^([^@\s]+@[^@\s]+\.[^@\s.]+)?$"
URL = {"type": "string", "maxLength": 500, "pattern": URL_PATTERN}
TEXT = {"type": "string", "maxLength": 20000}
LINKS = {"type": "array", "maxItems": 50, "items": {
    "type": "object", "additionalProperties": False, "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 300}, "link": URL}}}
STRINGS = {"type": "array", "maxItems": 100, "items": {"type": "string", "minLength": 1, "maxLength": 500}}
DATE = {"anyOf": [{"type": "null"}, {"type": "string", "format": "date",
                                     "pattern": r"^\d{4}-\d{2}-\d{2}$"}]}


def _str(n: int, min_length: int = 0) -> dict:
    return {"type": "string", "maxLength": n, "minLength": min_length}


SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "/api/v1/buergerportal/catalogue/schema.json",
    "title": "MAsH Bürgerportal: Leistungskatalog",
    "description": "Services (fields after FIM/XZuFi and the DLDB schema), offices, life situations and the "
                   "help directory of one municipality.",
    "type": "object",
    "required": ["format", "version"],
    "properties": {
        "format": {"const": FORMAT},
        "version": {"const": VERSION},
        "offices": {"type": "array", "items": {"$ref": "#/$defs/office"}},
        "services": {"type": "array", "items": {"$ref": "#/$defs/service"}},
        "life_situations": {"type": "array", "items": {"$ref": "#/$defs/life_situation"}},
        "help_entries": {"type": "array", "items": {"$ref": "#/$defs/help_entry"}},
        "help_topics": {"type": "array", "items": {"$ref": "#/$defs/help_topic"}},
    },
    "$defs": {
        "office": {
            "type": "object", "additionalProperties": False, "required": ["name"],
            "properties": {"name": _str(200, 1), "address": _str(300), "opening_hours": _str(1000),
                           "phone": {"type": "string", "maxLength": 50, "pattern": PHONE},
                           "email": {"type": "string", "maxLength": 254, "pattern": EMAIL},
                           "website": URL, "accessibility": _str(500)}},
        "service": {
            "type": "object", "additionalProperties": False, "required": ["slug", "name"],
            "properties": {
                "slug": {"type": "string", "pattern": SLUG},
                "leika_key": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": r"^\d{14}$"}],
                              "description": "Leistungsschlüssel (referenzLeiKa), 14 digits"},
                "name": _str(200, 1), "teaser": _str(500),
                "description": {**TEXT, "description": "Volltext, Markdown subset"},
                "prerequisites": STRINGS, "documents": STRINGS, "procedure": TEXT,
                "deadlines": _str(1000), "processing_time": _str(300), "costs": _str(500),
                "legal": LINKS, "office": {"anyOf": [{"type": "null"}, _str(200, 1)],
                                           "description": "name of a responsible office"},
                "responsible": _str(300), "forms": LINKS, "online_service_url": URL, "appointment_url": URL,
                "synonyms": {**STRINGS, "description": "Begriffe im Kontext"}, "sources": STRINGS,
                "last_verified": DATE, "status": {"enum": list(STATES)}}},
        "life_situation": {
            "type": "object", "additionalProperties": False, "required": ["slug", "title"],
            "properties": {
                "slug": {"type": "string", "pattern": SLUG}, "title": _str(200, 1), "summary": TEXT,
                "parent": {"anyOf": [{"type": "null"}, {"type": "string", "pattern": SLUG}]},
                "position": {"type": "integer", "minimum": 0, "maximum": 10000},
                "status": {"enum": list(STATES)},
                "services": {"type": "array", "maxItems": 200, "items": {"type": "string", "pattern": SLUG}}}},
        "help_entry": {
            "type": "object", "additionalProperties": False, "required": ["slug", "name", "category"],
            "properties": {
                "slug": {"type": "string", "pattern": SLUG}, "name": _str(200, 1),
                "category": {"enum": list(HELP_CATEGORIES)}, "description": _str(1000),
                "number": {"type": "string", "maxLength": 50, "pattern": PHONE},
                "alt_number": {"type": "string", "maxLength": 50, "pattern": PHONE},
                "hours": _str(300), "free_of_charge": {"type": ["boolean", "null"]}, "languages": _str(300),
                "region": _str(100), "address": _str(300), "website": URL, "source": _str(1000),
                "last_verified": DATE, "status": {"enum": ["verified", "needs_checking"]},
                "position": {"type": "integer", "minimum": 0, "maximum": 10000}}},
        "help_topic": {
            "type": "object", "additionalProperties": False, "required": ["slug", "title", "words", "entries"],
            "properties": {
                "slug": {"type": "string", "pattern": SLUG}, "title": _str(200, 1),
                "words": {**STRINGS, "minItems": 1},
                "entries": {"type": "array", "items": {"type": "string", "pattern": SLUG}}}},
    },
}

_validators = {name: Draft202012Validator(definition) for name, definition in SCHEMA["$defs"].items()}
SECTIONS = (("offices", "office", "name"), ("services", "service", "slug"),
            ("life_situations", "life_situation", "slug"), ("help_entries", "help_entry", "slug"),
            ("help_topics", "help_topic", "slug"))


def tel_uri(number: str) -> str:
    """``tel:`` link of a printed number: digits only (and a leading +)."""
    number = (number or "").strip()
    digits = re.sub(r"\D", "", number)
    return f"tel:{'+' if number.startswith('+') else ''}{digits}" if digits else ""


def forms_cycle(node, parent, parent_of) -> bool:
    """True when ``parent`` may not become the parent of ``node``: walking up from ``parent``
    (``parent_of(x)`` is x's parent or None) reaches ``node`` itself or runs into a loop.
    Used by the import (keys are slugs) and by the life-situation editor (keys are ids)."""
    seen = {node}
    while parent is not None:
        if parent in seen:
            return True
        seen.add(parent)
        parent = parent_of(parent)
    return False


# -- export --------------------------------------------------------------------------------------
def _date(value):
    return value.isoformat() if value else None


def export() -> dict:
    session = db_session()
    offices = session.exec(select(Office).order_by(Office.name)).all()
    office_names = {o.id: o.name for o in offices}
    services = session.exec(select(Service).order_by(Service.slug)).all()
    service_slugs = {s.id: s.slug for s in services}
    situations = session.exec(select(LifeSituation).order_by(LifeSituation.slug)).all()
    situation_slugs = {s.id: s.slug for s in situations}
    links: dict[int, list] = {}
    for link in session.exec(select(LifeSituationService).order_by(LifeSituationService.position,
                                                                   LifeSituationService.id)).all():
        links.setdefault(link.life_situation_id, []).append(service_slugs[link.service_id])
    return {
        "$schema": SCHEMA["$id"], "format": FORMAT, "version": VERSION,
        "offices": [{"name": o.name, "address": o.address, "opening_hours": o.opening_hours, "phone": o.phone,
                     "email": o.email, "website": o.website, "accessibility": o.accessibility} for o in offices],
        "services": [{
            "slug": s.slug, "leika_key": s.leika_key, "name": s.name, "teaser": s.teaser,
            "description": s.description, "prerequisites": list(s.prerequisites), "documents": list(s.documents),
            "procedure": s.procedure, "deadlines": s.deadlines, "processing_time": s.processing_time,
            "costs": s.costs, "legal": list(s.legal), "office": office_names.get(s.office_id),
            "responsible": s.responsible, "forms": list(s.forms), "online_service_url": s.online_service_url,
            "appointment_url": s.appointment_url, "synonyms": list(s.synonyms), "sources": list(s.sources),
            "last_verified": _date(s.last_verified), "status": s.status} for s in services],
        "life_situations": [{
            "slug": s.slug, "title": s.title, "summary": s.summary, "parent": situation_slugs.get(s.parent_id),
            "position": s.position, "status": s.status, "services": links.get(s.id, [])} for s in situations],
        "help_entries": [{
            "slug": e.slug, "name": e.name, "category": e.category, "description": e.description,
            "number": e.number, "alt_number": e.alt_number, "hours": e.hours, "free_of_charge": e.free_of_charge,
            "languages": e.languages, "region": e.region, "address": e.address, "website": e.website,
            "source": e.source, "last_verified": _date(e.last_verified), "status": e.status,
            "position": e.position} for e in session.exec(select(HelpEntry).order_by(HelpEntry.slug)).all()],
        "help_topics": [{"slug": t.slug, "title": t.title, "words": list(t.words), "entries": list(t.entries)}
                        for t in session.exec(select(HelpTopic).order_by(HelpTopic.slug)).all()],
    }


# -- import --------------------------------------------------------------------------------------
class Report:
    def __init__(self):
        self.created: dict[str, int] = {}
        self.updated: dict[str, int] = {}
        self.rejected: list[dict] = []

    def reject(self, section: str, index: int, key, reason: str) -> None:
        self.rejected.append({"section": section, "index": index, "key": key, "reason": reason})

    def done(self, section: str, created: bool) -> None:
        target = self.created if created else self.updated
        target[section] = target.get(section, 0) + 1

    def to_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "rejected": self.rejected,
                "ok": not self.rejected}


def _schema_error(validator, record) -> str | None:
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.absolute_path))
    if not errors:
        return None
    e = errors[0]
    where = "/".join(str(p) for p in e.absolute_path)
    return f"{where or 'record'}: {e.message}"


def _valid_records(data: dict, report: Report) -> dict[str, list[tuple[int, dict]]]:
    accepted: dict[str, list[tuple[int, dict]]] = {}
    for section, definition, key_field in SECTIONS:
        seen = set()
        items = data.get(section) or []
        if not isinstance(items, list):
            report.reject(section, -1, None, "section must be a list")
            continue
        for index, record in enumerate(items):
            key = record.get(key_field) if isinstance(record, dict) else None
            error = _schema_error(_validators[definition], record)
            if error:
                report.reject(section, index, key, error)
                continue
            if "last_verified" in record and record["last_verified"]:
                try:
                    date.fromisoformat(record["last_verified"])
                except ValueError:
                    report.reject(section, index, key, "last_verified: not a valid date")
                    continue
            if key in seen:
                report.reject(section, index, key, f"duplicate {key_field} {key!r} in this file")
                continue
            seen.add(key)
            accepted.setdefault(section, []).append((index, record))
    return accepted


def _parse_date(value):
    return date.fromisoformat(value) if value else None


def import_catalogue(data) -> Report:
    """Validate and import ``data``; the caller commits (and audits)."""
    report = Report()
    if not isinstance(data, dict):
        report.reject("document", -1, None, "the document must be a JSON object")
        return report
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        report.reject("document", -1, None, f"format must be {FORMAT!r} and version {VERSION}")
        return report
    unknown = set(data) - {"$schema", "format", "version", *(s for s, _, _ in SECTIONS)}
    if unknown:
        report.reject("document", -1, None, f"unknown sections: {', '.join(sorted(unknown))}")
    records = _valid_records(data, report)
    session = db_session()

    offices = {o.name: o for o in session.exec(select(Office)).all()}
    for _, r in records.get("offices", []):
        office = offices.get(r["name"])
        created = office is None
        if created:
            office = Office(name=r["name"])
        for field in ("address", "opening_hours", "phone", "email", "website", "accessibility"):
            setattr(office, field, r.get(field, getattr(office, field) if not created else ""))
        session.add(office)
        offices[office.name] = office
        report.done("offices", created)
    session.flush()

    services = {s.slug: s for s in session.exec(select(Service)).all()}
    for index, r in records.get("services", []):
        office_name = r.get("office")
        if office_name and office_name not in offices:
            report.reject("services", index, r["slug"], f"unknown office {office_name!r}")
            continue
        service = services.get(r["slug"])
        created = service is None
        if created:
            service = Service(slug=r["slug"], name=r["name"])
        for field in ("leika_key", "name", "teaser", "description", "prerequisites", "documents", "procedure",
                      "deadlines", "processing_time", "costs", "legal", "responsible", "forms",
                      "online_service_url", "appointment_url", "synonyms", "sources"):
            if field in r:
                setattr(service, field, r[field])
        service.office_id = offices[office_name].id if office_name else None
        service.last_verified = _parse_date(r.get("last_verified"))
        service.status = r.get("status", service.status or DRAFT)
        service.updated_at = _now()
        session.add(service)
        services[service.slug] = service
        report.done("services", created)
    session.flush()

    situations = {s.slug: s for s in session.exec(select(LifeSituation)).all()}
    file_parents = {r["slug"]: r.get("parent") for _, r in records.get("life_situations", [])}
    accepted = []
    for index, r in records.get("life_situations", []):
        parent = r.get("parent")
        if parent and parent not in situations and parent not in file_parents:
            report.reject("life_situations", index, r["slug"], f"unknown parent {parent!r}")
            continue
        missing = [s for s in r.get("services", []) if s not in services]
        if missing:
            report.reject("life_situations", index, r["slug"], f"unknown services: {', '.join(missing)}")
            continue
        parents = {**{s.slug: None for s in situations.values()}, **file_parents}
        for s in situations.values():
            if s.slug not in file_parents and s.parent_id:
                parents[s.slug] = next((p.slug for p in situations.values() if p.id == s.parent_id), None)
        if forms_cycle(r["slug"], parent or None, parents.get):
            report.reject("life_situations", index, r["slug"], "parent chain forms a cycle")
            continue
        situation = situations.get(r["slug"])
        created = situation is None
        if created:
            situation = LifeSituation(slug=r["slug"], title=r["title"])
        situation.title = r["title"]
        situation.summary = r.get("summary", situation.summary or "")
        situation.position = r.get("position", situation.position or 0)
        situation.status = r.get("status", situation.status or DRAFT)
        situation.updated_at = _now()
        session.add(situation)
        situations[situation.slug] = situation
        accepted.append(r)
        report.done("life_situations", created)
    session.flush()
    for r in accepted:
        situation = situations[r["slug"]]
        parent = situations.get(r.get("parent")) if r.get("parent") else None
        situation.parent_id = parent.id if parent else None
        session.add(situation)
        if "services" in r:
            set_services(situation, [services[s].id for s in r["services"]])

    entries = {e.slug: e for e in session.exec(select(HelpEntry)).all()}
    for _, r in records.get("help_entries", []):
        entry = entries.get(r["slug"])
        created = entry is None
        if created:
            entry = HelpEntry(slug=r["slug"], name=r["name"])
        for field, value in r.items():
            if field != "last_verified":
                setattr(entry, field, value)
        entry.last_verified = _parse_date(r.get("last_verified"))
        session.add(entry)
        entries[entry.slug] = entry
        report.done("help_entries", created)

    topics = {t.slug: t for t in session.exec(select(HelpTopic)).all()}
    for index, r in records.get("help_topics", []):
        missing = [s for s in r["entries"] if s not in entries]
        if missing:
            report.reject("help_topics", index, r["slug"], f"unknown help entries: {', '.join(missing)}")
            continue
        topic = topics.get(r["slug"])
        created = topic is None
        if created:
            topic = HelpTopic(slug=r["slug"], title=r["title"])
        topic.title, topic.words, topic.entries = r["title"], list(r["words"]), list(r["entries"])
        session.add(topic)
        report.done("help_topics", created)
    session.flush()
    return report


def set_services(situation: LifeSituation, service_ids: list[int]) -> None:
    """Link exactly ``service_ids`` (in this order) to ``situation``."""
    session = db_session()
    existing = {link.service_id: link for link in session.exec(
        select(LifeSituationService).where(LifeSituationService.life_situation_id == situation.id)).all()}
    for position, service_id in enumerate(dict.fromkeys(service_ids)):
        link = existing.pop(service_id, None) or LifeSituationService(life_situation_id=situation.id,
                                                                      service_id=service_id)
        link.position = position
        session.add(link)
    for link in existing.values():
        session.delete(link)
