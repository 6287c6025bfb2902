"""Editors' area (permission ``buergerportal.edit``): the Bürgerämter, the help directory and the
topic finder "Wer hilft bei …?".

Each has a form to create and edit (validated with ``editor_forms``, the helpers of the service
editor) and a deletion that asks for confirmation first (GET shows what will happen, the
CSRF-protected POST does it). Every change is audited. Offices and help entries are searchable:
the search index follows every change in the same transaction (``search_index``'s flush
listener); topics are not indexed.

Rules that keep the public pages intact:

* "Lebensgefahr: 112" (``help.is_emergency``) cannot be deleted, and its number, its category
  "notruf" and its verified state cannot be changed; no second 112 entry can be made.
* An office that a service (or a service's draft) names as responsible cannot be deleted.
* A help entry's new short address is carried into the topics that list it; a deleted entry is
  taken out of them.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for

from mash_core.api import _, audit, db_session, require_permission, select

from . import catalogue, editor_forms as forms, help as helpdir
from .catalogue_models import HELP_CATEGORIES, HelpEntry, HelpTopic, Service, ServiceDraft
from .models import Office
from .views import bp

EDIT = "buergerportal.edit"


# Bürgerämter -------------------------------------------------------------------------------------
OFFICE_TEXT = (("address", 300), ("opening_hours", 1000), ("accessibility", 500))


def _office_save(office: Office) -> dict:
    f, errors = request.form, {}
    name = forms.required(forms.text("name", 200), "name", errors, _("Bitte geben Sie den Namen des Bürgeramts an."))
    # (asked before the name is set: an autoflush must not hit the unique key)
    if name and db_session().exec(select(Office.id).where(Office.name == name, Office.id != (office.id or 0))).first():
        errors["name"] = _("Ein Bürgeramt mit diesem Namen gibt es schon.")
    else:
        office.name = name
    for name, size in OFFICE_TEXT:
        setattr(office, name, forms.text(name, size))
    office.phone = forms.phone_field(f.get("phone"), "phone", errors)
    office.email = forms.email_field(f.get("email"), "email", errors)
    office.website = forms.url_field(f.get("website"), "website", errors)
    return errors


@bp.route("/redaktion/buergeraemter/neu", methods=["GET", "POST"])
@bp.route("/redaktion/buergeraemter/<int:office_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_office(office_id=None):
    session = db_session()
    office = session.get(Office, office_id) if office_id else Office(name="")
    if office is None:
        abort(404)
    errors = {}
    if request.method == "POST":
        created = office.id is None
        errors = _office_save(office)
        if not errors:
            session.add(office)
            session.flush()
            audit(f"buergerportal.office.{'create' if created else 'update'}", target=office.name)
            session.commit()
            flash(_("Das Bürgeramt „%(name)s“ wurde gespeichert.", name=office.name), "success")
            return redirect(url_for("buergerportal.edit_office", office_id=office.id))
        session.rollback()
        form = dict(request.form)
    else:
        form = {name: getattr(office, name) or "" for name in ("name", "address", "opening_hours", "phone", "email",
                                                                "website", "accessibility")}
    return forms.form_page("buergerportal/editor_office.html", errors, office=office, form=form,
                           tel=catalogue.tel_uri)


def _office_users(office: Office) -> list[str]:
    """Names of the services (published, unpublished or in a draft) that name ``office``."""
    session = db_session()
    names = set(session.exec(select(Service.name).where(Service.office_id == office.id)).all())
    for draft in session.exec(select(ServiceDraft)).all():
        if draft.data.get("office_id") == office.id:
            service = session.get(Service, draft.service_id)
            names.add(_("%(name)s (Entwurf)", name=service.name) if service else "?")
    return sorted(names)


@bp.route("/redaktion/buergeraemter/<int:office_id>/loeschen", methods=["GET", "POST"])
@require_permission(EDIT)
def delete_office(office_id):
    session = db_session()
    office = session.get(Office, office_id) or abort(404)
    users = _office_users(office)
    blocked = _("Das Bürgeramt ist noch für diese Leistungen zuständig: %(services)s. Bitte wählen Sie dort zuerst "
                "ein anderes Bürgeramt.", services=", ".join(users)) if users else None
    if request.method == "GET" or blocked:
        return forms.confirm_page(
            _("Bürgeramt löschen"), _("Das Bürgeramt „%(name)s“ endgültig löschen?", name=office.name),
            request.path, url_for("buergerportal.edit_office", office_id=office.id),
            [_("Es erscheint danach nicht mehr in der Liste der Bürgerämter und in der Suche.")], blocked=blocked,
            status=409 if blocked and request.method == "POST" else 200)
    session.delete(office)
    audit("buergerportal.office.delete", target=office.name)
    session.commit()
    flash(_("Das Bürgeramt „%(name)s“ wurde gelöscht.", name=office.name), "success")
    return redirect(url_for("buergerportal.editor_index") + "#bp-offices")


# help directory ----------------------------------------------------------------------------------
HELP_TEXT = (("name", 200), ("description", 1000), ("hours", 300), ("languages", 300), ("region", 100),
             ("address", 300), ("source", 1000))
HELP_FORM = ("slug", "name", "category", "description", "number", "alt_number", "hours", "languages", "region",
             "address", "website", "source", "status")


def _other_emergency(entry: HelpEntry) -> HelpEntry | None:
    return next((e for e in db_session().exec(select(HelpEntry)).all()
                 if helpdir.is_emergency(e) and e.id != entry.id), None)


def _help_save(entry: HelpEntry) -> dict:
    f, errors = request.form, {}
    was_emergency = entry.id is not None and helpdir.is_emergency(entry)
    entry.slug = forms.slug_field(HelpEntry, entry, f.get("slug"), errors)
    for name, size in HELP_TEXT:
        setattr(entry, name, forms.text(name, size))
    forms.required(entry.name, "name", errors, _("Bitte geben Sie einen Namen an."))
    entry.category = f.get("category", "")
    if entry.category not in HELP_CATEGORIES:
        errors["category"] = _("Bitte wählen Sie eine Rubrik.")
    entry.number = forms.phone_field(f.get("number"), "number", errors)
    entry.alt_number = forms.phone_field(f.get("alt_number"), "alt_number", errors)
    entry.website = forms.url_field(f.get("website"), "website", errors)
    entry.free_of_charge = {"yes": True, "no": False}.get(f.get("free_of_charge", ""))
    entry.last_verified = forms.date_field(f.get("last_verified"), "last_verified", errors)
    entry.status = "verified" if f.get("status") == "verified" else "needs_checking"
    if entry.status == "verified" and not (entry.source and entry.last_verified):
        errors["status"] = _("Als geprüft gilt ein Eintrag nur mit Quelle und Prüfdatum.")
    entry.position = forms.position_field(f.get("position"), "position", errors, 100)
    if was_emergency:  # "Lebensgefahr: 112" stays first and public
        if not helpdir.is_emergency(entry):
            errors["number"] = _("Die Nummer 112 dieses Eintrags kann nicht geändert werden: Der Notruf steht "
                                 "immer an erster Stelle.")
        if entry.category != "notruf":
            errors["category"] = _("Der Notruf 112 bleibt in der Rubrik „Notrufe“.")
        if entry.status != "verified":
            errors["status"] = _("Der Notruf 112 bleibt geprüft und öffentlich (mit Quelle und Prüfdatum).")
    elif helpdir.is_emergency(entry) and "number" not in errors:
        other = _other_emergency(entry)
        if other is not None:
            errors["number"] = _("Den Notruf 112 gibt es schon: „%(name)s“. Bitte bearbeiten Sie diesen Eintrag.",
                                 name=other.name)
    return errors


def _topics_listing(slug: str) -> list[HelpTopic]:
    return [t for t in db_session().exec(select(HelpTopic).order_by(HelpTopic.title)).all() if slug in t.entries]


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
        created, old_slug = entry.id is None, entry.slug
        errors = _help_save(entry)
        if not errors:
            session.add(entry)
            if not created and entry.slug != old_slug:  # keep the topic finder's links
                for topic in _topics_listing(old_slug):
                    topic.entries = [entry.slug if s == old_slug else s for s in topic.entries]
                    session.add(topic)
            session.flush()
            audit(f"buergerportal.help.{'create' if created else 'update'}", target=entry.slug, status=entry.status)
            session.commit()
            flash(_("Der Eintrag „%(name)s“ wurde gespeichert.", name=entry.name), "success")
            return redirect(url_for("buergerportal.edit_help_entry", entry_id=entry.id))
        session.rollback()
        form = dict(request.form)
    else:
        form = {name: getattr(entry, name) or "" for name in HELP_FORM}
        form["free_of_charge"] = {True: "yes", False: "no"}.get(entry.free_of_charge, "")
        form["last_verified"] = entry.last_verified.isoformat() if entry.last_verified else ""
        form["position"] = str(entry.position)
    return forms.form_page("buergerportal/editor_help.html", errors, entry=entry, form=form,
                           emergency=entry.id is not None and helpdir.is_emergency(entry), tel=catalogue.tel_uri,
                           categories=[(c, helpdir.CATEGORY_LABELS[c]) for c in HELP_CATEGORIES])


@bp.route("/redaktion/hilfe/<int:entry_id>/loeschen", methods=["GET", "POST"])
@require_permission(EDIT)
def delete_help_entry(entry_id):
    session = db_session()
    entry = session.get(HelpEntry, entry_id) or abort(404)
    blocked = _("„%(name)s“ ist der Notruf 112. Er steht immer an erster Stelle und kann nicht gelöscht werden.",
                name=entry.name) if helpdir.is_emergency(entry) else None
    topics = _topics_listing(entry.slug)
    if request.method == "GET" or blocked:
        return forms.confirm_page(
            _("Hilfe-Eintrag löschen"), _("Den Eintrag „%(name)s“ endgültig löschen?", name=entry.name),
            request.path, url_for("buergerportal.edit_help_entry", entry_id=entry.id),
            [_("Er erscheint danach nicht mehr im Hilfe-Verzeichnis und in der Suche.")]
            + ([_("Er wird aus diesen Themen des Themenfinders entfernt: %(topics)s.",
                  topics=", ".join(t.title for t in topics))] if topics else []),
            blocked=blocked, status=409 if blocked and request.method == "POST" else 200)
    for topic in topics:
        topic.entries = [s for s in topic.entries if s != entry.slug]
        session.add(topic)
    session.delete(entry)
    audit("buergerportal.help.delete", target=entry.slug, topics=len(topics))
    session.commit()
    flash(_("Der Eintrag „%(name)s“ wurde gelöscht.", name=entry.name), "success")
    return redirect(url_for("buergerportal.editor_index") + "#bp-help")


# topic finder ------------------------------------------------------------------------------------
def _topic_save(topic: HelpTopic, entries: list[HelpEntry]) -> dict:
    f, errors = request.form, {}
    topic.slug = forms.slug_field(HelpTopic, topic, f.get("slug"), errors)
    topic.title = forms.required(forms.text("title", 200), "title", errors,
                                 _("Bitte geben Sie einen Titel an, zum Beispiel „Vergiftung“."))
    words = list(dict.fromkeys(w[:500] for w in forms.lines(f.get("words", ""))))
    if not words:
        errors["words"] = _("Bitte geben Sie mindestens ein Wort an, mit dem Menschen nach diesem Thema fragen.")
    elif len(words) > 100:
        errors["words"] = _("Bitte höchstens 100 Wörter angeben.")
    topic.words = words[:100]
    chosen = set(f.getlist("entries"))
    order = {}
    for position, entry in enumerate(entries):
        if entry.slug in chosen:
            rank = f.get(f"order-{entry.id}", "").strip()
            order[entry.slug] = (int(rank) if rank.isdigit() else 10001, position)
    topic.entries = sorted(order, key=order.get)
    if not topic.entries:
        errors["entries"] = _("Bitte wählen Sie mindestens einen Kontakt.")
    return errors


@bp.route("/redaktion/hilfe/themen/neu", methods=["GET", "POST"])
@bp.route("/redaktion/hilfe/themen/<int:topic_id>", methods=["GET", "POST"])
@require_permission(EDIT)
def edit_help_topic(topic_id=None):
    session = db_session()
    topic = session.get(HelpTopic, topic_id) if topic_id else HelpTopic(slug="", title="")
    if topic is None:
        abort(404)
    entries = helpdir.directory(public=False)
    errors = {}
    if request.method == "POST":
        created = topic.id is None
        errors = _topic_save(topic, entries)
        if not errors:
            session.add(topic)
            session.flush()
            audit(f"buergerportal.help_topic.{'create' if created else 'update'}", target=topic.slug,
                  words=len(topic.words), entries=len(topic.entries))
            session.commit()
            flash(_("Das Thema „%(title)s“ wurde gespeichert.", title=topic.title), "success")
            return redirect(url_for("buergerportal.edit_help_topic", topic_id=topic.id))
        chosen = list(topic.entries)
        session.rollback()
        form = dict(request.form)
        ranks = {e.slug: request.form.get(f"order-{e.id}", "") for e in entries}
    else:
        chosen = list(topic.entries or [])
        form = {"slug": topic.slug, "title": topic.title, "words": "\n".join(topic.words or [])}
        ranks = {slug: str(n) for n, slug in enumerate(chosen, start=1)}
    return forms.form_page("buergerportal/editor_topic.html", errors, topic=topic, form=form, entries=entries,
                           chosen=chosen, ranks=ranks, category_labels=helpdir.CATEGORY_LABELS)


@bp.route("/redaktion/hilfe/themen/<int:topic_id>/loeschen", methods=["GET", "POST"])
@require_permission(EDIT)
def delete_help_topic(topic_id):
    session = db_session()
    topic = session.get(HelpTopic, topic_id) or abort(404)
    if request.method == "GET":
        return forms.confirm_page(
            _("Thema löschen"), _("Das Thema „%(title)s“ endgültig löschen?", title=topic.title), request.path,
            url_for("buergerportal.edit_help_topic", topic_id=topic.id),
            [_("Der Themenfinder findet es danach nicht mehr; die Kontakte im Hilfe-Verzeichnis bleiben.")])
    session.delete(topic)
    audit("buergerportal.help_topic.delete", target=topic.slug)
    session.commit()
    flash(_("Das Thema „%(title)s“ wurde gelöscht.", title=topic.title), "success")
    return redirect(url_for("buergerportal.editor_index") + "#bp-topics")
