"""REST API: OpenAPI document, JSON errors, token-only authentication, vendored docs page."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from sqlmodel import Session

from fixture_plugins import load
from mash_core.identity.tokens import issue_token
from mash_core.tenancy import municipality_context
from mash_core.testing import host_client, login_client, make_user

EXTERNAL = re.compile(r'(?:src|href)="(https?://(?!localhost|127\.0\.0\.1)[^"]*)"')


@pytest.fixture
def app(mash_app_factory):
    return mash_app_factory(plugins=("lotsen",), extra={"fxapi": load("fx_api")})


def token(app, scopes, roles=("staff",), email="api@example.org"):
    user = make_user(app, email, roles) if roles is not None else None
    with Session(app.extensions["mash"].engine) as session, municipality_context(1):
        _, plain = issue_token(session, "test", list(scopes), user=user)
        session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_openapi_document_is_valid_and_lists_plugin_paths(app):
    response = host_client(app).get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    validate(spec)  # raises on an invalid OpenAPI document
    assert spec["openapi"].startswith("3.1")
    paths = spec["paths"]
    for path in ("/api/v1/lotsen/pilots", "/api/v1/core/municipality", "/api/v1/core/me",
                 "/api/v1/fxapi/secret", "/api/v1/fxapi/echo"):
        assert path in paths, path
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert "post" in paths["/api/v1/fxapi/echo"] and "requestBody" in paths["/api/v1/fxapi/echo"]["post"]


def test_plugin_and_core_endpoints(app):
    client = host_client(app)
    assert client.get("/api/v1/lotsen/pilots").get_json() == []
    municipality = client.get("/api/v1/core/municipality").get_json()
    assert municipality["slug"] == "heidelberg" and municipality["name"] == "Stadt Heidelberg"
    assert "hosts" not in municipality and "id" not in municipality
    plugins = {p["slug"]: p for p in client.get("/api/v1/core/plugins").get_json()}
    assert set(plugins) == {"lotsen", "fxapi"} and plugins["fxapi"]["version"] == "0.0.test"


@pytest.mark.parametrize("method,path,status", [
    ("get", "/api/v1/nothing-here", 404),
    ("get", "/api/v1/lotsen/nothing-here", 404),
    ("get", "/api/v1/core/me", 401),
    ("get", "/api/v1/fxapi/secret", 401),
    ("post", "/api/v1/core/municipality", 405),
])
def test_errors_are_json(app, method, path, status):
    response = getattr(host_client(app), method)(path)
    assert response.status_code == status
    assert response.is_json, response.get_data(as_text=True)[:200]
    body = response.get_json()
    assert body["code"] == status and body["message"]


def test_forbidden_is_json_with_the_missing_permission(app):
    response = host_client(app).get("/api/v1/fxapi/secret", headers=token(app, ["core.dashboard"]))
    assert response.status_code == 403 and response.is_json
    assert "fxapi.read" in response.get_json()["message"]


def test_api_uses_tokens_not_cookies_and_needs_no_csrf(app):
    auth = token(app, ["fxapi.read"])
    ok = host_client(app).post("/api/v1/fxapi/echo", json={"text": "hallo"}, headers=auth)
    assert ok.status_code == 200 and ok.get_json() == {"text": "hallo"}
    invalid = host_client(app).post("/api/v1/fxapi/echo", json={"text": ""}, headers=auth)
    assert invalid.status_code == 422 and invalid.is_json
    assert "text" in invalid.get_json()["errors"]["json"]
    # a signed-in browser session does not authenticate the API (so CSRF cannot reach it)
    browser = login_client(app, make_user(app, "browser@example.org", ["admin"]))
    assert browser.post("/api/v1/fxapi/echo", json={"text": "hallo"}).status_code == 401


def test_page_errors_are_html(app):
    response = host_client(app).get("/gibt-es-nicht")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Seite nicht gefunden" in response.get_data(as_text=True)


def test_docs_page_uses_vendored_assets_only(app):
    client = host_client(app)
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-spec="/api/openapi.json"' in html
    assert EXTERNAL.findall(html) == []
    assert "//" not in "".join(re.findall(r'(?:src|href)="([^"]*)"', html))  # not even protocol-relative
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.data) > 100, asset
    assert "<script>" not in html  # the CSP allows no inline script


def test_docs_script_disables_the_external_validator(app):
    script = host_client(app).get("/static/js/api-docs.js").get_data(as_text=True)
    # Swagger UI's default validatorUrl is https://validator.swagger.io: an external request
    assert re.search(r"validatorUrl:\s*null", script)
    assert "http" not in script.split("SwaggerUIBundle(", 1)[1]
