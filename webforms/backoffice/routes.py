"""Staff back office (login required)."""

from flask import Blueprint

bp = Blueprint("backoffice", __name__, url_prefix="/quan-tri", template_folder="templates")
from webforms.backoffice import approvals  # noqa: E402,F401
