"""REST API at ``/api/v1`` (flask-smorest), OpenAPI at ``/api/openapi.json``, docs at ``/api/docs``.

The API authenticates with ``Authorization: Bearer <token>`` only; it is exempt from CSRF
because it never reads the session cookie.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template
from flask_smorest import Api

from ..identity.permissions import public

docs_bp = Blueprint("rest", __name__, url_prefix="/api")


@docs_bp.get("/docs")
@public
def docs():
    return render_template("core/api_docs.html")


def install(app: Flask) -> Api:
    from ..app import csrf
    from . import core

    api = Api(app, spec_kwargs={"info": {"description": "MAsH REST API. Plugins add their endpoints "
                                         "under /api/v1/<slug>/. Authenticate with a Bearer token."}})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.register_blueprint(core.blp)
    app.register_blueprint(docs_bp)
    csrf.exempt(core.blp)
    app.extensions["mash_api"] = api
    return api
