"""The whole hook contract between the MAsH core and its plugins.

Every hook is prefixed ``mash_`` and named with a small verb vocabulary:

``register_*``
    contribute objects once at start-up (routes, API blueprints, CLI commands).
``*_items``
    contribute UI items on every request.
``load_*``, ``export_*``, ``delete_*``, ``check_*``
    act on data when the core asks.

Hooks are called only for plugins that are enabled in the current municipality (start-up hooks:
for every plugin that is not quarantined). Each implementation runs isolated: an exception is
logged under the plugin's slug, stored as its last error for the admin, and the other plugins'
results are used as if it had returned nothing. The call order is the registration order, which
is alphabetical by slug; never rely on it — use ``priority`` on UI items instead.

Implement a hook in your ``plugin.py`` with ``@hookimpl`` from :mod:`mash_core.api`; the name and
parameters must match the spec (you may accept fewer parameters). An unknown ``mash_*`` function
quarantines the plugin.
"""

from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("mash")


@hookspec
def mash_register_routes(app):
    """Return the plugin's Flask blueprint for its pages, or ``None``.

    :param app: the Flask application being built.
    :returns: a :class:`flask.Blueprint` made with :func:`mash_core.api.plugin_blueprint`, so
        that its name is the slug and its URL prefix ``/<slug>``.

    Called once at start-up for every plugin that is not quarantined. The core answers 404 for
    every route of the blueprint while the plugin is disabled in the requesting municipality.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_api(api):
    """Return a list of flask-smorest blueprints for the plugin's REST API.

    :param api: the :class:`flask_smorest.Api` at ``/api/v1``.
    :returns: blueprints made with :func:`mash_core.api.api_blueprint` (URL prefix
        ``/api/v1/<slug>``), or an empty list.

    Called once at start-up. While the plugin is disabled its endpoints answer 404 with a JSON
    error. Use :func:`mash_core.api.require_permission` on endpoints that need a token.

    Since plugin API 1.0.
    """


@hookspec
def mash_slot_items(slot, request):
    """Return the items this plugin contributes to UI slot ``slot``, or ``None``.

    :param slot: the slot name, one of :data:`mash_core.slots.CATALOGUE` (see
        ``docs/reference/slots.md``); return ``None`` for slots you do not fill.
    :param request: the current :class:`flask.Request`.
    :returns: a list of items of the slot's item type (:class:`~mash_core.slots.Link`,
        :class:`~mash_core.slots.Tile`, :class:`~mash_core.slots.Widget`,
        :class:`~mash_core.slots.Section`, :class:`~mash_core.slots.Asset`).

    Called for plugins enabled in the current municipality. The result is cached per
    municipality state (plugins, settings, branding), language and the user's permission set:
    return the same items for the same inputs, and put per-request content into a
    :class:`~mash_core.slots.Widget`'s or :class:`~mash_core.slots.Section`'s ``render``
    callable, which runs on every request. The core drops items whose ``permission`` the user
    lacks, orders by ``priority`` and renders each item in isolation.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_commands():
    """Return a :class:`click.Group` named after the slug, added to the ``mash`` CLI.

    :returns: a click group, or ``None``. ``mash <slug> ...`` then runs its commands inside an
        application context with the municipality from ``--municipality`` (default: the default
        municipality) as the current one.

    Called once when the CLI starts. Since plugin API 1.0.
    """


@hookspec
def mash_load_demo(municipality):
    """Load the plugin's demo data into ``municipality`` (the current one while called).

    :param municipality: the :class:`~mash_core.api.Municipality` receiving the data.

    Called by ``mash demo load`` for enabled plugins. Must be idempotent: running it again adds
    nothing that is already there. Commit through :func:`mash_core.api.db_session`.

    Since plugin API 1.0.
    """


@hookspec
def mash_export_user_data(user):
    """Return the personal data this plugin holds about ``user`` as a JSON-serialisable dict.

    :param user: the :class:`~mash_core.api.User` asking for the export (GDPR Art. 15/20).
    :returns: a dict, placed in the export under the plugin's slug, or ``None`` when the plugin
        holds nothing about the user.

    Since plugin API 1.0.
    """


@hookspec
def mash_delete_user_data(user):
    """Delete or anonymise everything this plugin holds about ``user`` (GDPR Art. 17).

    :param user: the :class:`~mash_core.api.User` whose account is being deleted.

    Called before the core deletes the account, in the same transaction: do not commit.
    Raise to abort the deletion (the citizen sees an error and nothing is deleted).

    Since plugin API 1.0.
    """


@hookspec
def mash_check_health():
    """Return health checks for the admin health page.

    :returns: a list of ``(name, ok, detail)`` tuples; ``detail`` must not contain secrets.

    Called when an admin opens ``/admin/health`` or ``/api/v1/core/health`` is requested.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_jobs():
    """Return the plugin's scheduled jobs as a list of :class:`~mash_core.api.Job`.

    :returns: jobs; each is scheduled as ``<slug>.<id>`` (with ``@<municipality>`` when
        ``per_municipality``) in the worker's APScheduler job store.

    Called by the worker at start-up for every plugin that is not quarantined. A job of a
    plugin that is disabled in a municipality is removed from that municipality's schedule
    within seconds and comes back when the plugin is enabled again. Every run is recorded
    (``core_job_run``) and visible under ``/admin/jobs``, where admins pause jobs or override
    their schedule.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_subscriptions():
    """Return the plugin's MQTT subscriptions as a list of :class:`~mash_core.api.Subscription`.

    :returns: subscriptions; a subscription's ``topic`` is relative to
        ``mash/<municipality>/<slug>/`` (see ``docs/messaging.md``).

    Called by the worker at start-up. Messages are validated against the subscription's
    marshmallow schema; invalid ones land in the dead-letter table. Valid ones reach the
    handler in batches, inside the municipality's context, and are acknowledged to the broker
    only after the handler returned, so nothing accepted is lost. Messages for a municipality
    where the plugin is disabled are dead-lettered with that reason.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_events():
    """Return the domain events the plugin publishes, as :class:`~mash_core.api.EventType`.

    :returns: event types; their names are prefixed with the slug (``<slug>.<name>``).
        ``bridge=True`` also publishes each event over MQTT through the outbox.

    Called at start-up; publishing an undeclared event raises ``ValueError``.

    Since plugin API 1.0.
    """


@hookspec
def mash_register_event_handlers():
    """Return handlers for domain events as a list of :class:`~mash_core.api.EventHandler`.

    :returns: handlers; ``EventHandler("core.plugin_enabled", fn)`` calls ``fn(payload)``.

    Called at start-up. Handlers run in-process, synchronously, when the event is published, in
    the publishing municipality's context and only while the handling plugin is enabled there;
    a handler that raises is recorded as the plugin's last error and does not affect the others.
    The core's own events are listed in ``docs/events.md``.

    Since plugin API 1.0.
    """
