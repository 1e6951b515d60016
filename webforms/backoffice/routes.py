"""Staff back office (login required). The URL map is spread over one module per subject, each
importing `bp` from here; the imports at the bottom register them."""

from flask import Blueprint, redirect, url_for

from webforms.backoffice.access import permission_required

bp = Blueprint("backoffice", __name__, url_prefix="/quan-tri", template_folder="templates")


@bp.context_processor
def _labels():
    from webforms.backoffice.access import may
    from webforms.backoffice.labels import all_labels

    return {**all_labels(), "may": may}


@bp.get("/")
@permission_required("view_dashboard")
def home():
    return redirect(url_for("backoffice.conferences"))


from webforms.backoffice import (  # noqa: E402,F401 - registers their routes on bp
    admin_views,
    approvals,
    auth,
    checkin_views,
    conclusion_views,
    conference_views,
    issuing_views,
    recommendation_views,
    rules_views,
)
