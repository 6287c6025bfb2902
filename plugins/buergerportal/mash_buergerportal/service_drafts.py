"""Draft revisions of published services.

A published service is what citizens read and what the search finds. When an editor saves a
change to it "als Entwurf", the change goes into a ``ServiceDraft`` (one per service) and the
published row stays exactly as it is. The editor can keep working on the draft, preview it,
publish it — its fields are copied onto the service in the caller's transaction, so the public
page and the search index (kept by ``search_index``'s flush listener) switch in one commit — or
discard it. A service that was never published has no separate draft: it *is* the draft.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy.exc import IntegrityError

from mash_core.api import _, db_session, select

from .catalogue_models import CONTENT_FIELDS, PUBLISHED, Service, ServiceDraft, _now
from .models import Office

LIST_FIELDS = ("prerequisites", "documents", "legal", "forms", "synonyms", "sources")


def get(service: Service) -> ServiceDraft | None:
    if service.id is None:
        return None
    return db_session().exec(select(ServiceDraft).where(ServiceDraft.service_id == service.id)).first()


def with_drafts() -> set[int]:
    """Ids of the services that have a draft revision."""
    return set(db_session().exec(select(ServiceDraft.service_id)).all())


def content(service: Service) -> dict:
    """The editable fields of ``service`` as JSON-safe values."""
    out = {}
    for field in CONTENT_FIELDS:
        value = getattr(service, field)
        if isinstance(value, date):
            value = value.isoformat()
        elif field in LIST_FIELDS:
            value = list(value or [])
        out[field] = value
    return out


def apply(target: Service, data: dict) -> None:
    """Set ``target``'s editable fields from ``data`` (as made by :func:`content`)."""
    for field in CONTENT_FIELDS:
        if field not in data:
            continue
        value = data[field]
        if field == "last_verified":
            value = date.fromisoformat(value) if value else None
        elif field in LIST_FIELDS:
            value = list(value or [])
        setattr(target, field, value)


def working_copy(service: Service) -> Service:
    """A transient (never saved) service with the draft's fields, or the published ones when there
    is no draft — for the editor's form and the preview."""
    copy = Service(id=service.id, municipality_id=service.municipality_id, status=service.status,
                   updated_at=service.updated_at, slug=service.slug, name=service.name)
    apply(copy, content(service))
    draft = get(service)
    if draft is not None:
        apply(copy, draft.data)
        copy.updated_at = draft.updated_at
    return copy


def save(service: Service, edited: Service) -> ServiceDraft:
    """Store ``edited``'s fields as the draft of the published ``service`` (which is not changed)."""
    assert service.status == PUBLISHED and service.id is not None
    session = db_session()
    draft = get(service)
    if draft is None:
        # Two editors saving the first draft at once: the unique service_id lets one insert win;
        # the other's save becomes an update of that draft (last save wins, as for later saves).
        try:
            with session.begin_nested():
                draft = ServiceDraft(service_id=service.id, data=content(edited), updated_at=_now())
                session.add(draft)
                session.flush()
            return draft
        except IntegrityError:
            draft = get(service)
            assert draft is not None
    draft.data = content(edited)  # a new dict: JSON columns do not track changes inside
    draft.updated_at = _now()
    session.add(draft)
    session.flush()
    return draft


def problems(service: Service, data: dict) -> list[str]:
    """What stops ``data`` from being published now (the short address taken by another service in
    the meantime, the office deleted); empty when nothing does."""
    session = db_session()
    out = []
    slug = data.get("slug") or service.slug
    if session.exec(select(Service.id).where(Service.slug == slug, Service.id != service.id)).first():
        out.append(_("Die Kurzadresse „%(slug)s“ gehört inzwischen zu einer anderen Leistung.", slug=slug))
    office_id = data.get("office_id")
    if office_id and session.get(Office, office_id) is None:
        out.append(_("Das zuständige Bürgeramt gibt es nicht mehr. Bitte wählen Sie ein anderes."))
    return out


def publish(service: Service, draft: ServiceDraft) -> None:
    """Replace the published fields of ``service`` with the draft's and delete the draft, in the
    caller's transaction (check :func:`problems` first)."""
    session = db_session()
    apply(service, draft.data)
    service.status = PUBLISHED
    service.updated_at = _now()
    session.add(service)
    session.delete(draft)
    session.flush()


def discard(draft: ServiceDraft) -> None:
    db_session().delete(draft)
    db_session().flush()


def _naive(value: datetime) -> datetime:
    return value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value


def is_stale(service: Service, draft: ServiceDraft) -> bool:
    """True when the published version was changed after the draft was last saved (e.g. by an
    import): publishing the draft would replace that change."""
    return _naive(service.updated_at) > _naive(draft.updated_at)
