"""The Board: answers awaiting approval, sent back or approved; the reply letter; the answer at issue."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _
from sqlalchemy import select

from config.rules import Rules
from webforms.domain import events
from webforms.domain.audit import Actor
from webforms.domain.links import revoke_links
from webforms.domain.notify import send
from webforms.domain.replies.common import REASON_MAX, WORKABLE, ReplyError, _audit
from webforms.domain.replies.files import department_file_attachments, department_files
from webforms.domain.routing import (
    assignment_context,
    assignment_recipients,
)
from webforms.domain.text import clean_text
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    AnswerMode,
    Assignment,
    AssignmentRole,
    AssignmentState,
    RecommendationStatus,
)


def submitted_answers() -> list[Assignment]:
    return list(
        db.session.scalars(
            select(Assignment)
            .where(Assignment.role == AssignmentRole.OWNER, Assignment.state == AssignmentState.SUBMITTED)
            .order_by(Assignment.due_at, Assignment.id)
        )
    )


def send_back(
    assignment: Assignment,
    comment: str,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> bool:
    if assignment.state != AssignmentState.SUBMITTED or assignment.role != AssignmentRole.OWNER:
        return False
    comment = clean_text(comment, multiline=True)[:REASON_MAX]
    if not comment:
        raise ReplyError(_("Vui lòng ghi ý kiến khi trả lại dự thảo."))
    assignment.state = AssignmentState.SENT_BACK
    assignment.review_comment = comment
    count = int((assignment.extra or {}).get("submissions", 0))
    _audit(actor, "answer.send_back", assignment, now, comment=comment)
    context = assignment_context(assignment, rules, calendar, settings)
    send(
        "answer_sent_back_to_department",
        to=assignment_recipients(assignment, rules),
        context=context,
        rules=rules,
        dedupe_key=f"sent-back:{assignment.id}:{count}",
        settings=settings,
    )
    return True


def approve_answer(
    assignment: Assignment,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
    approver_id: int | None = None,
) -> bool:
    """Approve the submitted answer: it becomes the recommendation's answer and the reply letter is
    generated as an approved document awaiting signature and issue; issuing it mails the enterprise the
    signed PDF (`send_issued_answer`) and publishes the answer. False when it was not waiting for approval."""
    if assignment.state != AssignmentState.SUBMITTED or assignment.role != AssignmentRole.OWNER:
        return False
    recommendation = assignment.recommendation
    if assignment.answer_mode == AnswerMode.AT_CONFERENCE and now < recommendation.conference.starts_at:
        raise ReplyError(_("Hội nghị chưa diễn ra: chưa thể duyệt trả lời \"tại Hội nghị\"."))
    assignment.state = AssignmentState.APPROVED
    assignment.closed_at = now
    close_coordination(recommendation, now)
    recommendation.answer = assignment.draft_answer
    recommendation.answer_mode = assignment.answer_mode or AnswerMode.IN_WRITING
    if recommendation.answer_mode == AnswerMode.AT_CONFERENCE:
        # Answered at the conference: that moment stands; the approval is of its written confirmation.
        recommendation.status = RecommendationStatus.ANSWERED_AT_CONFERENCE
        recommendation.answered_at = recommendation.answered_at or now
    # In writing: approving the draft is not answering (Decree 30); the recommendation is answered, and
    # on time or late, when its reply letter is issued (send_issued_answer).
    recommendation.approved_by_id = approver_id
    _audit(actor, "answer.approve", assignment, now, mode=recommendation.answer_mode)
    approved_reply_letter(recommendation, rules=rules, settings=settings, now=now)
    events.answer_approved.send(recommendation, now=now, rules=rules, calendar=calendar, settings=settings)
    return True


def close_coordination(recommendation, now: dt.datetime) -> None:
    """The answer is settled: every coordinating assignment closes. Input handed in was used (approved);
    one still awaited is no longer needed (revoked, its link stops working)."""
    for other in recommendation.assignments:
        if other.role != AssignmentRole.COORDINATING:
            continue
        if other.state == AssignmentState.SUBMITTED:
            other.state = AssignmentState.APPROVED
            other.closed_at = other.closed_at or now
        elif other.state in WORKABLE:
            other.state = AssignmentState.REVOKED  # the answer went out without their input
            other.closed_at = now
            revoke_links(other)


def approved_reply_letter(recommendation, *, rules: Rules, settings, now: dt.datetime):
    """The reply letter, generated now and approved (its content is the approved answer): it waits for the
    signer's signature and the văn thư's number (webforms.domain.documents.issuing)."""
    from webforms.domain.documents import generate_document
    from webforms.domain.documents.issuing import approve_document

    document = generate_document(
        recommendation.conference,
        "reply_letter",
        rules,
        settings,
        now,
        subject_key=f"rec:{recommendation.code}",
        pdf=False,
        recommendation=recommendation.code,
    )
    return approve_document(document)


def send_issued_answer(recommendation, letter, *, rules: Rules, settings) -> bool:
    """At issue: the answer is published and answered on the issue date, and the enterprise gets the answer
    with the issued, signed reply letter (PDF) and the department's files."""
    assignment = next(
        (a for a in recommendation.assignments
         if a.role == AssignmentRole.OWNER and a.state == AssignmentState.APPROVED),
        None,
    )
    if recommendation.answer_mode != AnswerMode.AT_CONFERENCE:  # answered at the conference: that moment stands
        if recommendation.status != RecommendationStatus.ANSWERED_IN_WRITING:  # a replacing issue keeps the first date
            recommendation.status = RecommendationStatus.ANSWERED_IN_WRITING
            recommendation.answered_at = letter.issued_at
    recommendation.published = not recommendation.private
    pdf = {
        "filename": f"Tra-loi-kien-nghi-{recommendation.code}.pdf",
        "path": str(settings.resolved_documents_dir / letter.signed_path),
        "content_type": "application/pdf",
    }
    files = department_files(assignment) if assignment is not None else []
    attachments = [pdf] + (department_file_attachments(assignment, settings) if assignment is not None else [])
    registration = recommendation.registration
    context = {
        "recommendation": recommendation,
        "registration": registration,
        "enterprise": registration.enterprise,
        "conference": recommendation.conference,
        "department": (
            rules.department(assignment.department.code) if assignment is not None else rules.consolidating_department
        ),
        "has_letter": True,
        "letter": letter,
        "files": [item.original_name for item in files],
    }
    return send(
        "answer_approved_to_enterprise",
        to=[registration.contact_email],
        context=context,
        rules=rules,
        dedupe_key=f"answer:{recommendation.code}:{letter.id}",
        attachments=attachments,
        settings=settings,
    )
