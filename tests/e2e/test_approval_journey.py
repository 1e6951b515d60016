"""Browser journey: a leader logs in through the real login page, opens the approvals page and
approves a department's draft answer; the enterprise gets the answer email."""

from __future__ import annotations

import pytest

from tests.approval_helpers import submitted_answer
from tests.e2e.test_backoffice_journeys import browser_page, log_in, server, shot  # noqa: F401 - fixtures
from tests.factories import create_user
from tests.jobs import run_jobs
from webforms.extensions import db
from webforms.models import Assignment, AssignmentState

pytestmark = pytest.mark.e2e


def test_leader_approves_an_answer_and_the_enterprise_gets_it(app, server, browser_page, rules,  # noqa: F811
                                                               calendar, settings, mailbox):
    item = submitted_answer(app, rules, calendar, settings, contact_email="giamdoc@congty.example.vn",
                            title="Thủ tục điều chỉnh giấy chứng nhận đăng ký đầu tư")
    with app.app_context():
        leader = create_user(role="leader", email="lanhdao@heza.example.vn", name="Lãnh đạo Ban")
        db.session.commit()
        leader_email = leader.email
    run_jobs(app)  # the department's assignment email and the consolidation notice go out first
    mailbox.clear()

    page = browser_page
    log_in(page, server, leader_email)
    page.wait_for_url("**/quan-tri/hoi-nghi")
    page.get_by_role("link", name="Duyệt trả lời").click()
    page.wait_for_url("**/quan-tri/duyet-tra-loi")
    assert page.get_by_role("heading", name=f"[{item['code']}] Thủ tục điều chỉnh giấy chứng nhận đăng ký đầu tư"
                            ).is_visible()
    assert page.get_by_text("Ban Quản lý trả lời: hồ sơ điều chỉnh").is_visible()
    shot(page, "11-approvals")
    page.get_by_role("button", name="Duyệt và gửi doanh nghiệp").click()
    assert page.get_by_text(f"Đã duyệt trả lời kiến nghị {item['code']} và gửi doanh nghiệp.").is_visible()
    assert page.get_by_text("Không có dự thảo trả lời nào chờ duyệt.").is_visible()

    with app.app_context():
        db.session.rollback()  # end this session's transaction: SQLite takes the write lock at BEGIN
        assert db.session.get(Assignment, item["assignment_id"]).state == AssignmentState.APPROVED
    run_jobs(app)
    (to_enterprise,) = mailbox.to("giamdoc@congty.example.vn")
    assert item["code"] in to_enterprise.subject
    assert "Ban Quản lý trả lời: hồ sơ điều chỉnh" in to_enterprise.text
    assert [name for name, _ in to_enterprise.attachments()] == [f"tra-loi-{item['code']}.docx"]
