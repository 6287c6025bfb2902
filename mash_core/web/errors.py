"""Error pages (HTML) and JSON errors for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _handle(exc: HTTPException):
    if request.path.startswith("/api/"):
        message = exc.description if exc.code != 404 else "not found"
        return jsonify(code=exc.code, status=exc.name, message=message), exc.code
    return render_template("core/error.html", error=exc), exc.code


def _csrf(exc: CSRFError):
    return render_template("core/error.html", error=exc, csrf=True), 400


def install(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(HTTPException, _handle)
