"""Security headers on every response. The CSP forbids inline script and style everywhere."""

from __future__ import annotations

from flask import Flask

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


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
    for key, value in HEADERS:
        if key.lower() not in present:
            h.add(key, value)
    return response


def install(app: Flask) -> None:
    app.after_request(_headers)
