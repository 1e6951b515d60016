"""JSON API under /api/v1 (same validation as the forms)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
