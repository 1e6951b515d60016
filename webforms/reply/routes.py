"""Department answer pages behind a signed link (no login: the link is the credential)."""

from flask import Blueprint

bp = Blueprint("reply", __name__, url_prefix="/tra-loi", template_folder="templates")
