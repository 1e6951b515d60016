"""Replies in the domain: return to an unknown unit, answers given at the conference, refusals."""

import pytest

from tests.factories import create_conference, create_recommendation, create_registration
from tests.moments import INTAKE_OPEN, local
from tests.signing_helpers import issue_approved_letter
from webforms.domain import events, replies
from webforms.domain.audit import Actor
from webforms.extensions import db
from webforms.models import AnswerMode, AssignmentState, RecommendationStatus

ACTOR = Actor(kind="department_link", name="qldt@heza.example.vn", ip="127.0.0.1")
LEADER = Actor(kind="user", name="lanhdao@heza.example.vn", ip="127.0.0.1")


def routed(rules, calendar, settings, field="DAU_TU"):
    rec = create_recommendation(create_registration(create_conference()), field_code=field)
    events.recommendation_received.send(rec, now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    return rec


def test_return_with_an_unknown_suggestion_goes_to_the_consolidating_department(app_ctx, rules, calendar,
                                                                                 settings):
    rec = routed(rules, calendar, settings)
    new = replies.return_not_ours(rec.assignments[0], "Không thuộc thẩm quyền.", "Sở Xây dựng", actor=ACTOR,
                                  now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    assert new.department.code == "DNGSDT"
    assert rec.assignments[0].suggested_department == "Sở Xây dựng"
    # The consolidating department cannot return to itself without naming a unit.
    with pytest.raises(replies.ReplyError):
        replies.return_not_ours(new, "Không rõ.", "", actor=ACTOR, now=INTAKE_OPEN, rules=rules,
                                calendar=calendar, settings=settings)
    by_name = replies.return_not_ours(new, "Thuộc lĩnh vực lao động.", "phòng quản lý lao động", actor=ACTOR,
                                      now=INTAKE_OPEN, rules=rules, calendar=calendar, settings=settings)
    assert by_name.department.code == "QLLD"


def test_answer_at_the_conference_is_recorded_as_such(app_ctx, rules, calendar, settings):
    rec = routed(rules, calendar, settings)
    owner = rec.assignments[0]
    with pytest.raises(replies.ReplyError):
        replies.submit_for_approval(owner, actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                    settings=settings)
    replies.save_draft_answer(owner, "Trả lời tại Hội nghị.", answer_mode=AnswerMode.AT_CONFERENCE, actor=ACTOR,
                              now=INTAKE_OPEN)
    assert replies.submit_for_approval(owner, actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                       settings=settings)
    with pytest.raises(replies.ReplyError):
        replies.save_draft_answer(owner, "Sửa khi đang chờ duyệt.", actor=ACTOR, now=INTAKE_OPEN)
    at = local(2025, 9, 4, 11)
    assert replies.approve_answer(owner, actor=LEADER, now=at, rules=rules, calendar=calendar, settings=settings)
    assert not replies.approve_answer(owner, actor=LEADER, now=at, rules=rules, calendar=calendar,
                                      settings=settings)
    assert rec.status == RecommendationStatus.ANSWERED_AT_CONFERENCE
    assert owner.state == AssignmentState.APPROVED
    assert rec.answer == "Trả lời tại Hội nghị."


def test_answer_approved_signal_is_sent_once(app_ctx, rules, calendar, settings):
    rec = routed(rules, calendar, settings)
    owner = rec.assignments[0]
    replies.save_draft_answer(owner, "Trả lời.", actor=ACTOR, now=INTAKE_OPEN)
    replies.submit_for_approval(owner, actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                settings=settings)
    seen = []

    def receiver(sender, **kwargs):
        seen.append((sender.code, kwargs["now"]))

    events.answer_approved.connect(receiver)
    try:
        for _ in range(2):
            replies.approve_answer(owner, actor=LEADER, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                   settings=settings)
    finally:
        events.answer_approved.disconnect(receiver)
    assert seen == [(rec.code, INTAKE_OPEN)]


def test_draft_files_follow_a_return_and_only_the_owners_reach_the_enterprise(
    app_ctx, rules, calendar, settings, signing_setup, signed_pdf
):
    import io

    from webforms.domain.attachments import Upload
    from webforms.models import OutboxMessage

    rec = routed(rules, calendar, settings)
    owner = rec.assignments[0]
    pdf = b"%PDF-1.4\nphu luc\n%%EOF\n"
    (item,) = replies.add_draft_files(owner, [Upload("Phụ lục.pdf", io.BytesIO(pdf))], actor=ACTOR,
                                      now=INTAKE_OPEN, settings=settings)
    assert item.assignment_id == owner.id
    assert replies.add_draft_files(owner, [Upload("Phụ lục.pdf", io.BytesIO(pdf))], actor=ACTOR,
                                   now=INTAKE_OPEN, settings=settings) == []  # the same file again
    new = replies.return_not_ours(owner, "Thuộc lĩnh vực lao động.", "QLLD", actor=ACTOR, now=INTAKE_OPEN,
                                  rules=rules, calendar=calendar, settings=settings)
    assert replies.department_files(owner) == [] and replies.department_files(new) == [item]
    (agency,) = replies.declare_coordination(new, ["THUE"], actor=ACTOR, now=INTAKE_OPEN, rules=rules,
                                             calendar=calendar, settings=settings)
    # The coordinating agency attaches to its own input: the lead unit sees it, the enterprise does not.
    (agency_file,) = replies.add_draft_files(agency, [Upload("Ý kiến.pdf", io.BytesIO(pdf))], actor=ACTOR,
                                             now=INTAKE_OPEN, settings=settings)
    assert agency_file.assignment_id == agency.id
    replies.save_draft_answer(new, "Trả lời kèm phụ lục.", actor=ACTOR, now=INTAKE_OPEN)
    replies.submit_for_approval(new, actor=ACTOR, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                settings=settings)
    with pytest.raises(replies.ReplyError):
        replies.remove_draft_file(new, item.id, actor=ACTOR, now=INTAKE_OPEN)
    assert replies.approve_answer(new, actor=LEADER, now=INTAKE_OPEN, rules=rules, calendar=calendar,
                                  settings=settings)
    assert db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.dedupe_key.like("answer:%"))) is None
    issued = issue_approved_letter(rec.code, signing_setup, INTAKE_OPEN, signed_pdf=signed_pdf)
    key = f"answer:{rec.code}:{issued.document.id}"
    mail = db.session.scalar(db.select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
    letter, *files = mail.payload["attachments"]
    assert letter["filename"] == f"Tra-loi-kien-nghi-{rec.code}.pdf" and letter["content_type"] == "application/pdf"
    assert files == [{"filename": "Phụ lục.pdf", "content_type": "application/pdf",
                      "path": str((settings.resolved_uploads_dir / item.stored_name).resolve())}]
