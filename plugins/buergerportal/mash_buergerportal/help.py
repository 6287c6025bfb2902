"""The help directory: emergency numbers and counselling contacts (brief §5), parent groups and
health offers, and the topic finder "Wer hilft bei …?".

"Lebensgefahr: 112" always comes first — in the directory, in every finder answer (before any
other routing, brief §5) and in the API — whatever the editors' positions say. In the editors'
area it cannot be deleted or demoted (number, category "notruf" and the verified state stay;
see ``editor_views``), and no second 112 entry can be made.
"""

from __future__ import annotations

from mash_core.api import _l, db_session, select

from .catalogue_models import HELP_CATEGORIES, HelpEntry, HelpTopic
from .textsearch import fold, query_terms, stem, words

EMERGENCY_NUMBER = "112"

CATEGORY_LABELS = {
    "notruf": _l("Notrufe"),
    "beratung": _l("Beratung und Seelsorge"),
    "familie": _l("Familie und Kinder"),
    "elterngruppe": _l("Elterngruppen"),
    "gesundheit": _l("Gesundheitsangebote"),
    "verwaltung": _l("Verwaltung und Termine"),
}


def is_emergency(entry: HelpEntry) -> bool:
    """True for the entry "Lebensgefahr: 112"."""
    return (entry.number or "").replace(" ", "") == EMERGENCY_NUMBER


def _order(entry: HelpEntry):
    first = 0 if is_emergency(entry) else 1
    category = HELP_CATEGORIES.index(entry.category) if entry.category in HELP_CATEGORIES else 99
    return (first, category, entry.position, entry.name)


def directory(public: bool = True) -> list[HelpEntry]:
    """All entries in display order (the public sees verified entries only)."""
    query = select(HelpEntry)
    if public:
        query = query.where(HelpEntry.status == "verified")
    return sorted(db_session().exec(query).all(), key=_order)


def grouped(entries: list[HelpEntry]) -> list[tuple[str, object, list[HelpEntry]]]:
    """``(category, label, entries)`` in category order, the 112 entry kept at the very top."""
    groups = []
    for category in HELP_CATEGORIES:
        items = [e for e in entries if e.category == category]
        if items:
            groups.append((category, CATEGORY_LABELS[category], items))
    return groups


def emergency(entries: list[HelpEntry]) -> HelpEntry | None:
    return next((e for e in entries if is_emergency(e)), None)


def find(q: str) -> tuple[list[HelpTopic], list[HelpEntry]]:
    """Topics whose words match the plain words of ``q`` (word forms and prefixes; topics with
    more matching words first), and their
    entries — the 112 entry first, then in the topics' order, without duplicates."""
    terms = query_terms(q)
    entries = directory()
    if not terms:
        return [], entries[:1]
    stems = {s for s, _ in terms}
    folded = {terms[-1][1]} if len(terms[-1][1]) >= 4 else set()  # the last word may be unfinished
    scored = []
    for topic in db_session().exec(select(HelpTopic).order_by(HelpTopic.title)).all():
        topic_words = [w for phrase in list(topic.words) + [topic.title] for w in words(phrase)]
        hits = {stem(w) for w in topic_words if stem(w) in stems or any(fold(w).startswith(f) for f in folded)}
        if hits:
            scored.append((-len(hits), topic.title, topic))
    topics = [topic for _, _, topic in sorted(scored, key=lambda t: t[:2])]  # most matching words first
    by_slug = {e.slug: e for e in entries}
    found = [e for e in entries[:1] if is_emergency(e)]
    for topic in topics:
        for slug in topic.entries:
            entry = by_slug.get(slug)
            if entry and entry not in found:
                found.append(entry)
    return topics, found
