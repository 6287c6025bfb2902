"""The core's own contributions, made through the same hooks that plugins use."""

from __future__ import annotations

from flask import g
from flask_babel import lazy_gettext as _l

from .plugins.manifest import Manifest
from .identity.permissions import CORE_PERMISSIONS
from .api_markers import hookimpl
from .slots import Link
from .worker.contract import Job

manifest = Manifest(slug="core", title="MAsH Core", description=_l("Identität, Speicher, Oberfläche"),
                    permissions=CORE_PERMISSIONS)

ADMIN_MENU = [
    ("admin.plugins", _l("Module"), 10),
    ("admin.municipalities", _l("Kommunen"), 20),
    ("admin.users", _l("Benutzer und Rollen"), 30),
    ("admin.tokens", _l("API-Tokens"), 40),
    ("admin.jobs", _l("Aufgaben"), 45),
    ("admin.dead_letters", _l("Abgewiesene Nachrichten"), 47),
    ("admin.audit_log", _l("Protokoll"), 50),
    ("admin.feedback", _l("Rückmeldungen"), 60),
    ("admin.health", _l("Systemzustand"), 70),
]


@hookimpl
def mash_register_jobs():
    from .worker.housekeeping import housekeeping
    return [Job("housekeeping", housekeeping, trigger="interval", trigger_args={"hours": 1},
                per_municipality=False, misfire_grace_time=3600,
                description=_l("Löscht versandte Outbox-Nachrichten, alte Aufgabenläufe und alte abgewiesene Nachrichten"))]


@hookimpl
def mash_check_health():
    from .worker.health import checks
    return checks()


@hookimpl
def mash_slot_items(slot, request):
    if slot == "nav.main":
        items = [Link(_l("Start"), "shell.home", priority=0)]
        if g.get("user") is not None:
            items += [
                Link(_l("Dienst-Übersicht"), "shell.dashboard", priority=900, permission="core.dashboard"),
                Link(_l("Verwaltung"), "admin.plugins", priority=950, permission="core.admin"),
            ]
        return items
    if slot == "admin.menu":
        return [Link(label, endpoint, priority=prio, permission="core.admin") for endpoint, label, prio in ADMIN_MENU]
    if slot == "footer.links":
        return [
            Link(_l("Impressum"), "shell.imprint", priority=10),
            Link(_l("Datenschutz"), "shell.privacy", priority=20),
            Link(_l("Barrierefreiheit"), "shell.accessibility", priority=30),
            Link(_l("API"), "rest.docs", priority=40),
        ]
    return None
