"""Pages of the service catalogue, the search, the help directory and the editors' area.

Public: ``/leistungen/…``, ``/lebenslagen/…``, ``/suche``, ``/hilfe``. Editors (permission
``buergerportal.edit``): ``/redaktion/…`` — services (with draft revisions of published services,
see ``service_drafts``) and life situations with publication, JSON import/export, the search
index, and the anonymous usage figures; the Bürgerämter, the help directory and the topic finder
are edited in ``editor_views``. Every change is a CSRF-protected POST and is audited; deleting
asks for confirmation first (a GET page, then the POST).
"""

from __future__ import annotations

import json
import re

from flask import Response, abort, flash, redirect, request, url_for

from mash_core.api import _, audit, db_session, public, render, require_permission, select

from . import catalogue, editor_forms as forms, help as helpdir, richtext, search, service_drafts, usage
from .catalogue_models import PUBLISHED, HelpTopic, LifeSituation, LifeSituationService, Service, _now
from .models import Office
from .views import bp

EDIT = "buergerportal.edit"
SEARCH_LIMIT = 20


#: ``{{ number|bp_tel }}``: the ``tel:`` link of a printed number, in every template
bp.add_app_template_filter(catalogue.tel_uri, "bp_tel")


def _helpers() -> dict:
    return {"tel": catalogue.tel_uri, "rich": richtext.render, "category_labels": helpdir.CATEGORY_LABELS}


# -- public pages ---------------------------------------------------------------------------------
def _service_context(service: Service) -> dict:
    session = db_session()
    office = session.get(Office, service.office_id) if service.office_id else None
    situations = session.exec(
        select(LifeSituation).join(LifeSituationService, LifeSituationService.life_situation_id == LifeSituation.id)
        .where(LifeSituationService.service_id == service.id, LifeSituation.status == PUBLISHED)
        .order_by(LifeSituation.title)).all()
    return {"service": service, "office": office, "situations": situations, **_helpers()}


@bp.get("/leistungen/")
@public
def services():
    rows = db_session().exec(select(Service).where(Service.status == PUBLISHED).order_by(Service.name)).all()
    return render("buergerportal/services.html", services=rows, tree=_tree(public_only=True))


@bp.get("/leistungen/<slug>")
@public
def service(slug):
    row = db_session().exec(select(Service).where(Service.slug == slug, Service.status == PUBLISHED)).first()
    if row is None:
        abort(404)
    usage.count(usage.SERVICE_VIEW, row.slug)
    return render("buergerportal/service.html", preview=False, **_service_context(row))


def _tree(public_only: bool) -> list[tuple[LifeSituation, int]]:
    """Life situations depth-first as ``(node, depth)``."""
    query = select(LifeSituation)
    if public_only:
        query = query.where(LifeSituation.status == PUBLISHED)
    nodes = db_session().exec(query.order_by(LifeSituation.position, LifeSituation.title)).all()
    ids = {n.id for n in nodes}
    children: dict = {}
    for n in nodes:
        children.setdefault(n.parent_id if n.parent_id in ids else None, []).append(n)
    out, seen = [], set()

    def walk(parent, depth):
        for node in children.get(parent, []):
            if node.id in seen:
                continue
            seen.add(node.id)
            out.append((node, depth))
            walk(node.id, depth + 1)

    walk(None, 0)
    return out


@bp.get("/lebenslagen/")
@public
def life_situations():
    return render("buergerportal/life_situations.html", tree=_tree(public_only=True))


@bp.get("/lebenslagen/<slug>")
@public
def life_situation(slug):
    session = db_session()
    node = session.exec(select(LifeSituation).where(LifeSituation.slug == slug,
                                                    LifeSituation.status == PUBLISHED)).first()
    if node is None:
        abort(404)
    children = session.exec(select(LifeSituation).where(LifeSituation.parent_id == node.id,
                                                        LifeSituation.status == PUBLISHED)
                            .order_by(LifeSituation.position, LifeSituation.title)).all()
    parent = session.get(LifeSituation, node.parent_id) if node.parent_id else None
    linked = session.exec(select(Service).join(LifeSituationService, LifeSituationService.service_id == Service.id)
                          .where(LifeSituationService.life_situation_id == node.id, Service.status == PUBLISHED)
                          .order_by(LifeSituationService.position)).all()
    return render("buergerportal/life_situation.html", node=node, children=children, services=linked,
                  parent=parent if parent and parent.status == PUBLISHED else None, **_helpers())


def hit_url(hit) -> str:
    if hit.kind == "service":
        return url_for("buergerportal.service", slug=hit.slug)
    if hit.kind == "life_situation":
        return url_for("buergerportal.life_situation", slug=hit.slug)
    if hit.kind == "help":
        return url_for("buergerportal.help_directory") + f"#hilfe-{hit.slug}"
    return url_for("buergerportal.index") + "#buergeraemter"


KIND_LABELS = {"service": "Leistung", "life_situation": "Lebenslage", "office": "Bürgeramt", "help": "Hilfe"}


@bp.get("/suche")
@public
def search_page():
    q = request.args.get("q", "").strip()[:search.MAX_QUERY]
    hits = search.search(q, limit=SEARCH_LIMIT) if q else []
    if q and not hits:
        key = usage.normalise_query(q)
        if key:
            usage.count(usage.SEARCH_EMPTY, key)
    labels = {"service": _("Leistung"), "life_situation": _("Lebenslage"), "office": _("Bürgeramt"),
              "help": _("Hilfe und Beratung")}
    return render("buergerportal/search.html", q=q, hits=[(h, hit_url(h), labels[h.kind]) for h in hits])


@bp.get("/hilfe")
@public
def help_directory():
    q = request.args.get("thema", "").strip()[:100]
    entries = helpdir.directory()
    topics, found = helpdir.find(q) if q else ([], [])
    return render("buergerportal/help.html", q=q, topics=topics, found=found, emergency=helpdir.emergency(entries),
                  groups=helpdir.grouped([e for e in entries if e is not helpdir.emergency(entries)]), **_helpers())


# -- editors' area --------------------------------------------------------------------------------
@bp.get("/redaktion/")
@require_permission(EDIT)
def editor_index():
    session = db_session()
    return render("buergerportal/editor_index.html",
                  services=session.exec(select(Service).order_by(Service.name)).all(),
                  drafts=service_drafts.with_drafts(),
                  tree=_tree(public_only=False),
                  offices=_offices(),
                  entries=helpdir.directory(public=False),
                  topics=session.exec(select(HelpTopic).order_by(HelpTopic.title)).all(),
                  views=usage.top(usage.SERVICE_VIEW), empty=usage.top(usage.SEARCH_EMPTY),
                  assistant=usage.top(usage.ASSISTANT_DONE), category_labels=helpdir.CATEGORY_LABELS,
                  tel=catalogue.tel_uri)


# services ----------------------------------------------------------------------------------------
def _service_form(service: Service) -> dict:
    return {"slug": service.slug or "", "leika_key": service.leika_key or "", "name": service.name or "",
            "teaser": service.teaser, "description": service.description,
            "prerequisites": "\n".join(service.prerequisites or []), "documents": "\n".join(service.documents or []),
            "procedure": service.procedure, "deadlines": service.deadlines,
            "processing_time": service.processing_time, "costs": service.costs,
            "legal": forms.links_text(service.legal), "office_id": str(service.office_id or ""),
            "responsible": service.responsible, "forms": forms.links_text(service.forms),
            "online_service_url": service.online_service_url, "appointment_url": service.appointment_url,
            "synonyms": "\n".join(service.synonyms or []), "sources": "\n".join(service.sources or []),
            "last_verified": service.last_verified.isoformat() if service.last_verified else ""}


def _service_save(service: Service) -> dict:
    """Fill ``service``'s editable fields from the form; the errors by field."""
    f, errors = request.form, {}
    service.slug = forms.slug_field(Service, service, f.get("slug"), errors)
    service.name = forms.required(forms.text("name", 200), "name", errors,
                                  _("Bitte geben Sie die Bezeichnung der Leistung an."))
    leika = f.get("leika_key", "").strip()
    if leika and not re.fullmatch(r"\d{14}", leika):
        errors["leika_key"] = _("Der Leistungsschlüssel hat 14 Ziffern.")
    service.leika_key = leika or None
    for name, size in (("teaser", 500), ("deadlines", 1000), ("processing_time", 300), ("costs", 500),
                       ("responsible", 300)):
        setattr(service, name, forms.text(name, size))
    service.description = forms.text("description", 20000)
    service.procedure = forms.text("procedure", 20000)
    for name in ("prerequisites", "documents", "synonyms", "sources"):
        setattr(service, name, [line[:500] for line in forms.lines(f.get(name, ""))])
    service.legal = forms.links(f.get("legal", ""), "legal", errors)
    service.forms = forms.links(f.get("forms", ""), "forms", errors)
    service.online_service_url = forms.url_field(f.get("online_service_url"), "online_service_url", errors)
    service.appointment_url = forms.url_field(f.get("appointment_url"), "appointment_url", errors)
    office_id = f.get("office_id", "").strip()
    service.office_id = None
    if office_id:
        office = db_session().get(Office, int(office_id)) if office_id.isdigit() else None
        if office is None:
            errors["office_id"] = _("Bitte wählen Sie ein Bürgeramt aus der Liste.")
        else:
            service.office_id = office.id
    service.last_verified = forms.date_field(f.get("last_verified"), "last_verified", errors)
    return errors


def _offices():
    return db_session().exec(select(Office).order_by(Office.name)).all()


def _service_page(service: Service, form: dict, errors: dict, draft=None):
    return forms.form_page("buergerportal/editor_service.html", errors, service=service, form=form, draft=draft,
                           stale=bool(draft and service_drafts.is_stale(service, draft)), offices=_offices())


@bp.route("/redaktion/leistungen/neu", methods=["GET", "POST"])
@bp.route("/redaktion/leistungen/<int:service_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_service(service_id=None):
    """A new or unpublished service is edited in place. A published one: "als Entwurf speichern"
    keeps the published text online and saves a draft revision (``service_drafts``);
    "veröffentlichen" publishes the form at once; "zurückziehen" takes the service offline."""
    session = db_session()
    service = session.get(Service, service_id) if service_id else Service(slug="", name="")
    if service is None:
        abort(404)
    draft = service_drafts.get(service)
    action = request.form.get("action", "draft")
    if request.method == "GET":
        return _service_page(service, _service_form(service_drafts.working_copy(service) if draft else service),
                             {}, draft)
    if service.status == PUBLISHED and action == "draft":
        edited = service_drafts.working_copy(service)
        errors = _service_save(edited)
        if errors:
            return _service_page(service, dict(request.form), errors, draft)
        created = draft is None
        draft = service_drafts.save(service, edited)
        audit("buergerportal.service.draft_" + ("create" if created else "update"), target=service.slug,
              draft_slug=edited.slug)
        session.commit()
        flash(_("Der Entwurf von „%(name)s“ wurde gespeichert. Bürgerinnen und Bürger sehen weiter die "
                "veröffentlichte Fassung, bis Sie den Entwurf veröffentlichen.", name=service.name), "success")
        return redirect(url_for("buergerportal.edit_service", service_id=service.id))
    created, was = service.id is None, service.status
    errors = _service_save(service)
    if errors:
        session.rollback()
        return _service_page(service, dict(request.form), errors, draft)
    service.status = forms.publish_state(service.status)
    service.updated_at = _now()
    session.add(service)
    if draft is not None:  # the form showed the draft: its content is now the service's
        session.delete(draft)
    session.flush()
    action = "create" if created else "publish" if service.status != was and service.status == PUBLISHED \
        else "unpublish" if service.status != was else "publish_draft" if draft is not None \
        and service.status == PUBLISHED else "update"
    audit(f"buergerportal.service.{action}", target=service.slug, status=service.status,
          last_modified=service.updated_at.isoformat())
    session.commit()
    flash(_("Die Leistung „%(name)s“ wurde gespeichert (%(state)s).", name=service.name,
            state=_("veröffentlicht") if service.status == PUBLISHED else _("Entwurf")), "success")
    return redirect(url_for("buergerportal.edit_service", service_id=service.id))


@bp.get("/redaktion/leistungen/<int:service_id>/vorschau")
@require_permission(EDIT)
def preview_service(service_id):
    """The page as citizens would see it: the draft revision when there is one."""
    service = db_session().get(Service, service_id) or abort(404)
    draft = service_drafts.get(service)
    shown = service_drafts.working_copy(service) if draft else service
    return render("buergerportal/service.html", preview=True, draft=draft, **_service_context(shown))


def _service_and_draft(service_id):
    service = db_session().get(Service, service_id) or abort(404)
    draft = service_drafts.get(service)
    if draft is None:
        flash(_("Zu dieser Leistung gibt es keinen Entwurf (mehr)."), "error")
    return service, draft


@bp.post("/redaktion/leistungen/<int:service_id>/entwurf/veroeffentlichen")
@require_permission(EDIT)
def publish_service_draft(service_id):
    """Publish the saved draft: the live text is replaced in one transaction."""
    session = db_session()
    service, draft = _service_and_draft(service_id)
    back = redirect(url_for("buergerportal.edit_service", service_id=service.id))
    if draft is None:
        return back
    problems = service_drafts.problems(service, draft.data)
    if problems:
        for problem in problems:
            flash(problem, "error")
        flash(_("Der Entwurf wurde nicht veröffentlicht."), "error")
        return back
    old_slug = service.slug
    service_drafts.publish(service, draft)
    audit("buergerportal.service.publish_draft", target=service.slug, previous_slug=old_slug,
          last_modified=service.updated_at.isoformat())
    session.commit()
    flash(_("Der Entwurf von „%(name)s“ ist jetzt veröffentlicht.", name=service.name), "success")
    return back


@bp.route("/redaktion/leistungen/<int:service_id>/entwurf/verwerfen", methods=["GET", "POST"])
@require_permission(EDIT)
def discard_service_draft(service_id):
    session = db_session()
    service, draft = _service_and_draft(service_id)
    back = url_for("buergerportal.edit_service", service_id=service.id)
    if draft is None:
        return redirect(back)
    if request.method == "GET":
        return forms.confirm_page(
            _("Entwurf verwerfen"), _("Den Entwurf von „%(name)s“ verwerfen?", name=service.name), request.path, back,
            [_("Die Änderungen im Entwurf gehen verloren."),
             _("Die veröffentlichte Fassung bleibt unverändert online.")], button=_("Entwurf verwerfen"))
    service_drafts.discard(draft)
    audit("buergerportal.service.draft_discard", target=service.slug)
    session.commit()
    flash(_("Der Entwurf wurde verworfen; die veröffentlichte Fassung bleibt unverändert."), "success")
    return redirect(back)


@bp.route("/redaktion/leistungen/<int:service_id>/loeschen", methods=["GET", "POST"])
@require_permission(EDIT)
def delete_service(service_id):
    session = db_session()
    service = session.get(Service, service_id) or abort(404)
    if request.method == "GET":
        links = session.exec(select(LifeSituationService.id).where(LifeSituationService.service_id == service.id)).all()
        return forms.confirm_page(
            _("Leistung löschen"), _("Die Leistung „%(name)s“ endgültig löschen?", name=service.name), request.path,
            url_for("buergerportal.edit_service", service_id=service.id),
            [_("Die Seite ist danach nicht mehr erreichbar und wird nicht mehr gefunden."),
             _("Sie wird aus %(n)d Lebenslage(n) entfernt.", n=len(links)),
             *([_("Der Entwurf wird mitgelöscht.")] if service_drafts.get(service) else [])])
    for link in session.exec(select(LifeSituationService).where(LifeSituationService.service_id == service.id)):
        session.delete(link)
    draft = service_drafts.get(service)
    if draft is not None:
        session.delete(draft)
        session.flush()
    session.delete(service)
    audit("buergerportal.service.delete", target=service.slug)
    session.commit()
    flash(_("Die Leistung „%(name)s“ wurde gelöscht.", name=service.name), "success")
    return redirect(url_for("buergerportal.editor_index"))


# life situations ---------------------------------------------------------------------------------
def _parent_field(node: LifeSituation, value: str, errors: dict):
    """The chosen parent's id; the node may stand neither under itself nor under one of its
    descendants (``catalogue.forms_cycle``, the import's check)."""
    value = (value or "").strip()
    if not value:
        return None
    session = db_session()
    parent = session.get(LifeSituation, int(value)) if value.isdigit() else None
    if parent is None:
        errors["parent_id"] = _("Bitte wählen Sie eine übergeordnete Lebenslage aus der Liste.")
        return node.parent_id
    parents = dict(session.exec(select(LifeSituation.id, LifeSituation.parent_id)).all())
    if node.id is not None and catalogue.forms_cycle(node.id, parent.id, parents.get):
        errors["parent_id"] = _("Eine Lebenslage kann nicht unter sich selbst oder unter einer ihrer "
                                "Unterlagen stehen: „%(parent)s“ liegt unter „%(node)s“.",
                                parent=parent.title, node=node.title)
        return node.parent_id
    return parent.id


@bp.route("/redaktion/lebenslagen/neu", methods=["GET", "POST"])
@bp.route("/redaktion/lebenslagen/<int:node_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_life_situation(node_id=None):
    session = db_session()
    node = session.get(LifeSituation, node_id) if node_id else LifeSituation(slug="", title="")
    if node is None:
        abort(404)
    all_services = session.exec(select(Service).order_by(Service.name)).all()
    linked = [link.service_id for link in session.exec(
        select(LifeSituationService).where(LifeSituationService.life_situation_id == node.id)
        .order_by(LifeSituationService.position)).all()] if node.id else []
    errors = {}
    if request.method == "POST":
        f = request.form
        created, was = node.id is None, node.status
        node.slug = forms.slug_field(LifeSituation, node, f.get("slug"), errors)
        node.title = forms.required(forms.text("title", 200), "title", errors, _("Bitte geben Sie einen Titel an."))
        node.summary = forms.text("summary", 20000)
        node.position = forms.position_field(f.get("position"), "position", errors)
        node.parent_id = _parent_field(node, f.get("parent_id"), errors)
        ids = {s.id for s in all_services}
        chosen = [int(x) for x in f.getlist("services") if x.isdigit() and int(x) in ids]
        node.status = forms.publish_state(node.status)
        node.updated_at = _now()
        if not errors:
            session.add(node)
            session.flush()
            catalogue.set_services(node, chosen)
            action = "create" if created else "publish" if node.status != was and node.status == PUBLISHED \
                else "unpublish" if node.status != was else "update"
            audit(f"buergerportal.life_situation.{action}", target=node.slug, status=node.status,
                  services=len(chosen))
            session.commit()
            flash(_("Die Lebenslage „%(title)s“ wurde gespeichert.", title=node.title), "success")
            return redirect(url_for("buergerportal.edit_life_situation", node_id=node.id))
        session.rollback()
        form, linked = dict(f), chosen
    else:
        form = {"slug": node.slug, "title": node.title, "summary": node.summary, "position": str(node.position or 0),
                "parent_id": str(node.parent_id or "")}
    parents = [(n, d) for n, d in _tree(public_only=False) if n.id != node.id]
    return forms.form_page("buergerportal/editor_life_situation.html", errors, node=node, form=form, parents=parents,
                           services=all_services, linked=linked)


@bp.route("/redaktion/lebenslagen/<int:node_id>/loeschen", methods=["GET", "POST"])
@require_permission(EDIT)
def delete_life_situation(node_id):
    session = db_session()
    node = session.get(LifeSituation, node_id) or abort(404)
    children = session.exec(select(LifeSituation).where(LifeSituation.parent_id == node.id)).all()
    if request.method == "GET":
        parent = session.get(LifeSituation, node.parent_id) if node.parent_id else None
        moved = [_("Die untergeordneten Lebenslagen rücken eine Ebene nach oben (unter „%(parent)s“): %(children)s.",
                   parent=parent.title, children=", ".join(c.title for c in children)) if parent else
                 _("Die untergeordneten Lebenslagen rücken auf die oberste Ebene: %(children)s.",
                   children=", ".join(c.title for c in children))] if children else []
        return forms.confirm_page(
            _("Lebenslage löschen"), _("Die Lebenslage „%(title)s“ endgültig löschen?", title=node.title),
            request.path, url_for("buergerportal.edit_life_situation", node_id=node.id),
            [*moved, _("Die verknüpften Leistungen bleiben erhalten.")])
    for child in children:
        child.parent_id = node.parent_id
        session.add(child)
    for link in session.exec(select(LifeSituationService).where(LifeSituationService.life_situation_id == node.id)):
        session.delete(link)
    session.flush()
    session.delete(node)
    audit("buergerportal.life_situation.delete", target=node.slug)
    session.commit()
    flash(_("Die Lebenslage „%(title)s“ wurde gelöscht.", title=node.title), "success")
    return redirect(url_for("buergerportal.editor_index"))


# import / export / index -------------------------------------------------------------------------
@bp.route("/redaktion/import", methods=["GET", "POST"])
@require_permission(EDIT)
def import_page():
    report, error = None, None
    if request.method == "POST":
        upload = request.files.get("file")
        raw = upload.read() if upload and upload.filename else request.form.get("json", "").encode()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            error = _("Die Datei ist kein gültiges JSON: %(error)s", error=str(exc))
        else:
            result = catalogue.import_catalogue(data)
            audit("buergerportal.catalogue.import", created=result.created, updated=result.updated,
                  rejected=len(result.rejected))
            db_session().commit()
            report = result.to_dict()
    return render("buergerportal/editor_import.html", report=report, error=error, css=forms.css()), \
        (422 if error else 200)


@bp.get("/redaktion/export.json")
@require_permission(EDIT)
def export_json():
    audit("buergerportal.catalogue.export")
    db_session().commit()
    body = json.dumps(catalogue.export(), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="buergerportal-katalog.json"', "Cache-Control": "no-store"})


@bp.post("/redaktion/suchindex")
@require_permission(EDIT)
def rebuild_index():
    from .search_index import reindex_all
    session = db_session()
    n = reindex_all(session)
    audit("buergerportal.search.reindex", documents=n)
    session.commit()
    flash(_("Der Suchindex wurde neu aufgebaut (%(n)d Einträge).", n=n), "success")
    return redirect(url_for("buergerportal.editor_index"))


# Bürgerämter, help directory and topic finder (routes in editor_views.py)
from . import editor_views  # noqa: E402,F401
