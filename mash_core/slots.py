"""The UI slot catalogue: named places in the portal where plugins contribute typed items.

The core filters items by permission and by the contributing plugin's enabled state, orders
them by ``priority`` (lower first, then title), and renders each in isolation: an item that
raises is left out and recorded as the plugin's last error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


@dataclass
class Link:
    """A navigation or menu link. ``endpoint`` (Flask endpoint) or ``url``."""

    label: str
    endpoint: Optional[str] = None
    url: Optional[str] = None
    priority: int = 100
    permission: Optional[str] = None
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Tile:
    """A home-page tile: title, one-sentence text, and where it leads."""

    title: str
    text: str
    endpoint: Optional[str] = None
    url: Optional[str] = None
    icon: str = ""
    priority: int = 100
    permission: Optional[str] = None


@dataclass
class Widget:
    """A staff-dashboard widget; ``render`` returns HTML (usually ``render_template(...)``)."""

    title: str
    render: Callable[[], str]
    priority: int = 100
    permission: Optional[str] = None


@dataclass
class Section:
    """A block of HTML in a page section (account page, admin plugin details …)."""

    title: str
    render: Callable[[], str]
    priority: int = 100
    permission: Optional[str] = None


@dataclass
class Asset:
    """A stylesheet or script from the plugin's own static folder (no CDN)."""

    kind: str  # "css" or "js"
    endpoint: str
    filename: str
    priority: int = 100
    permission: Optional[str] = None


@dataclass(frozen=True)
class Slot:
    name: str
    item_type: type
    description: str
    context: str


#: Every slot the core renders. The docs test fails when one lacks a description, and
#: ``docs/reference/slots.md`` is generated from this table.
CATALOGUE: dict[str, Slot] = {
    s.name: s
    for s in [
        Slot("nav.main", Link, "Main navigation in the portal header, visible on every page.",
             "every page"),
        Slot("home.tiles", Tile, "Tiles on the municipality's home page, one per offering.", "`/`"),
        Slot("dashboard.widgets", Widget,
             "Widgets on the staff dashboard; give each a permission so that only the staff "
             "concerned see it.", "`/dashboard`"),
        Slot("admin.menu", Link, "Entries of the administration menu.", "`/admin/...`"),
        Slot("footer.links", Link, "Links in the page footer next to imprint and privacy.",
             "every page"),
        Slot("head.assets", Asset, "Stylesheets and scripts added to the page head; they must "
             "come from the plugin's own static folder.", "every page"),
        Slot("account.sections", Section, "Sections on a signed-in citizen's account page "
             "(for example the citizen's own bookings or saved plans).", "`/account`"),
        Slot("admin.plugin.sections", Section, "Extra sections on a plugin's admin detail page "
             "(rendered only for that plugin).", "`/admin/plugins/<slug>`"),
    ]
}
