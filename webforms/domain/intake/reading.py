"""What the enterprise's status page and the API read about a recommendation."""

from __future__ import annotations

from flask_babel import gettext as _

from webforms.models import (
    Recommendation,
    RecommendationStatus,
)


def recommendation_status_label(rec: Recommendation) -> str:
    labels = {
        RecommendationStatus.RECEIVED: _("Đã tiếp nhận"),
        RecommendationStatus.SCREENED_OUT: _("Không thuộc phạm vi Hội nghị"),
        RecommendationStatus.ASSIGNED: _("Đã chuyển đơn vị chuyên môn xử lý"),
        RecommendationStatus.ANSWERED_AT_CONFERENCE: _("Đã trả lời tại Hội nghị"),
        RecommendationStatus.ANSWERED_IN_WRITING: _("Đã trả lời bằng văn bản"),
    }
    return labels.get(rec.status, rec.status)


def approved_answer(rec: Recommendation) -> str | None:
    if rec.status in (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING):
        return rec.answer or None
    return None
