"""The dashboard and the API read the same figures as the quorum and the documents (issue #12 item 1)."""

from __future__ import annotations

from tests.documents.conftest import build_full_conference
from tests.documents.test_figures import _as_screening_leaves_it
from webforms.domain.intake.quorum import intake_figures
from webforms.extensions import db


def test_dashboard_and_api_show_the_quorum_s_figures(client, staff, app_ctx, rules, calendar):
    full = build_full_conference(rules)
    _as_screening_leaves_it(full)
    conference = full.conference  # held: public, with its figures
    db.session.commit()
    figures = intake_figures(conference, rules, calendar)
    assert figures.in_scope == 4
    body = client.get(f"/api/v1/conferences/{conference.slug}").get_json()
    assert body["counts"] == {"enterprises": figures.registrations, "recommendations": figures.in_scope}
    staff("admin")
    page = client.get(f"/quan-tri/hoi-nghi/{conference.slug}").get_data(as_text=True)
    assert f"<strong>{figures.in_scope}</strong> / {rules.plan.min_recommendations}" in page
    assert "Tiếp nhận đến hết hạn: 5 kiến nghị, trong đó 1 không thuộc phạm vi, 4 thuộc phạm vi" in page
    assert "4 chưa sàng lọc" in page
    assert "Doanh nghiệp tham dự Hội nghị: 2." in page
