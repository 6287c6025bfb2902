"""Security headers, CSP compliance and no external assets on every page a visitor, a citizen,
staff or an admin can reach by following the portal's own links."""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest

from fixture_plugins import load
from mash_core.testing import host_client, login_client, make_user

ATTR_URL = re.compile(r'\b(?:src|href|action|data-spec|poster|srcset)\s*=\s*"([^"]*)"', re.I)
LINK = re.compile(r'\bhref\s*=\s*"([^"]*)"', re.I)
LOCAL = {"localhost", "127.0.0.1", ""}
START = ["/", "/anmelden", "/registrieren", "/impressum", "/datenschutz", "/barrierefreiheit", "/api/docs",
         "/lotsen/", "/konto/", "/dashboard", "/admin/module", "/admin/module/lotsen", "/gibt-es-nicht"]
SKIP = ("/static/", "/api/openapi.json", "/branding.css", "/manifest.webmanifest", "/konto/export")


@pytest.fixture
def app(mash_app_factory):
    return mash_app_factory(plugins=("lotsen",), extra={"fxset": load("fx_settings")})


def crawl(client, limit=80) -> dict[str, object]:
    """GET the start pages and every same-origin link found on them (breadth first)."""
    seen, pages, todo = set(), {}, deque(START)
    while todo and len(pages) < limit:
        path = todo.popleft()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        pages[path] = response
        if response.mimetype != "text/html":
            continue
        for url in LINK.findall(response.get_data(as_text=True)):
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith(SKIP):
                continue
            todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return pages


def external_urls(html: str) -> list[str]:
    found = []
    for url in ATTR_URL.findall(html):
        parts = urlsplit(url.strip())
        if parts.scheme in ("mailto", "tel"):
            continue
        if parts.netloc and parts.hostname not in LOCAL:
            found.append(url)
        elif parts.scheme not in ("", "http", "https"):
            found.append(url)  # javascript:, data: … are not allowed in markup either
    return found


def check_page(path, response):
    allowed = (200, 302, 403, 404) if path in START else (200, 302)
    assert response.status_code in allowed, (path, response.status_code)
    headers = response.headers
    csp = headers.get("Content-Security-Policy", "")
    assert csp, path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy"), path
    if response.mimetype != "text/html" or response.status_code == 302:
        return
    html = response.get_data(as_text=True)
    assert external_urls(html) == [], path
    # the CSP forbids inline script and style: markup must not rely on them
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html, re.I), f"inline script on {path}"
    assert not re.search(r"<style\b", html, re.I), f"style element on {path}"
    assert not re.search(r'\sstyle\s*=\s*"', html, re.I), f"style attribute on {path}"
    assert not re.search(r"\son[a-z]+\s*=", html, re.I), f"inline event handler on {path}"
    # every state-changing form carries a CSRF token
    for form in re.findall(r"<form\b[^>]*>.*?</form>", html, re.S | re.I):
        if re.search(r'method\s*=\s*"post"', form, re.I):
            assert 'name="csrf_token"' in form, f"form without CSRF token on {path}: {form[:120]}"


@pytest.mark.parametrize("role", [None, "citizen", "staff", "admin"])
def test_every_reachable_page_is_safe(app, role):
    client = host_client(app) if role is None else login_client(app, make_user(app, f"{role}@example.org", [role]))
    pages = crawl(client)
    assert "/" in pages and len(pages) >= 8
    if role == "admin":
        assert "/admin/module/fxset" in pages  # the crawl reaches the plugin detail pages
    broken = {path: r.status_code for path, r in pages.items() if r.status_code == 404 and path not in START}
    assert broken == {}, f"links to missing pages: {broken}"
    errors = {path: r.status_code for path, r in pages.items() if r.status_code >= 500}
    assert errors == {}
    for path, response in pages.items():
        check_page(path, response)


def test_api_and_static_responses_carry_headers(app):
    client = host_client(app)
    for path in ("/api/v1/core/municipality", "/api/openapi.json", "/static/css/mash.css", "/branding.css",
                 "/api/v1/core/me"):
        response = client.get(path)
        assert response.headers.get("X-Content-Type-Options") == "nosniff", path
        assert response.headers.get("X-Frame-Options") == "DENY", path


def test_branding_cannot_inject_css(mash_app_factory):
    from sqlmodel import Session, select

    from mash_core.db import UNSCOPED
    from mash_core.models import Municipality

    app = mash_app_factory(plugins=())
    with Session(app.extensions["mash"].engine) as session:
        m = session.exec(select(Municipality), execution_options=UNSCOPED).one()
        m.primary_color, m.accent_color = "red;}*{", "#12345g"  # the column holds 7 characters
        m.state_version += 1  # as the admin does: every worker reloads the branding
        session.add(m)
        session.commit()
    css = host_client(app).get("/branding.css").get_data(as_text=True)
    assert "}*{" not in css and "--brand: #8a1538" in css and "--accent: #1d4f91" in css


def test_external_logo_url_is_not_rendered(mash_app_factory):
    """A municipality's logo must come from the portal itself (no asset from elsewhere)."""
    from sqlmodel import Session, select

    from mash_core.db import UNSCOPED
    from mash_core.models import Municipality

    app = mash_app_factory(plugins=())
    with Session(app.extensions["mash"].engine) as session:
        m = session.exec(select(Municipality), execution_options=UNSCOPED).one()
        m.logo_url = "https://cdn.example.com/logo.png"
        m.state_version += 1  # as the admin does: every worker reloads the branding
        session.add(m)
        session.commit()
    html = host_client(app).get("/").get_data(as_text=True)
    assert external_urls(html) == []
    with Session(app.extensions["mash"].engine) as session:
        m = session.exec(select(Municipality), execution_options=UNSCOPED).one()
        m.logo_url = "/static/icon.svg"
        m.state_version += 1  # as the admin does: every worker reloads the branding
        session.add(m)
        session.commit()
    assert '<img src="/static/icon.svg"' in host_client(app).get("/").get_data(as_text=True)
