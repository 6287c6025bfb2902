"""The administration area ``/admin`` (permission ``core.admin``); every action is audited."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from . import plugins, municipalities, users, tokens, audit_log, feedback, health, jobs, dead_letters  # noqa: E402,F401
