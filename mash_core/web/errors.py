"""Error pages (HTML) and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _handle(exc: HTTPException):
    if request.path.startswith("/api/"):
        message = exc.description if exc.code != 404 else "not found"
        api = current_app.extensions.get("mash_api")
        if api is None:
            return jsonify(code=exc.code, status=exc.name, message=message), exc.code
        # flask-smorest's payload keeps validation details ("errors") and extra headers
        payload, code, headers = api.handle_http_exception(exc)
        payload.setdefault("message", message)
        return jsonify(payload), code, headers
    if g.get("municipality") is None:  # static files, no municipality yet: no portal layout
        return exc.get_response()
    return render_template("core/error.html", error=exc), exc.code


def _csrf(exc: CSRFError):
    return render_template("core/error.html", error=exc, csrf=True), 400


def install(app: Flask) -> None:
    """Call after the REST API is set up: flask-smorest registers its own handler for every
    ``HTTPException``, which would otherwise answer HTML pages with JSON."""
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _handle)
