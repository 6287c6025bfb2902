"""Security headers on every response. The CSP forbids inline script and style everywhere."""

from __future__ import annotations

from flask import Flask

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Permissions-Policy", "geolocation=(self), camera=(), microphone=()")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response


def install(app: Flask) -> None:
    app.after_request(_headers)
