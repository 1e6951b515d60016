"""The department's answer page behind its link, and approval in the back office, through the test
client with the real SMTP server."""

import datetime as dt
import io
import re

import pytest

from tests.factories import (
    create_conference,
    create_enterprise,
    create_recommendation,
    create_registration,
    create_user,
)
from tests.jobs import run_jobs
from tests.signing_helpers import issue_approved_letter
from webforms.domain import events
from webforms.domain.documents.signing import validate_signed_pdf
from webforms.domain.links import sign_link
from webforms.domain.reminders import run_reminders
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AssignmentState,
    Attachment,
    AuditEvent,
    OutboxMessage,
    Recommendation,
    RecommendationStatus,
)
from webforms.timeutil import utcnow

LINK = re.compile(r"http://localhost(/tra-loi/[A-Za-z0-9_.\-]+)")


def csrf(page: bytes, prefix: str = "") -> str:
    name = f"{prefix}-csrf_token" if prefix else "csrf_token"
    match = re.search(rf'name="{re.escape(name)}" type="hidden" value="([^"]+)"', page.decode())
    assert match, f"no {name} in the page"
    return match.group(1)


@pytest.fixture
def leader_client(app, client):
    """A client logged in as a leader; session protection off for this test only (the login form
    belongs to the back-office work)."""
    with app.app_context():
        user = create_user(role="leader", email="lanhdao@heza.example.vn")
        db.session.commit()
        user_id = user.id
    saved = app.login_manager.session_protection
    app.login_manager.session_protection = None
    with client.session_transaction() as session:
        session["_user_id"] = f"{user_id}:0"  # "<id>:<session version>" (issue 16, F5)
        session["auth_at"] = utcnow().timestamp()
        session["_fresh"] = True
    yield client
    app.login_manager.session_protection = saved


def future_recommendation(app, rules, calendar, settings, *, field="DAU_TU", zone="KCN-VSIP", **kwargs):
    """A recommendation for a conference three weeks from the real clock (the views read it)."""
    with app.app_context():
        now = utcnow()
        conference = create_conference(starts_at=now + dt.timedelta(days=21))
        registration = create_registration(conference, create_enterprise(zone_code=zone),
                                           contact_email="giamdoc@congty.example.vn")
        rec = create_recommendation(registration, field_code=field, **kwargs)
        events.recommendation_received.send(rec, now=now, rules=rules, calendar=calendar, settings=settings)
        run_reminders(now, rules, calendar, settings)
        db.session.commit()
        return rec.code


def link_from_mail(mailbox, address: str) -> str:
    messages = mailbox.to(address)
    assert messages, f"no mail to {address}"
    match = LINK.search(messages[-1].text)
    assert match, "no link in the email"
    return match.group(1)


def rec_by_code(code: str) -> Recommendation:
    return db.session.scalar(db.select(Recommendation).where(Recommendation.code == code))


@pytest.mark.slow
def test_end_to_end_email_link_draft_approve_enterprise_gets_the_answer(
    signing_setup, app, client, leader_client, rules, calendar, settings, mailbox
):
    code = future_recommendation(app, rules, calendar, settings, title="Điều chỉnh dự án <đầu tư> & mở rộng")
    run_jobs(app)
    department_mail = mailbox.to("qldt@heza.example.vn")
    assert len(department_mail) == 1
    assert f"[{code}]" in department_mail[0].subject
    path = link_from_mail(mailbox, "qldt@heza.example.vn")

    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Điều chỉnh dự án &lt;đầu tư&gt; &amp; mở rộng" in html
    assert "Ngày 0" in html and "Hạn trả lời bằng văn bản" in html

    answer = "Căn cứ Điều 41 Luật Đầu tư 2020, doanh nghiệp nộp hồ sơ điều chỉnh tại Bộ phận một cửa."
    form = {"draft-csrf_token": csrf(page.data, "draft"), "draft-answer": answer, "draft-answer_mode": "in_writing"}
    assert client.post(path + "/du-thao", data=form).status_code == 302
    assert client.post(path + "/du-thao", data=form).status_code == 302  # double submit
    # The page's second button of the same form: what is typed is saved and goes for approval.
    assert client.post(path + "/du-thao", data={**form, "draft-intent": "submit"}).status_code == 302
    token = csrf(page.data, "draft")  # the older separate route still refuses nothing twice
    assert client.post(path + "/gui-duyet", data={"submit-csrf_token": token}).status_code == 302
    with app.app_context():
        rec = rec_by_code(code)
        owner = rec.assignments[0]
        assert owner.state == AssignmentState.SUBMITTED and owner.draft_answer == answer
        drafts = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(
            ["answer.draft", "answer.submit"]))).all()
        assert sorted(e.action for e in drafts) == ["answer.draft", "answer.submit"]
        assert all(e.actor_kind == "department_link" and e.ip == "127.0.0.1" for e in drafts)
        assignment_id = owner.id

    listing = leader_client.get("/quan-tri/duyet-tra-loi")
    assert listing.status_code == 200 and code in listing.get_data(as_text=True)
    approve = {"csrf_token": csrf(listing.data)}
    assert leader_client.post(f"/quan-tri/duyet-tra-loi/{assignment_id}/duyet", data=approve).status_code == 302
    assert leader_client.post(f"/quan-tri/duyet-tra-loi/{assignment_id}/duyet", data=approve).status_code == 302
    run_jobs(app)
    # Approval is not issue: nothing reaches the enterprise and nothing is published yet.
    assert mailbox.to("giamdoc@congty.example.vn") == []
    with app.app_context():
        rec = rec_by_code(code)
        assert rec.answer == answer and not rec.published
        issued = issue_approved_letter(code, signing_setup, utcnow())
        number_text = issued.number_text
    run_jobs(app)

    (to_enterprise,) = mailbox.to("giamdoc@congty.example.vn")
    assert to_enterprise.subject.startswith(f"[{code}] Trả lời kiến nghị")
    assert answer in to_enterprise.text
    assert to_enterprise.message["Reply-To"] == "dngsdt@heza.example.vn"
    ((name, data),) = to_enterprise.attachments()
    assert name == f"Tra-loi-kien-nghi-{code}.pdf"
    assert data.startswith(b"%PDF")
    assert validate_signed_pdf(data, signing_setup.config).valid
    assert number_text == "01/BQL-QLĐT"  # the drafting unit's symbol (rules: per drafting unit)
    with app.app_context():
        rec = rec_by_code(code)
        assert rec.answer == answer
        assert rec.status == RecommendationStatus.ANSWERED_IN_WRITING
        assert rec.answered_at is not None and rec.published
        assert rec.approved_by_id is not None
    # The link still opens, read-only, after approval.
    assert "đã được duyệt" in client.get(path).get_data(as_text=True)


def test_typed_text_goes_for_approval_without_saving_first(app, client, rules, calendar, settings, mailbox):
    """One form, two buttons: pressing "Gửi dự thảo để lãnh đạo duyệt" straight after typing sends the typed
    text (it used to be a separate form that sent the last saved draft, or refused an empty one)."""
    code = future_recommendation(app, rules, calendar, settings, field="LAO_DONG")
    run_jobs(app)
    path = link_from_mail(mailbox, "qlld@heza.example.vn")
    page = client.get(path)
    html = page.get_data(as_text=True)
    form_html = html[html.index(f'action="{path}/du-thao"'):]
    form_html = form_html[:form_html.index("</form>")]
    assert 'name="draft-intent" value="save"' in form_html and 'name="draft-intent" value="submit"' in form_html
    assert "data-warn-unsaved" in html and "unsaved.js" in html
    assert f'action="{path}/gui-duyet"' not in html
    typed = "Căn cứ Điều 151 Bộ luật Lao động, hồ sơ cấp giấy phép lao động gồm các giấy tờ sau."
    sent = client.post(path + "/du-thao", data={"draft-csrf_token": csrf(page.data, "draft"), "draft-answer": typed,
                                                "draft-intent": "submit"})
    assert sent.status_code == 302
    with app.app_context():
        owner = rec_by_code(code).assignments[0]
        assert owner.state == AssignmentState.SUBMITTED and owner.draft_answer == typed
    assert "Đã gửi dự thảo trả lời để lãnh đạo duyệt." in client.get(path).get_data(as_text=True)


def test_send_back_emails_the_department_with_its_link(app, client, leader_client, rules, calendar, settings,
                                                        mailbox):
    code = future_recommendation(app, rules, calendar, settings, field="LAO_DONG")
    run_jobs(app)
    path = link_from_mail(mailbox, "qlld@heza.example.vn")
    page = client.get(path)
    client.post(path + "/du-thao", data={"draft-csrf_token": csrf(page.data, "draft"), "draft-answer": "Dự thảo."})
    client.post(path + "/gui-duyet", data={"submit-csrf_token": csrf(page.data, "draft")})
    with app.app_context():
        assignment_id = rec_by_code(code).assignments[0].id
    listing = leader_client.get("/quan-tri/duyet-tra-loi")
    empty = leader_client.post(f"/quan-tri/duyet-tra-loi/{assignment_id}/tra-lai",
                               data={"csrf_token": csrf(listing.data), "comment": ""})
    assert empty.status_code == 302
    leader_client.post(f"/quan-tri/duyet-tra-loi/{assignment_id}/tra-lai",
                       data={"csrf_token": csrf(listing.data), "comment": "Bổ sung căn cứ pháp lý."})
    run_jobs(app)
    sent_back = [m for m in mailbox.to("qlld@heza.example.vn") if "cần chỉnh sửa" in m.subject]
    assert len(sent_back) == 1 and "Bổ sung căn cứ pháp lý." in sent_back[0].text
    again = LINK.search(sent_back[0].text).group(1)  # signed anew: same assignment, same version
    assert "Bổ sung căn cứ pháp lý." in client.get(again).get_data(as_text=True)
    assert "Bổ sung căn cứ pháp lý." in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).state == AssignmentState.SENT_BACK


def test_approval_needs_the_permission(app, client, rules, calendar, settings):
    with app.app_context():
        user = create_user(role="secretariat")
        db.session.commit()
        user_id = user.id
    assert client.get("/quan-tri/duyet-tra-loi").status_code in (302, 401)
    saved = app.login_manager.session_protection
    app.login_manager.session_protection = None
    try:
        with client.session_transaction() as session:
            session["_user_id"] = f"{user_id}:0"
            session["auth_at"] = utcnow().timestamp()
        assert client.get("/quan-tri/duyet-tra-loi").status_code == 403
    finally:
        app.login_manager.session_protection = saved


def test_tampered_expired_and_unknown_links_get_a_clear_page(app, client, rules, calendar, settings, mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    for bad in (path[:-3] + "xyz", "/tra-loi/abc", "/tra-loi/" + "a" * 5000, path + "/tep/999"):
        response = client.get(bad)
        assert response.status_code == 404, bad
    assert "dngsdt@heza.example.vn" in client.get("/tra-loi/abc").get_data(as_text=True)
    # A conference long past: the link has expired (coordinated deadline + grace).
    with app.app_context():
        old = create_conference(starts_at=dt.datetime(2024, 9, 5, 8, 30, tzinfo=dt.UTC))
        registration = create_registration(old)
        rec = create_recommendation(registration)
        events.recommendation_received.send(rec, now=dt.datetime(2024, 8, 20, tzinfo=dt.UTC), rules=rules,
                                            calendar=calendar, settings=settings)
        token = sign_link(rec.assignments[0], settings.secret_key)
        db.session.commit()
    response = client.get(f"/tra-loi/{token}")
    assert response.status_code == 410
    assert "hết hiệu lực" in response.get_data(as_text=True)
    assert "dngsdt@heza.example.vn" in response.get_data(as_text=True)
    # A POST with a broken token is refused the same way, never a 500; without CSRF it is a 400.
    token = csrf(client.get(path).data, "draft")
    assert client.post("/tra-loi/abc/du-thao", data={"draft-csrf_token": token}).status_code == 404
    assert client.post(path + "/du-thao", data={}).status_code == 400
    with app.app_context():
        assert rec_by_code(code).assignments[0].draft_answer == ""


def test_delegation_revokes_the_old_link_and_mails_a_new_one(app, client, rules, calendar, settings, mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    old_path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(old_path)
    form = {"delegate-csrf_token": csrf(page.data, "delegate"), "delegate-name": "Trần Thị Bình",
            "delegate-email": "tt.binh@heza.example.vn"}
    bad = client.post(old_path + "/giao-dong-nghiep", data={**form, "delegate-email": "khong-phai-email"})
    assert bad.status_code == 302 and "Email không hợp lệ" in client.get(old_path).get_data(as_text=True)
    assert client.post(old_path + "/giao-dong-nghiep", data=form).status_code == 302
    assert client.post(old_path + "/giao-dong-nghiep", data=form).status_code == 410  # double submit: old link
    run_jobs(app)
    (to_colleague,) = mailbox.to("tt.binh@heza.example.vn")
    assert f"[{code}]" in to_colleague.subject and "qldt@heza.example.vn" in to_colleague.rcpt_tos  # cc
    new_path = LINK.search(to_colleague.text).group(1)
    assert new_path != old_path
    refused = client.get(old_path)
    assert refused.status_code == 410 and "thu hồi" in refused.get_data(as_text=True)
    assert client.get(new_path).status_code == 200
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "assignment.delegate"))
        assert event.details["to_holder"] == "tt.binh@heza.example.vn"
        assert event.details["from_holder"] == "qldt@heza.example.vn"


def test_return_as_not_ours_reassigns_and_the_old_link_is_refused(app, client, rules, calendar, settings,
                                                                   mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    form = {"return-csrf_token": csrf(page.data, "return"), "return-reason": "Thuộc lĩnh vực môi trường.",
            "return-suggested": "TNMT"}
    assert client.post(path + "/tra-lai", data={**form, "return-reason": ""}).status_code == 302
    response = client.post(path + "/tra-lai", data=form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/tra-loi/da-xu-ly")
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kiến nghị đã được chuyển cho" in done  # the unit's name, from the session, shown once
    assert "Kiến nghị đã được chuyển cho" not in client.get(response.headers["Location"]).get_data(as_text=True)
    # Text written into the address is not printed on the agency's page (review F22).
    forged = client.get("/tra-loi/da-xu-ly?what=giao&to=Truy+c%E1%BA%ADp+evil.example").get_data(as_text=True)
    assert "evil.example" not in forged and "Đã giao cho đồng nghiệp" not in forged
    assert client.post(path + "/tra-lai", data=form).status_code == 410
    assert client.get(path).status_code == 410
    run_jobs(app)
    (to_new,) = mailbox.to("tnmt@heza.example.vn")
    assert "Chuyển lại kiến nghị" in to_new.subject and "Thuộc lĩnh vực môi trường." in to_new.text
    assert client.get(LINK.search(to_new.text).group(1)).status_code == 200
    with app.app_context():
        rec = rec_by_code(code)
        assert [(a.department.code, a.state) for a in rec.assignments] == [
            ("QLDT", AssignmentState.RETURNED), ("TNMT", AssignmentState.OPEN)]


def test_coordination_moves_the_deadline_and_the_agency_input_reaches_the_owner(app, client, rules, calendar,
                                                                               settings, mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    form = {"coordination-csrf_token": csrf(page.data, "coordination"), "coordination-agencies": ["THUE", "HQ"],
            "coordination-note": "Đề nghị cho ý kiến về ưu đãi thuế."}
    assert client.post(path + "/phoi-hop", data=form).status_code == 302
    assert client.post(path + "/phoi-hop", data=form).status_code == 302  # double submit: nobody asked twice
    with app.app_context():
        rec = rec_by_code(code)
        owner = rec.assignments[0]
        assert rec.needs_coordination
        d = rec.conference.starts_at.astimezone(rules.plan.timezone).date()
        assert owner.due_at.astimezone(rules.plan.timezone).date() == calendar.add_working_days(d, 14)
        assert [a.department.code for a in rec.assignments[1:]] == ["THUE", "HQ"]
    run_jobs(app)
    (to_tax,) = mailbox.to("thue@haiphong.example.vn")
    assert "Đề nghị phối hợp" in to_tax.subject and "ưu đãi thuế" in to_tax.text
    assert len(mailbox.to("haiquan@haiphong.example.vn")) == 1
    tax_path = LINK.search(to_tax.text).group(1)
    tax_page = client.get(tax_path)
    assert tax_page.status_code == 200
    assert 'enctype="multipart/form-data"' in tax_page.get_data(as_text=True)

    def give_input(files):
        return client.post(tax_path + "/y-kien-phoi-hop", data={
            "input-csrf_token": csrf(tax_page.data, "input"),
            "input-text": "Doanh nghiệp được hưởng ưu đãi theo Nghị định 31.",
            "input-attachments": [(io.BytesIO(data), name) for name, data in files]})

    # A refused file: the message next to the field, the input not sent, nothing kept.
    refused = give_input([("Bảng tính ưu đãi.pdf", b"\x7fELF not a pdf")])
    assert refused.status_code == 422
    assert "không khớp với định dạng PDF" in refused.get_data(as_text=True)
    assert stored_files(settings) == set()
    with app.app_context():
        assert rec_by_code(code).assignments[1].state == "open"

    assert give_input([("Bảng tính ưu đãi.pdf", PDF)]).status_code == 302
    run_jobs(app)
    (to_owner,) = [m for m in mailbox.to("qldt@heza.example.vn") if "Ý kiến phối hợp" in m.subject]
    assert "Bảng tính ưu đãi.pdf" in to_owner.text
    tax = rules.department("THUE").name  # the coordinating agency, not the plan's agency, gave the input
    assert to_owner.subject.endswith(f"Ý kiến phối hợp của {tax}") and f"{tax} đã gửi ý kiến" in to_owner.text
    owner_page = client.get(path).get_data(as_text=True)
    assert "Nghị định 31" in owner_page and "Bảng tính ưu đãi.pdf" in owner_page
    with app.app_context():
        (item,) = db.session.scalars(db.select(Attachment)).all()
        tax_assignment = rec_by_code(code).assignments[1]
        assert item.assignment_id == tax_assignment.id and item.recommendation_id is None
        assert db.session.scalar(db.select(AuditEvent.action).where(
            AuditEvent.action == "coordination.attachment_add")) == "coordination.attachment_add"
    assert client.get(f"{path}/tep/{item.id}").data == PDF  # the owner downloads it through its own link
    assert client.get(f"{tax_path}/tep/{item.id}").data == PDF  # and the agency that sent it
    customs_path = LINK.search(mailbox.to("haiquan@haiphong.example.vn")[0].text).group(1)
    assert client.get(f"{customs_path}/tep/{item.id}").status_code == 404  # another agency: not its business
    assert "Bảng tính ưu đãi.pdf" in client.get(tax_path).get_data(as_text=True)  # listed, read-only


def test_attachments_are_served_only_through_the_link(app, client, rules, calendar, settings, mailbox):

    code = future_recommendation(app, rules, calendar, settings)
    with app.app_context():
        rec = rec_by_code(code)
        folder = settings.resolved_uploads_dir
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "a1b2c3").write_bytes(b"%PDF-1.4 test")
        item = Attachment(recommendation_id=rec.id, original_name="Hồ sơ.pdf", stored_name="a1b2c3",
                          content_type="application/pdf", size=13, sha256="0" * 64)
        db.session.add(item)
        db.session.commit()
        attachment_id = item.id
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    assert "Hồ sơ.pdf" in client.get(path).get_data(as_text=True)
    response = client.get(f"{path}/tep/{attachment_id}")
    assert response.status_code == 200 and response.data == b"%PDF-1.4 test"
    assert client.get(f"/tra-loi/abc/tep/{attachment_id}").status_code == 404


def test_no_outbox_row_twice_for_the_same_department_email(app, rules, calendar, settings):
    future_recommendation(app, rules, calendar, settings)
    with app.app_context():
        run_reminders(utcnow(), rules, calendar, settings)
        db.session.commit()
        keys = db.session.scalars(db.select(OutboxMessage.dedupe_key)).all()
        assert len([k for k in keys if k.startswith("assign:")]) == 1


# -- the department's files with its draft ---------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 120


def department_files(code: str):

    rec = rec_by_code(code)
    ids = [a.id for a in rec.assignments]
    return db.session.scalars(db.select(Attachment).where(Attachment.assignment_id.in_(ids))
                              .order_by(Attachment.id)).all()


def upload_form(page: bytes, files, answer: str = "Dự thảo có tài liệu kèm theo.") -> dict:
    return {"draft-csrf_token": csrf(page, "draft"), "draft-answer": answer, "draft-answer_mode": "in_writing",
            "draft-attachments": [(io.BytesIO(data), name) for name, data in files]}


def stored_files(settings) -> set[str]:
    folder = settings.resolved_uploads_dir
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.slow
def test_draft_files_are_listed_removable_and_reach_the_enterprise_with_the_answer(
    signing_setup,
        app, client, leader_client, rules, calendar, settings, mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    assert 'enctype="multipart/form-data"' in page.get_data(as_text=True)
    files = [("Công văn 123-BQL.pdf", PDF), ("Phụ lục.pdf", b"%PDF-1.4\nphu luc\n%%EOF\n")]
    assert client.post(path + "/du-thao", data=upload_form(page.data, files)).status_code == 302
    # A double submit with the same files adds nothing.
    assert client.post(path + "/du-thao", data=upload_form(page.data, files)).status_code == 302
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert "Công văn 123-BQL.pdf" in html and "Phụ lục.pdf" in html
    with app.app_context():
        letter, annex = department_files(code)
        owner = rec_by_code(code).assignments[0]
        assert {letter.assignment_id, annex.assignment_id} == {owner.id} and letter.recommendation_id is None
        assert letter.content_type == "application/pdf" and letter.stored_name != letter.original_name
        letter_id, annex_id, annex_stored = letter.id, annex.id, annex.stored_name
        added = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "answer.attachment_add")).all()
        assert sorted(e.details["name"] for e in added) == ["Công văn 123-BQL.pdf", "Phụ lục.pdf"]
        assert all(e.actor_kind == "department_link" and e.ip == "127.0.0.1" for e in added)
    download = client.get(f"{path}/tep/{letter_id}")
    assert download.status_code == 200 and download.data == PDF

    # Remove the annex while the draft is still a draft: row, file and audit.
    assert annex_stored in stored_files(settings)
    removed = client.post(f"{path}/tep/{annex_id}/xoa", data={"remove-csrf_token": csrf(page.data, "remove")})
    assert removed.status_code == 302
    assert client.post(f"{path}/tep/{annex_id}/xoa",
                       data={"remove-csrf_token": csrf(page.data, "remove")}).status_code == 302  # again: no-op
    assert annex_stored not in stored_files(settings)
    assert client.get(f"{path}/tep/{annex_id}").status_code == 404
    with app.app_context():
        assert [f.id for f in department_files(code)] == [letter_id]
        (event,) = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "answer.attachment_remove"))
        assert event.details["name"] == "Phụ lục.pdf"
    assert "Gỡ tệp khỏi dự thảo" in client.get(path).get_data(as_text=True)  # in the history

    assert client.post(path + "/gui-duyet", data={"submit-csrf_token": csrf(page.data, "draft")}).status_code == 302
    with app.app_context():
        assignment_id = rec_by_code(code).assignments[0].id
    listing = leader_client.get("/quan-tri/duyet-tra-loi")
    assert leader_client.post(f"/quan-tri/duyet-tra-loi/{assignment_id}/duyet",
                              data={"csrf_token": csrf(listing.data)}).status_code == 302
    run_jobs(app)
    with app.app_context():
        issue_approved_letter(code, signing_setup, utcnow())
    run_jobs(app)
    (to_enterprise,) = mailbox.to("giamdoc@congty.example.vn")
    attached = dict(to_enterprise.attachments())
    assert attached["Công văn 123-BQL.pdf"] == PDF
    assert "Phụ lục.pdf" not in attached
    assert "Công văn 123-BQL.pdf" in to_enterprise.text
    assert sorted(attached) == sorted([f"Tra-loi-kien-nghi-{code}.pdf", "Công văn 123-BQL.pdf"])

    # The enterprise's private status page lists the answer's file and serves it with its token only.
    with app.app_context():
        registration = rec_by_code(code).registration
        status = f"/theo-doi/{registration.tracking_code}"
        stranger = create_registration(registration.conference, token="khac")
        db.session.commit()
        stranger_status = f"/theo-doi/{stranger.tracking_code}"
    listed = client.get(status + "?token=token").get_data(as_text=True)
    assert "Tệp kèm theo trả lời:" in listed and "Công văn 123-BQL.pdf" in listed and "Phụ lục.pdf" not in listed
    assert client.get(f"{status}/tep/{letter_id}?token=token").data == PDF
    assert client.get(f"{status}/tep/{letter_id}?token=sai").status_code == 404
    assert client.get(f"{status}/tep/{letter_id}").status_code == 404
    assert client.get(f"{stranger_status}/tep/{letter_id}?token=khac").status_code == 404
    assert client.get(f"{status}/tep/{annex_id}?token=token").status_code == 404  # removed from the draft

    # Approved: the files stay, listed read-only; neither removing nor adding is possible any more.
    html = client.get(path).get_data(as_text=True)
    assert "Công văn 123-BQL.pdf" in html and "Gỡ tệp</button>" not in html
    assert client.post(f"{path}/tep/{letter_id}/xoa",
                       data={"remove-csrf_token": csrf(page.data, "remove")}).status_code == 302
    late = client.post(path + "/du-thao", data=upload_form(page.data, [("Bổ sung.pdf", PDF)]))
    assert late.status_code == 302
    assert "đã được xử lý xong" in client.get(path).get_data(as_text=True)
    with app.app_context():
        assert [f.id for f in department_files(code)] == [letter_id]


def test_a_refused_file_gets_a_message_next_to_the_field_and_nothing_is_kept(app, client, rules, calendar,
                                                                             settings, mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    before = stored_files(settings)
    answer = "Nội dung đang soạn, chưa muốn mất."
    fake = client.post(path + "/du-thao", data=upload_form(page.data, [("Hồ sơ.pdf", PDF), ("Bao cao.pdf", ELF)],
                                                           answer=answer))
    assert fake.status_code == 422
    html = fake.get_data(as_text=True)
    assert "Tệp “Bao cao.pdf”: Nội dung tệp không khớp với định dạng PDF" in html
    assert re.search(r'name="draft-attachments"[^>]*>.*?<p class="error">Tệp “Bao cao.pdf”', html, re.S)
    assert answer in html  # what was typed comes back
    wrong_type = client.post(path + "/du-thao", data=upload_form(page.data, [("chay-thu.exe", ELF)]))
    assert wrong_type.status_code == 422 and "chỉ nhận các định dạng" in wrong_type.get_data(as_text=True)
    too_many = client.post(path + "/du-thao",
                           data=upload_form(page.data, [(f"tep-{i}.pdf", PDF + bytes([i])) for i in range(6)]))
    assert too_many.status_code == 422 and "tối đa 5 tệp" in too_many.get_data(as_text=True)
    assert stored_files(settings) == before
    with app.app_context():
        assert department_files(code) == []
        assert rec_by_code(code).assignments[0].draft_answer == ""
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action.like("answer.%"))) is None


def test_a_revoked_or_expired_link_can_neither_download_nor_upload(app, client, rules, calendar, settings,
                                                                   mailbox):
    code = future_recommendation(app, rules, calendar, settings)
    run_jobs(app)
    path = link_from_mail(mailbox, "qldt@heza.example.vn")
    page = client.get(path)
    assert client.post(path + "/du-thao", data=upload_form(page.data, [("Ý kiến.pdf", PDF)])).status_code == 302
    with app.app_context():
        (item,) = department_files(code)
        item_id = item.id
    delegation = {"delegate-csrf_token": csrf(page.data, "delegate"), "delegate-name": "Lê Văn An",
                  "delegate-email": "lv.an@heza.example.vn"}
    assert client.post(path + "/giao-dong-nghiep", data=delegation).status_code == 302
    before = stored_files(settings)
    assert client.get(f"{path}/tep/{item_id}").status_code == 410
    assert client.post(path + "/du-thao", data=upload_form(page.data, [("Khác.pdf", PDF)])).status_code == 410
    assert client.post(f"{path}/tep/{item_id}/xoa",
                       data={"remove-csrf_token": csrf(page.data, "draft")}).status_code == 410
    run_jobs(app)
    new_path = LINK.search(mailbox.to("lv.an@heza.example.vn")[0].text).group(1)
    assert client.get(f"{new_path}/tep/{item_id}").data == PDF  # the colleague's link works
    # An expired link (a conference long past) is refused the same way.
    with app.app_context():
        old = create_conference(starts_at=dt.datetime(2024, 9, 5, 8, 30, tzinfo=dt.UTC))
        rec = create_recommendation(create_registration(old))
        events.recommendation_received.send(rec, now=dt.datetime(2024, 8, 20, tzinfo=dt.UTC), rules=rules,
                                            calendar=calendar, settings=settings)
        expired = f"/tra-loi/{sign_link(rec.assignments[0], settings.secret_key)}"
        db.session.commit()
    assert client.get(f"{expired}/tep/{item_id}").status_code == 410
    assert client.post(expired + "/du-thao", data=upload_form(page.data, [("Khác.pdf", PDF)])).status_code == 410
    assert stored_files(settings) == before
    with app.app_context():
        assert [f.id for f in department_files(code)] == [item_id]
