"""The public "Đối thoại doanh nghiệp" folder and its feed."""

from flask import Blueprint

bp = Blueprint("folder", __name__, url_prefix="/doi-thoai-doanh-nghiep", template_folder="templates")
