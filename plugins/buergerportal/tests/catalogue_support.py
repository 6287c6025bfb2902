"""Helpers of the catalogue, search and help tests."""

import re

from mash_core.api import municipality_context

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def load_demo(app, municipality=1):
    from mash_buergerportal import catalogue_demo, demo
    with app.app_context(), municipality_context(municipality):
        demo.load()
        catalogue_demo.load()


def token(client, path="/buergerportal/redaktion/"):
    page = client.get(path)
    match = CSRF.search(page.get_data(as_text=True))
    assert match, (path, page.status_code)
    return match.group(1)


def post(client, path, data, token_from="/buergerportal/redaktion/", **kwargs):
    return client.post(path, data={**data, "csrf_token": token(client, token_from)}, **kwargs)


def in_context(app, municipality=1):
    class Ctx:
        def __enter__(self):
            self.app_ctx = app.app_context()
            self.app_ctx.__enter__()
            self.tenant = municipality_context(municipality)
            self.tenant.__enter__()

        def __exit__(self, *exc):
            self.tenant.__exit__(*exc)
            self.app_ctx.__exit__(*exc)
    return Ctx()


_tokens = iter(range(10_000))


def api_headers(app, role="staff", scopes=("buergerportal.edit",), municipality=1):
    """Bearer headers of a new API token of a new user with ``role``."""
    from sqlmodel import Session

    from mash_core.identity.tokens import issue_token
    from mash_core.testing import make_user
    user = make_user(app, f"api-{role}{next(_tokens)}@example.org", [role])
    with app.app_context(), municipality_context(municipality):
        with Session(app.extensions["mash"].engine) as session:
            _, plain = issue_token(session, "test", list(scopes), user=user)
            session.commit()
    return {"Authorization": f"Bearer {plain}"}
