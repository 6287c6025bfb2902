"""Collect, filter, order and render slot items, isolating each plugin's failures."""

from __future__ import annotations

from flask import current_app, g, request, url_for
from markupsafe import Markup, escape

from ..identity.permissions import has_permission
from ..slots import CATALOGUE, Asset, Section, Widget


def slot_items(name: str) -> list:
    """The visible items of slot ``name`` for this request, as (slug, item) pairs in order."""
    if name not in CATALOGUE:
        raise KeyError(f"unknown slot {name!r}")
    slot = CATALOGUE[name]
    mash = current_app.extensions["mash"]
    registry = mash.registry
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
                items.append((slug, item))
    items.sort(key=lambda pair: (pair[1].priority, getattr(pair[1], "title", getattr(pair[1], "label", ""))))
    return items


def href(item) -> str:
    """The URL of a Link or Tile; an unknown endpoint raises and is isolated by the caller."""
    if getattr(item, "endpoint", None):
        return url_for(item.endpoint, **getattr(item, "values", {}))
    return item.url or "#"


def safe_links(name: str) -> list[tuple[str, object, str]]:
    """(slug, item, url) for Link/Tile slots, leaving out items whose URL cannot be built."""
    out = []
    for slug, item in slot_items(name):
        try:
            out.append((slug, item, href(item)))
        except Exception as exc:
            current_app.extensions["mash"].registry.record_error(slug, f"slot {name}", exc)
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
