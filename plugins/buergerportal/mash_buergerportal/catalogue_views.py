"""Pages of the service catalogue, the search, the help directory and the editors' area.

Public: ``/leistungen/…``, ``/lebenslagen/…``, ``/suche``, ``/hilfe``. Editors (permission
``buergerportal.edit``): ``/redaktion/…`` — services, life situations and help entries with drafts
and publication, JSON import/export, the search index, and the anonymous usage figures. Every
change is a CSRF-protected POST and is audited.
"""

from __future__ import annotations

import json
import re
from datetime import date

from flask import Response, abort, flash, redirect, request, url_for

from mash_core.api import _, audit, db_session, public, render, require_permission, select

from . import catalogue, help as helpdir, richtext, search, usage
from .catalogue_models import (DRAFT, HELP_CATEGORIES, PUBLISHED, HelpEntry, LifeSituation, LifeSituationService,
                               Service, _now)
from .models import Office
from .views import bp

EDIT = "buergerportal.edit"
SLUG_RE = re.compile(catalogue.SLUG)
URL_RE = re.compile(r"^https?://\S+$")
PHONE_RE = re.compile(r"^[0-9+ ()/-]*$")
LINK_LINE = re.compile(r"^(?P<name>[^|]+?)\s*(?:\|\s*(?P<link>\S+))?\s*$")
SEARCH_LIMIT = 20


def _helpers() -> dict:
    return {"tel": catalogue.tel_uri, "rich": richtext.render, "category_labels": helpdir.CATEGORY_LABELS}


def _css():
    return url_for("buergerportal.static", filename="buergerportal/catalogue.css")


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
                  tree=_tree(public_only=False),
                  entries=helpdir.directory(public=False),
                  views=usage.top(usage.SERVICE_VIEW), empty=usage.top(usage.SEARCH_EMPTY),
                  assistant=usage.top(usage.ASSISTANT_DONE), category_labels=helpdir.CATEGORY_LABELS)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _links(value: str, field: str, errors: dict) -> list[dict]:
    out = []
    for line in _lines(value):
        m = LINK_LINE.match(line)
        link = (m.group("link") or "") if m else ""
        if not m or (link and not URL_RE.match(link)):
            errors[field] = _("Jede Zeile: Bezeichnung | https://… (der Link ist freiwillig).")
            continue
        out.append({"name": m.group("name").strip(), **({"link": link} if link else {})})
    return out


def _links_text(links) -> str:
    return "\n".join(f"{x['name']} | {x['link']}" if x.get("link") else x["name"] for x in links or [])


def _date_field(value: str, field: str, errors: dict):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = _("Bitte ein Datum im Format JJJJ-MM-TT angeben.")
        return None


def _slug_field(model, obj, value: str, errors: dict) -> str:
    """The new slug, or the object's current one when the new one is invalid or taken."""
    value = (value or "").strip().lower()
    if not SLUG_RE.match(value):
        errors["slug"] = _("Nur Kleinbuchstaben, Ziffern und Bindestriche, zum Beispiel elterngeld-beantragen.")
    elif db_session().exec(select(model.id).where(model.slug == value, model.id != (obj.id or 0))).first():
        errors["slug"] = _("Diese Kurzadresse ist schon vergeben.")
    return obj.slug if "slug" in errors else value


def _url_field(value: str, field: str, errors: dict) -> str:
    value = (value or "").strip()
    if value and not URL_RE.match(value):
        errors[field] = _("Bitte eine vollständige Adresse mit https:// angeben.")
    return value[:500]


def _publish_state(current: str) -> str:
    action = request.form.get("action", "draft")
    return PUBLISHED if action == "publish" else DRAFT if action in ("draft", "unpublish") else current


# services ----------------------------------------------------------------------------------------
def _service_form(service: Service) -> dict:
    return {"slug": service.slug or "", "leika_key": service.leika_key or "", "name": service.name or "",
            "teaser": service.teaser, "description": service.description,
            "prerequisites": "\n".join(service.prerequisites or []), "documents": "\n".join(service.documents or []),
            "procedure": service.procedure, "deadlines": service.deadlines,
            "processing_time": service.processing_time, "costs": service.costs,
            "legal": _links_text(service.legal), "office_id": str(service.office_id or ""),
            "responsible": service.responsible, "forms": _links_text(service.forms),
            "online_service_url": service.online_service_url, "appointment_url": service.appointment_url,
            "synonyms": "\n".join(service.synonyms or []), "sources": "\n".join(service.sources or []),
            "last_verified": service.last_verified.isoformat() if service.last_verified else ""}


def _service_save(service: Service) -> dict:
    f, errors = request.form, {}
    service.slug = _slug_field(Service, service, f.get("slug"), errors)
    service.name = f.get("name", "").strip()[:200]
    if not service.name:
        errors["name"] = _("Bitte geben Sie die Bezeichnung der Leistung an.")
    leika = f.get("leika_key", "").strip()
    if leika and not re.fullmatch(r"\d{14}", leika):
        errors["leika_key"] = _("Der Leistungsschlüssel hat 14 Ziffern.")
    service.leika_key = leika or None
    for name, size in (("teaser", 500), ("deadlines", 1000), ("processing_time", 300), ("costs", 500),
                       ("responsible", 300)):
        setattr(service, name, f.get(name, "").strip()[:size])
    service.description = f.get("description", "").strip()[:20000]
    service.procedure = f.get("procedure", "").strip()[:20000]
    for name in ("prerequisites", "documents", "synonyms", "sources"):
        setattr(service, name, [line[:500] for line in _lines(f.get(name, ""))])
    service.legal = _links(f.get("legal", ""), "legal", errors)
    service.forms = _links(f.get("forms", ""), "forms", errors)
    service.online_service_url = _url_field(f.get("online_service_url"), "online_service_url", errors)
    service.appointment_url = _url_field(f.get("appointment_url"), "appointment_url", errors)
    office_id = f.get("office_id", "").strip()
    service.office_id = None
    if office_id:
        office = db_session().get(Office, int(office_id)) if office_id.isdigit() else None
        if office is None:
            errors["office_id"] = _("Bitte wählen Sie ein Bürgeramt aus der Liste.")
        else:
            service.office_id = office.id
    service.last_verified = _date_field(f.get("last_verified"), "last_verified", errors)
    service.status = _publish_state(service.status)
    service.updated_at = _now()
    return errors


def _offices():
    return db_session().exec(select(Office).order_by(Office.name)).all()


@bp.route("/redaktion/leistungen/neu", methods=["GET", "POST"])
@bp.route("/redaktion/leistungen/<int:service_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_service(service_id=None):
    session = db_session()
    service = session.get(Service, service_id) if service_id else Service(slug="", name="")
    if service is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        created = service.id is None
        was = service.status
        errors = _service_save(service)
        if not errors:
            session.add(service)
            session.flush()
            action = "create" if created else "publish" if service.status != was and service.status == PUBLISHED \
                else "unpublish" if service.status != was else "update"
            audit(f"buergerportal.service.{action}", target=service.slug, status=service.status)
            session.commit()
            flash(_("Die Leistung „%(name)s“ wurde gespeichert (%(state)s).", name=service.name,
                    state=_("veröffentlicht") if service.status == PUBLISHED else _("Entwurf")), "success")
            return redirect(url_for("buergerportal.edit_service", service_id=service.id))
        session.rollback()
        form = dict(request.form)
    else:
        form = _service_form(service)
    return render("buergerportal/editor_service.html", service=service, form=form, errors=errors,
                  offices=_offices(), css=_css()), (422 if errors else 200)


@bp.get("/redaktion/leistungen/<int:service_id>/vorschau")
@require_permission(EDIT)
def preview_service(service_id):
    service = db_session().get(Service, service_id) or abort(404)
    return render("buergerportal/service.html", preview=True, **_service_context(service))


@bp.post("/redaktion/leistungen/<int:service_id>/loeschen")
@require_permission(EDIT)
def delete_service(service_id):
    session = db_session()
    service = session.get(Service, service_id) or abort(404)
    for link in session.exec(select(LifeSituationService).where(LifeSituationService.service_id == service.id)):
        session.delete(link)
    session.delete(service)
    audit("buergerportal.service.delete", target=service.slug)
    session.commit()
    flash(_("Die Leistung „%(name)s“ wurde gelöscht.", name=service.name), "success")
    return redirect(url_for("buergerportal.editor_index"))


# life situations ---------------------------------------------------------------------------------
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
        node.slug = _slug_field(LifeSituation, node, f.get("slug"), errors)
        node.title = f.get("title", "").strip()[:200]
        if not node.title:
            errors["title"] = _("Bitte geben Sie einen Titel an.")
        node.summary = f.get("summary", "").strip()[:20000]
        position = f.get("position", "0").strip() or "0"
        node.position = int(position) if position.isdigit() else 0
        parent_id = f.get("parent_id", "").strip()
        node.parent_id = None
        if parent_id:
            ancestors, current = set(), session.get(LifeSituation, int(parent_id)) if parent_id.isdigit() else None
            if current is None:
                errors["parent_id"] = _("Bitte wählen Sie eine übergeordnete Lebenslage aus der Liste.")
            while current is not None and not errors.get("parent_id"):
                if current.id == node.id or current.id in ancestors:
                    errors["parent_id"] = _("Eine Lebenslage kann nicht unter sich selbst stehen.")
                    break
                ancestors.add(current.id)
                current = session.get(LifeSituation, current.parent_id) if current.parent_id else None
            if not errors.get("parent_id"):
                node.parent_id = int(parent_id)
        ids = {s.id for s in all_services}
        chosen = [int(x) for x in f.getlist("services") if x.isdigit() and int(x) in ids]
        node.status = _publish_state(node.status)
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
    return render("buergerportal/editor_life_situation.html", node=node, form=form, errors=errors, parents=parents,
                  services=all_services, linked=linked, css=_css()), (422 if errors else 200)


@bp.post("/redaktion/lebenslagen/<int:node_id>/loeschen")
@require_permission(EDIT)
def delete_life_situation(node_id):
    session = db_session()
    node = session.get(LifeSituation, node_id) or abort(404)
    for child in session.exec(select(LifeSituation).where(LifeSituation.parent_id == node.id)).all():
        child.parent_id = node.parent_id
        session.add(child)
    for link in session.exec(select(LifeSituationService).where(LifeSituationService.life_situation_id == node.id)):
        session.delete(link)
    session.delete(node)
    audit("buergerportal.life_situation.delete", target=node.slug)
    session.commit()
    flash(_("Die Lebenslage „%(title)s“ wurde gelöscht.", title=node.title), "success")
    return redirect(url_for("buergerportal.editor_index"))


# help entries ------------------------------------------------------------------------------------
HELP_TEXT = (("name", 200), ("description", 1000), ("hours", 300), ("languages", 300), ("region", 100),
             ("address", 300), ("source", 1000))


@bp.route("/redaktion/hilfe/neu", methods=["GET", "POST"])
@bp.route("/redaktion/hilfe/<int:entry_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_help_entry(entry_id=None):
    session = db_session()
    entry = session.get(HelpEntry, entry_id) if entry_id else HelpEntry(slug="", name="", status="needs_checking")
    if entry is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        f = request.form
        created = entry.id is None
        entry.slug = _slug_field(HelpEntry, entry, f.get("slug"), errors)
        for name, size in HELP_TEXT:
            setattr(entry, name, f.get(name, "").strip()[:size])
        if not entry.name:
            errors["name"] = _("Bitte geben Sie einen Namen an.")
        entry.category = f.get("category", "")
        if entry.category not in HELP_CATEGORIES:
            errors["category"] = _("Bitte wählen Sie eine Rubrik.")
        for name in ("number", "alt_number"):
            value = f.get(name, "").strip()[:50]
            if not PHONE_RE.match(value):
                errors[name] = _("Nur Ziffern, Leerzeichen und + ( ) / - erlaubt.")
            setattr(entry, name, value)
        entry.website = _url_field(f.get("website"), "website", errors)
        entry.free_of_charge = {"yes": True, "no": False}.get(f.get("free_of_charge", ""))
        entry.last_verified = _date_field(f.get("last_verified"), "last_verified", errors)
        entry.status = "verified" if f.get("status") == "verified" else "needs_checking"
        if entry.status == "verified" and not (entry.source and entry.last_verified):
            errors["status"] = _("Als geprüft gilt ein Eintrag nur mit Quelle und Prüfdatum.")
        position = f.get("position", "100").strip()
        entry.position = int(position) if position.isdigit() else 100
        if not errors:
            session.add(entry)
            session.flush()
            audit(f"buergerportal.help.{'create' if created else 'update'}", target=entry.slug, status=entry.status)
            session.commit()
            flash(_("Der Eintrag „%(name)s“ wurde gespeichert.", name=entry.name), "success")
            return redirect(url_for("buergerportal.edit_help_entry", entry_id=entry.id))
        session.rollback()
        form = dict(f)
    else:
        form = {name: getattr(entry, name) or "" for name in ("slug", "name", "category", "description", "number",
                                                               "alt_number", "hours", "languages", "region",
                                                               "address", "website", "source", "status")}
        form["free_of_charge"] = {True: "yes", False: "no"}.get(entry.free_of_charge, "")
        form["last_verified"] = entry.last_verified.isoformat() if entry.last_verified else ""
        form["position"] = str(entry.position)
    return render("buergerportal/editor_help.html", entry=entry, form=form, errors=errors,
                  categories=[(c, helpdir.CATEGORY_LABELS[c]) for c in HELP_CATEGORIES], css=_css()), \
        (422 if errors else 200)


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
    return render("buergerportal/editor_import.html", report=report, error=error, css=_css()), \
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
