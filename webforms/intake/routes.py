"""Public intake: the conference page, the registration form, the tracking page."""

from flask import Blueprint

bp = Blueprint("intake", __name__, template_folder="templates")
