"""JSON API under /api/v1 (same validation as the forms)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from webforms.api import public_routes  # noqa: E402,F401 - GET /conferences and /conferences/<slug>/answers
