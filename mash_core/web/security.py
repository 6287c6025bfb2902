"""Security headers on every response. The CSP forbids inline script and style everywhere.

A view may widen a few fetch directives of its own response with :func:`allow_source` (in the
facade: ``mash_core.api.allow_csp_source``), e.g. a map page that loads tiles from a tile
server. Only host sources of the directives in :data:`EXTENSIBLE` are accepted: scripts, styles,
frames and keywords such as ``'unsafe-inline'`` can never be added this way.
"""

from __future__ import annotations

import re

from flask import Flask, g

#: the policy as (directive, sources); :data:`CSP` is its text
POLICY = (
    ("default-src", ("'self'",)), ("script-src", ("'self'",)), ("style-src", ("'self'",)),
    ("img-src", ("'self'", "data:")), ("font-src", ("'self'",)), ("connect-src", ("'self'",)),
    ("object-src", ("'none'",)), ("base-uri", ("'self'",)), ("form-action", ("'self'",)),
    ("frame-ancestors", ("'none'",)),
)
#: the directives a view may widen for its response
EXTENSIBLE = frozenset({"img-src", "connect-src"})
#: a host source: https with a host name (optionally ``*.`` for its subdomains) and port, or plain
#: http on this machine (localhost, 127.x.x.x, [::1]); no path, no wildcard-only, no keyword
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
SOURCE = re.compile(rf"(?:https://(?:\*\.)?(?:{_LABEL}\.)*{_LABEL}"
                    r"|http://(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]))(?::\d{1,5})?", re.I)
_EXTRA = "_mash_csp_extra"


def policy(extra: dict[str, list[str]] | None = None) -> str:
    """The policy's text, with ``extra`` sources appended to their directives."""
    extra = extra or {}
    return "; ".join(" ".join((name, *sources, *(s for s in extra.get(name, ()) if s not in sources)))
                     for name, sources in POLICY)


CSP = policy()


def allow_source(directive: str, *sources: str) -> None:
    """Add host ``sources`` to ``directive`` of the current response's CSP (request context only)."""
    if directive not in EXTENSIBLE:
        raise ValueError(f"the CSP directive {directive!r} cannot be widened (only {sorted(EXTENSIBLE)})")
    for source in sources:
        if not isinstance(source, str) or not SOURCE.fullmatch(source):
            raise ValueError(f"not an allowed CSP host source: {source!r}")
    extra = g.setdefault(_EXTRA, {})
    current = extra.setdefault(directive, [])
    current.extend(s.lower() for s in sources if s.lower() not in current)


HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", "geolocation=(self), camera=(), microphone=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)


def _headers(response):
    h = response.headers
    present = {key.lower() for key in h.keys()}  # a view may set its own, e.g. a wider CSP
    extra = g.get(_EXTRA)
    for key, value in HEADERS:
        if key.lower() not in present:
            h.add(key, policy(extra) if extra and key == "Content-Security-Policy" else value)
    return response


def install(app: Flask) -> None:
    app.after_request(_headers)
