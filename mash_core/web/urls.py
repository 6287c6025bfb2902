"""Addresses: absolute ones in a request and outside one (jobs, subscription handlers, CLI), and
the check of ``next`` targets (same-site paths only, never an open redirect).

A request knows the host it was called on. A job does not: there the address is built from the
current municipality's first host name (its canonical one, listed first under "Hostnamen") and
the deployment's scheme, ``PREFERRED_URL_SCHEME`` (``https`` when ``MASH_SECURE_COOKIES=1``,
i.e. behind the TLS proxy; ``http`` otherwise). Host names carry no port.
"""

from __future__ import annotations

from typing import Any, Optional
from urllib.parse import quote, urlsplit

from flask import current_app, g, has_request_context, url_for
from sqlmodel import Session

from ..models import Municipality
from ..tenancy import current_municipality_id

#: longest ``next`` target accepted (a plan address with its answers is a few hundred characters)
NEXT_MAX_LENGTH = 2000


def local_path(target: Optional[str]) -> Optional[str]:
    r"""``target`` if it is a path on this site (``/…``), else ``None`` — never an open redirect.

    Refused: other hosts (``//host``, ``https://host``), backslashes (browsers read ``/\host``
    as ``//host``), whitespace and control characters (browsers drop tabs and newlines, so
    ``/<TAB>/host`` would become ``//host``), and very long values.
    """
    if not isinstance(target, str) or len(target) > NEXT_MAX_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def municipality_host(municipality_id: int) -> str:
    """The first host name of municipality ``municipality_id``; ``RuntimeError`` if it has none."""
    known = g.get("municipality")
    if known is not None and known.id == municipality_id:
        hosts = known.host_list()
    else:
        with Session(current_app.extensions["mash"].engine) as session:
            row = session.get(Municipality, municipality_id)
            hosts = row.host_list() if row is not None else []
    if not hosts:
        raise RuntimeError(f"municipality {municipality_id} has no host name: set one in /admin (Kommunen)")
    return hosts[0]


def external_url(endpoint: str, **values: Any) -> str:
    """``url_for(endpoint, **values)`` as an absolute address, inside a request or outside one."""
    municipality_id = current_municipality_id()
    if has_request_context() and (municipality_id is None
                                  or getattr(g.get("municipality"), "id", None) == municipality_id):
        return url_for(endpoint, _external=True, **values)  # the host the request came in on
    if municipality_id is None:
        raise RuntimeError("external_url() outside a request needs a municipality context")
    app = current_app._get_current_object()
    adapter = app.url_map.bind(municipality_host(municipality_id),
                               script_name=app.config.get("APPLICATION_ROOT") or "/",
                               url_scheme=app.config.get("PREFERRED_URL_SCHEME") or "http")
    anchor = values.pop("_anchor", None)
    app.inject_url_defaults(endpoint, values)
    url = adapter.build(endpoint, values, force_external=True)
    if anchor is not None:
        url += "#" + quote(anchor, safe="%!#$&'()*+,/:;=?@")
    return url
