"""Browser journey: a leader logs in through the real login page, opens the approvals page and
approves a department's draft answer; the văn thư signs and issues the reply letter with the token
(SoftHSM2); the enterprise gets the signed PDF, its verification page confirms it, and the public folder
shows the letter's number and date."""

from __future__ import annotations

import pytest

from tests.approval_helpers import submitted_answer
from tests.e2e.test_backoffice_journeys import browser_page, log_in, server, shot  # noqa: F401 - fixtures
from tests.factories import create_user
from tests.jobs import run_jobs
from webforms.extensions import db
from webforms.models import Assignment, AssignmentState

pytestmark = pytest.mark.e2e


def test_leader_approves_an_answer_the_office_issues_it_and_the_enterprise_gets_it(
    app, server, browser_page, rules, calendar, settings, mailbox, signing_setup, monkeypatch, tmp_path  # noqa: F811
):
    token = signing_setup.config.token
    for name, value in (("SIGNING_TRUST_ANCHORS", str(signing_setup.ca.pem_path)),
                        ("SIGNING_PKCS11_MODULE", token.module), ("SIGNING_TOKEN_LABEL", token.token_label),
                        ("SIGNING_KEY_LABEL", token.key_label), ("SIGNING_PIN", token.pin)):
        monkeypatch.setenv(name, value)
    item = submitted_answer(app, rules, calendar, settings, contact_email="giamdoc@congty.example.vn",
                            title="Thủ tục điều chỉnh giấy chứng nhận đăng ký đầu tư")
    with app.app_context():
        leader = create_user(role="leader", email="lanhdao@heza.example.vn", name="Lãnh đạo Ban")
        clerk = create_user(role="secretariat", email="vanthu@heza.example.vn", name="Văn thư")
        db.session.commit()
        leader_email, clerk_email = leader.email, clerk.email
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
    page.get_by_role("button", name="Duyệt nội dung trả lời").click()
    assert page.get_by_text(
        f"Đã duyệt trả lời kiến nghị {item['code']}; văn bản trả lời chờ ký số và ban hành.").is_visible()
    assert page.get_by_text("Không có dự thảo trả lời nào chờ duyệt.").is_visible()

    with app.app_context():
        db.session.rollback()  # end this session's transaction: SQLite takes the write lock at BEGIN
        assert db.session.get(Assignment, item["assignment_id"]).state == AssignmentState.APPROVED
    run_jobs(app)
    assert mailbox.to("giamdoc@congty.example.vn") == []  # approved is not issued

    # The văn thư signs with the configured token and issues.
    clerk_page = page.context.browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    log_in(clerk_page, server, clerk_email)
    clerk_page.wait_for_url("**/quan-tri/hoi-nghi")
    clerk_page.get_by_role("link", name="Văn bản", exact=True).click()
    clerk_page.get_by_role("link", name="Đã duyệt nội dung, chờ ký").click()
    clerk_page.get_by_role("button", name="Ký số trên hệ thống và ban hành").click()
    notice = clerk_page.get_by_text("Đã ban hành văn bản số ")
    notice.wait_for()
    number = notice.inner_text().removeprefix("Đã ban hành văn bản số ").rstrip(".")
    assert number.startswith("01/BQL-")  # the drafting unit's symbol
    shot(clerk_page, "13-issued")

    run_jobs(app)
    (to_enterprise,) = mailbox.to("giamdoc@congty.example.vn")
    assert item["code"] in to_enterprise.subject
    assert "Ban Quản lý trả lời: hồ sơ điều chỉnh" in to_enterprise.text
    ((name, pdf),) = to_enterprise.attachments()
    assert name == f"Tra-loi-kien-nghi-{item['code']}.pdf"
    held = tmp_path / name
    held.write_bytes(pdf)

    # The verification page of the letter (its QR code and short URL) confirms the file the enterprise holds.
    with app.app_context():
        from webforms.domain.documents.issuing import issued_reply_letters

        letter = issued_reply_letters([item["code"]])[item["code"]]
        code, slug = letter.verify_code, letter.conference.slug
    public = page.context.browser.new_context().new_page()
    public.goto(f"{server}/xac-thuc/{code}")
    assert public.get_by_text(number, exact=True).is_visible()
    public.get_by_label("Tệp cần kiểm tra").set_input_files(str(held))
    public.get_by_role("button", name="Kiểm tra", exact=True).click()
    assert public.get_by_text(f"Tệp trùng khớp: đây đúng là văn bản số {number}.").is_visible()
    shot(public, "14-verification")

    # The public folder shows the answer with the letter's number and date.
    public.goto(f"{server}/doi-thoai-doanh-nghiep/{slug}")
    assert public.get_by_text(f"Văn bản trả lời số {number} ngày").is_visible()
