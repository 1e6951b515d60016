"""The postponement report tells the facts with the quorum's figures and states the decision, and a
postponement or cancellation sends everyone concerned a Thông báo (issue #12 item 6)."""

from __future__ import annotations

import datetime as dt
import io

import docx

from tests.documents.test_render import all_text
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.moments import AFTER_CONFERENCE, INTAKE_OPEN, VN
from webforms.domain.audit import Actor
from webforms.domain.conference_admin import cancel_conference, postpone_conference
from webforms.domain.documents import build_context, generate_document, render_docx, template_path
from webforms.domain.intake.quorum import quorum
from webforms.extensions import db
from webforms.models import ConferenceStatus, Document, Scope

STAFF = Actor(kind="staff", name="vanphong@heza.example.vn", ip="127.0.0.1")
MACHINE = "Chưa đủ điều kiện tổ chức: 15/15"


def _short_of_recommendations(**conference):
    """15 registrations and 6 recommendations, 2 of them screened out: 4 in scope, one short of 5."""
    conference = create_conference(status_reason=MACHINE + " doanh nghiệp đăng ký, 4/5 kiến nghị trong phạm vi",
                                   **conference)
    registrations = [create_registration(conference, registered_at=INTAKE_OPEN) for _ in range(15)]
    for i, registration in enumerate(registrations[:6]):
        rec = create_recommendation(registration, received_at=INTAKE_OPEN, scope=Scope.PENDING)
        if i < 2:
            rec.scope, rec.scope_reason_code, rec.status = Scope.OUT_OF_SCOPE, "not_administrative", "screened_out"
    db.session.flush()
    return conference


def _text(conference, rules, **subject) -> str:
    context = build_context("postponement_report", conference, rules, AFTER_CONFERENCE, **subject)
    return " ".join(all_text(render_docx(template_path("postponement_report"), context)).split())


def test_postponement_report_has_the_quorum_s_figures_and_the_decision(app_ctx, rules, calendar):
    conference = _short_of_recommendations()
    counts = quorum(conference, rules, calendar)
    assert (counts.enterprises, counts.recommendations, counts.met) == (15, 4, False)
    text = _text(conference, rules, decision="postpone", proposed_date="2025-10-09")
    assert ("ngày 15/08/2025 Ban Quản lý Khu kinh tế Hải Phòng đã đăng Thông báo số …/TB-BQL về việc tổ chức "
            f"{conference.title} trên Cổng thông tin điện tử và tại Bộ phận một cửa.") in text
    assert ("Đến hết thời hạn tiếp nhận (ngày 26/08/2025), Ban Quản lý Khu kinh tế Hải Phòng nhận được 15 đăng "
            "ký tham dự và 06 kiến nghị, trong đó 02 kiến nghị không thuộc phạm vi Hội nghị (không liên quan "
            "đến giải quyết thủ tục hành chính); số kiến nghị thuộc phạm vi Hội nghị là 04, chưa đủ điều kiện "
            "tổ chức theo Kế hoạch (tối thiểu 15 doanh nghiệp đăng ký, trong đó tối thiểu 05 kiến nghị).") in text
    assert ("kính báo cáo Ủy ban nhân dân thành phố, đồng gửi Sở Tài chính: hoãn tổ chức Hội nghị, dự kiến tổ "
            "chức lại vào ngày 09/10/2025.") in text
    assert "trả lời bằng văn bản chậm nhất ngày 15/09/2025./." in text
    assert MACHINE not in text and "(hoặc hoãn)" not in text
    stop = _text(conference, rules, decision="stop")
    assert "đồng gửi Sở Tài chính: dừng tổ chức Hội nghị năm 2025." in stop
    # Without a decision the sentence is a marked blank for the Office, never a choice left to the signer.
    assert "[hoãn tổ chức Hội nghị, dự kiến tổ chức lại vào ngày …/…/…, hoặc dừng tổ chức Hội nghị năm 2025]" in (
        _text(conference, rules))


def test_the_sentences_follow_the_facts(app_ctx, rules, calendar):
    never = _short_of_recommendations(status=ConferenceStatus.DRAFT)
    text = _text(never, rules, decision="stop")
    assert "đã đăng Thông báo" not in text
    assert "Thông báo tổ chức Hội nghị chưa được đăng" in text
    met = _short_of_recommendations()
    registration = create_registration(met, registered_at=INTAKE_OPEN)
    create_recommendation(registration, received_at=INTAKE_OPEN, scope=Scope.PENDING)
    db.session.flush()
    assert quorum(met, rules, calendar).met
    text = _text(met, rules, decision="stop")
    assert "16 đăng ký tham dự và 07 kiến nghị" in text
    assert "số kiến nghị thuộc phạm vi Hội nghị là 05, đủ điều kiện tổ chức" in text
    assert "chưa đủ" not in text
    cancelled = _short_of_recommendations(status=ConferenceStatus.CANCELLED)
    assert "dừng tổ chức Hội nghị năm 2025" in _text(cancelled, rules)


def test_postponement_and_cancellation_tell_at_once_and_send_the_notice_once_issued(
    app, rules, settings, mailbox, signing_setup, signed_pdf
):
    from webforms.domain.documents.issuing import approve_document, issue_document

    new_date = dt.datetime(2025, 10, 9, 8, 30, tzinfo=VN)
    with app.app_context():
        postponed = create_conference(slug="hn-hoan-tb")
        create_registration(postponed, contact_email="dn-hoan@example.vn")
        cancelled = create_conference(slug="hn-huy-tb")
        create_registration(cancelled, contact_email="dn-huy@example.vn")
        db.session.flush()
        assert postpone_conference(postponed, new_starts_at=new_date, reason="Chưa đủ số kiến nghị theo Kế hoạch",
                                   now=INTAKE_OPEN, actor=STAFF, rules=rules, settings=settings) == 1
        assert cancel_conference(cancelled, reason="Không có kiến nghị thuộc phạm vi", now=INTAKE_OPEN,
                                 actor=STAFF, rules=rules, settings=settings) == 1
        # Postponed again to the same date (a double submit): the same notice, not a second version.
        postpone_conference(postponed, new_starts_at=new_date, reason="Chưa đủ số kiến nghị theo Kế hoạch",
                            now=INTAKE_OPEN, actor=STAFF, rules=rules, settings=settings)
        notices = {d.conference.slug: d for d in db.session.query(Document).filter_by(kind="conference_notice")}
        assert sorted(notices) == ["hn-hoan-tb", "hn-huy-tb"] and {d.state for d in notices.values()} == {"draft"}
        db.session.commit()
        drafts = {slug: (settings.resolved_documents_dir / d.path).read_bytes() for slug, d in notices.items()}
    run_jobs(app)
    # Told at once, with no draft attached: the notice follows once issued.
    (hoan,) = mailbox.to("dn-hoan@example.vn")
    assert hoan.attachments() == [] and "sẽ được gửi Ông/Bà khi ban hành" in hoan.text
    (huy,) = mailbox.to("dn-huy@example.vn")
    assert huy.attachments() == []
    text = " ".join(all_text(drafts["hn-hoan-tb"]).split())
    assert "THÔNG BÁO Về việc hoãn tổ chức Hội nghị đối thoại doanh nghiệp năm 2025" in text
    assert "đã thông báo tổ chức Hội nghị đối thoại doanh nghiệp" in text
    assert "vào 08 giờ 30, thứ Năm, ngày 04 tháng 9 năm 2025" in text
    assert "Lý do: Chưa đủ số kiến nghị theo Kế hoạch" in text
    assert "Hội nghị được tổ chức lại vào 08 giờ 30, thứ Năm, ngày 09 tháng 10 năm 2025" in text
    assert docx.Document(io.BytesIO(drafts["hn-hoan-tb"])).paragraphs  # Word opens it
    text = " ".join(all_text(drafts["hn-huy-tb"]).split())
    assert "Về việc hủy tổ chức Hội nghị" in text and "thông báo hủy tổ chức Hội nghị" in text
    assert "Lý do: Không có kiến nghị thuộc phạm vi" in text

    with app.app_context():
        notice = db.session.query(Document).filter_by(kind="conference_notice", subject_key="cancelled").one()
        approve_document(notice)
        result = issue_document(notice, rules, settings, INTAKE_OPEN, signed_pdf=signed_pdf,
                                config=signing_setup.config)
        db.session.commit()
        assert result.mailed
    run_jobs(app)
    (_, issued) = mailbox.to("dn-huy@example.vn")
    assert dict(issued.attachments()) == {f"Thong-bao-huy-hoi-nghi-so-{result.number_text[:2]}-2025.pdf": signed_pdf}
    assert f"Thông báo số {result.number_text} ngày 25/08/2025" in issued.text
    assert mailbox.to("dn-hoan@example.vn") == [hoan]  # the postponement's notice is not issued yet
    with app.app_context():
        report = generate_document(db.session.query(type(postponed)).filter_by(slug="hn-huy-tb").one(),
                                   "postponement_report", rules, settings, INTAKE_OPEN, pdf=False)
        assert "dừng tổ chức Hội nghị năm 2025" in " ".join(all_text(
            (settings.resolved_documents_dir / report.path).read_bytes()).split())
