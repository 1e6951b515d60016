"""The public home page and the liveness probe."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select, text

from webforms.extensions import db
from webforms.models import Conference, ConferenceStatus

bp = Blueprint("public", __name__, template_folder="templates")


@bp.get("/")
def index():
    """Conferences that are public (announced or later), soonest first."""
    conferences = db.session.scalars(
        select(Conference)
        .where(Conference.status != ConferenceStatus.DRAFT)
        .order_by(Conference.starts_at.desc())
    ).all()
    return render_template("public/index.html", conferences=conferences)


@bp.get("/healthz")
def healthz():
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
