"""Conference mode refuses an answer "at the conference" before the conference starts, in words."""

from __future__ import annotations

import datetime as dt

from tests.factories import create_conference, create_recommendation, create_registration
from tests.login import csrf
from webforms.extensions import db
from webforms.models import RecommendationStatus


def test_before_the_conference_an_answer_there_is_refused_with_the_reason(client, staff, app_ctx):
    starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
    conference = create_conference(slug="hn-sap-toi", starts_at=starts)
    rec = create_recommendation(create_registration(conference))
    db.session.commit()
    staff("consolidation")
    page = client.get("/quan-tri/hoi-nghi/hn-sap-toi/phien-hop").get_data(as_text=True)
    assert "Ghi nhận trả lời khi Hội nghị bắt đầu" in page
    assert 'name="answer"' not in page
    token = csrf(client)
    refused = client.post(f"/quan-tri/kien-nghi/{rec.id}/tra-loi-tai-hoi-nghi", data={
        "csrf_token": token, "answered_by": "Phó Trưởng ban", "answer": "Đã trả lời."}, follow_redirects=True)
    assert refused.status_code == 200
    assert "Hội nghị chưa bắt đầu: chỉ ghi nhận trả lời tại Hội nghị từ" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert rec.status != RecommendationStatus.ANSWERED_AT_CONFERENCE
