"""Collect, filter, order and render slot items, isolating each plugin's failures."""

from __future__ import annotations

import dataclasses

from flask import current_app, g, request, url_for
from markupsafe import Markup

from ..identity.permissions import has_permission
from ..slots import CATALOGUE, Section, Widget


_CACHE_LIMIT = 2000


def _cache_key(name: str) -> tuple:
    """Slot items depend only on the municipality's state, the language and what the user may
    see (documented in the hook contract), so they are computed once per such combination."""
    from flask_babel import get_locale

    from ..identity.permissions import permissions_of

    base = g.get("_mash_slot_key")
    if base is None:  # computed once per request
        m = g.municipality
        user = g.get("user")
        base = g._mash_slot_key = (m.id, m.state_version, str(get_locale()), user is not None,
                                   permissions_of(user) if user is not None else None,
                                   g.get("token_scopes"))
    return (name,) + base


def _cache() -> dict:
    ext = current_app.extensions
    cache = ext.get("mash_slot_cache")
    if cache is None or len(cache) > _CACHE_LIMIT:
        cache = ext["mash_slot_cache"] = {}
    return cache


def slot_items(name: str) -> list:
    """The visible items of slot ``name`` for this request, as (slug, item) pairs in order."""
    if name not in CATALOGUE:
        raise KeyError(f"unknown slot {name!r}")
    if g.get("municipality") is None:
        return _collect(name)
    key = ("items",) + _cache_key(name)
    cache = _cache()
    if key in cache:
        return cache[key]
    registry = current_app.extensions["mash"].registry
    errors = registry.error_count
    items = _collect(name)
    if registry.error_count == errors:  # a failing plugin is retried (and counted) next time
        cache[key] = items
    return items


def _collect(name: str) -> list:
    slot = CATALOGUE[name]
    registry = current_app.extensions["mash"].registry
    items = []
    for slug, result in registry.call("mash_slot_items", g.get("enabled_plugins", frozenset()),
                                      slot=name, request=request):
        record = registry.records.get(slug)
        if record is not None:
            record.slots_used.add(name)
        for item in result:
            if not isinstance(item, slot.item_type):
                registry.record_error(slug, f"slot {name}", TypeError(
                    f"expected {slot.item_type.__name__}, got {type(item).__name__}"))
                continue
            if has_permission(item.permission):
                items.append((slug, _resolved(item)))
    items.sort(key=lambda pair: (pair[1].priority, str(getattr(pair[1], "title", getattr(pair[1], "label", "")))))
    return items


def _resolved(item):
    """A copy with lazy strings translated now: the cache key includes the language, and the
    template then reads plain strings instead of translating on every render."""
    changes = {f: str(getattr(item, f)) for f in ("label", "title", "text")
               if hasattr(item, f) and getattr(item, f) is not None and not isinstance(getattr(item, f), str)}
    return dataclasses.replace(item, **changes) if changes else item


def href(item) -> str:
    """The URL of a Link or Tile; an unknown endpoint raises and is isolated by the caller."""
    if getattr(item, "endpoint", None):
        return url_for(item.endpoint, **getattr(item, "values", {}))
    return item.url or "#"


def safe_links(name: str) -> list[tuple[str, object, str]]:
    """(slug, item, url) for Link/Tile slots, leaving out items whose URL cannot be built."""
    cacheable = g.get("municipality") is not None
    cache = _cache() if cacheable else {}
    key = ("links",) + _cache_key(name) if cacheable else None
    if key in cache:
        return cache[key]
    registry = current_app.extensions["mash"].registry
    errors = registry.error_count
    out = []
    for slug, item in slot_items(name):
        try:
            out.append((slug, item, href(item)))
        except Exception as exc:
            registry.record_error(slug, f"slot {name}", exc)
    if cacheable and registry.error_count == errors:
        cache[key] = out
    return out


def rendered(name: str) -> list[tuple[str, object, Markup]]:
    """(slug, item, html) for Widget/Section slots; an item whose render raises is left out."""
    out = []
    for slug, item in slot_items(name):
        if not isinstance(item, (Widget, Section)):
            continue
        try:
            html = item.render()
        except Exception as exc:
            current_app.extensions["mash"].registry.record_error(slug, f"slot {name}", exc)
            continue
        out.append((slug, item, Markup(html)))
    return out


def assets() -> list[tuple[str, str]]:
    out = []
    for slug, item in slot_items("head.assets"):
        try:
            out.append((item.kind, url_for(item.endpoint, filename=item.filename)))
        except Exception as exc:
            current_app.extensions["mash"].registry.record_error(slug, "slot head.assets", exc)
    return out


def install(app) -> None:
    app.jinja_env.globals.update(slot_links=safe_links, slot_rendered=rendered, slot_assets=assets)
