"""Bulk approve / send back on the approvals page, through the real login form and the real SMTP server."""

from tests.approval_helpers import submitted_answer
from tests.jobs import run_jobs
from tests.login import csrf, login_as
from tests.signing_helpers import issue_approved_letter
from webforms.extensions import db
from webforms.models import Assignment, AssignmentState, Recommendation, RecommendationStatus
from webforms.timeutil import utcnow

PAGE = "/quan-tri/duyet-tra-loi"
BULK = "/quan-tri/duyet-tra-loi/hang-loat"


def _two(app, rules, calendar, settings):
    return [submitted_answer(app, rules, calendar, settings, contact_email=f"giamdoc{i}@congty.example.vn",
                             title=f"Kiến nghị số {i}") for i in (1, 2)]


def _states(app, items):
    with app.app_context():
        return [db.session.get(Assignment, i["assignment_id"]).state for i in items]


def test_bulk_approve_two_at_once_and_both_enterprises_get_the_answer_once_issued(
    app, client, rules, calendar, settings, mailbox, signing_setup, signed_pdf
):
    items = _two(app, rules, calendar, settings)
    with app.app_context():
        login_as(client, "leader")
    page = client.get(PAGE).get_data(as_text=True)
    for item in items:
        assert f'name="ids" value="{item["assignment_id"]}"' in page
    token = csrf(client, PAGE)
    response = client.post(BULK, data={"csrf_token": token, "action": "approve",
                                       "ids": [str(i["assignment_id"]) for i in items]})
    assert response.status_code == 302
    after = client.get(PAGE).get_data(as_text=True)
    assert "Đã duyệt 2 trả lời" in after and "chờ ký số và ban hành" in after
    assert "Không có dự thảo trả lời nào chờ duyệt." in after
    assert _states(app, items) == [AssignmentState.APPROVED] * 2
    with app.app_context():
        for item in items:
            rec = db.session.scalar(db.select(Recommendation).where(Recommendation.code == item["code"]))
            # Approved is not answered: the recommendation is answered when its letter is issued.
            assert rec.status == RecommendationStatus.ASSIGNED and rec.approved_by_id is not None
            assert rec.answered_at is None
    run_jobs(app)
    assert mailbox.to("giamdoc1@congty.example.vn") == []  # approved is not issued
    with app.app_context():
        for item in items:
            issue_approved_letter(item["code"], signing_setup, utcnow(), signed_pdf=signed_pdf)
    run_jobs(app)
    for i, item in enumerate(items, start=1):
        (mail,) = mailbox.to(f"giamdoc{i}@congty.example.vn")
        assert item["code"] in mail.subject
    # A second submit of the same selection changes nothing and sends nothing more.
    client.post(BULK, data={"csrf_token": token, "action": "approve", "ids": [str(i["assignment_id"]) for i in items]})
    assert "Không còn chờ duyệt" in client.get(PAGE).get_data(as_text=True)
    run_jobs(app)
    assert len(mailbox.to("giamdoc1@congty.example.vn")) == 1


def test_bulk_send_back_needs_a_comment(app, client, rules, calendar, settings, mailbox):
    items = _two(app, rules, calendar, settings)
    with app.app_context():
        login_as(client, "consolidation")
    token = csrf(client, PAGE)
    ids = [str(i["assignment_id"]) for i in items]
    assert client.post(BULK, data={"csrf_token": token, "action": "send_back", "ids": ids,
                                   "comment": "  "}).status_code == 302
    assert "Vui lòng ghi ý kiến khi trả lại dự thảo." in client.get(PAGE).get_data(as_text=True)
    assert _states(app, items) == [AssignmentState.SUBMITTED] * 2
    assert client.post(BULK, data={"csrf_token": token, "action": "send_back", "ids": ids,
                                   "comment": "Bổ sung căn cứ pháp lý."}).status_code == 302
    assert "Đã trả lại 2 dự thảo cho đơn vị" in client.get(PAGE).get_data(as_text=True)
    assert _states(app, items) == [AssignmentState.SENT_BACK] * 2
    with app.app_context():
        assert {db.session.get(Assignment, i["assignment_id"]).review_comment for i in items} == {
            "Bổ sung căn cứ pháp lý."}
    mailbox.clear()
    run_jobs(app)
    sent_back = [m for m in mailbox.to("qldt@heza.example.vn") if "cần chỉnh sửa" in m.subject]
    assert len(sent_back) == 2


def test_bulk_with_nothing_selected_or_without_csrf_changes_nothing(app, client, rules, calendar, settings):
    (item, _) = _two(app, rules, calendar, settings)
    with app.app_context():
        login_as(client, "leader")
    token = csrf(client, PAGE)
    assert client.post(BULK, data={"csrf_token": token, "action": "approve"}).status_code == 302
    assert "Vui lòng chọn ít nhất một kiến nghị." in client.get(PAGE).get_data(as_text=True)
    assert client.post(BULK, data={"action": "approve", "ids": [str(item["assignment_id"])]}).status_code == 400
    assert client.post(BULK, data={"csrf_token": token, "action": "publish",
                                   "ids": [str(item["assignment_id"])]}).status_code == 400
    assert _states(app, [item]) == [AssignmentState.SUBMITTED]


def test_a_role_without_approve_answer_gets_403(app, client, rules, calendar, settings):
    (item, _) = _two(app, rules, calendar, settings)
    assert not rules.plan.may("secretariat", "approve_answer")
    with app.app_context():
        login_as(client, "secretariat")
    token = csrf(client)
    assert client.get(PAGE).status_code == 403
    assert client.post(BULK, data={"csrf_token": token, "action": "approve",
                                   "ids": [str(item["assignment_id"])]}).status_code == 403
    assert _states(app, [item]) == [AssignmentState.SUBMITTED]


def test_approvals_page_in_english(app, client, rules, calendar, settings):
    _two(app, rules, calendar, settings)
    with app.app_context():
        login_as(client, "leader")
    page = client.get(PAGE + "?lang=en").get_data(as_text=True)
    for phrase in ("Approving answers to recommendations", "Approve the selected", "Send the selected back",
                   "Approve the answer", "Send back to the unit"):
        assert phrase in page, phrase
    for phrase in ("Duyệt các mục đã chọn", "Duyệt nội dung trả lời", "Trả lại đơn vị"):
        assert phrase not in page, phrase
