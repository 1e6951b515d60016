"""What a department does behind its link, and what the Board does with the answer.

Every operation takes the assignment it acts on, the actor (for the audit trail) and `now`; it
writes in the caller's transaction and returns whether anything changed, so a double submit is a
no-op rather than a duplicate. Refusals are ReplyError with a Vietnamese message for the page.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Sequence

from flask_babel import force_locale
from flask_babel import gettext as _

from config.rules import Rules
from webforms.domain import events
from webforms.domain.attachments import (
    MAX_FILES_PER_RECOMMENDATION,
    AttachmentRefused,
    BudgetSpent,
    Upload,
    UploadBudget,
    attachment_path,
    discard_files,
    store_upload,
)
from webforms.domain.audit import Actor, record
from webforms.domain.links import revoke_links
from webforms.domain.mail import AddressError, checked_address
from webforms.domain.notify import department_addresses, send
from webforms.domain.routing import (
    assignment_context,
    assignment_recipients,
    create_assignment,
    notify_assignment,
    reply_due,
)
from webforms.domain.text import clean_text
from webforms.domain.workdays import WorkingCalendar
from webforms.models import (
    OPEN_STATES,
    AnswerMode,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Attachment,
    RecommendationStatus,
)

log = logging.getLogger("doithoai.replies")

ANSWER_MAX = 20_000
REASON_MAX = 2_000
# States in which the holder may still work on an assignment.
WORKABLE = (AssignmentState.OPEN, AssignmentState.SENT_BACK)


class ReplyError(ValueError):
    """An action refused, with the Vietnamese message shown to the person who tried it."""


def _audit(actor: Actor, action: str, assignment: Assignment, now: dt.datetime, **details) -> None:
    record(
        actor,
        action,
        "recommendation",
        assignment.recommendation.code,
        now=now,
        assignment=assignment.id,
        department=assignment.department.code,
        **details,
    )


def _require_workable(assignment: Assignment) -> None:
    if assignment.state == AssignmentState.SUBMITTED:
        raise ReplyError(_("Dự thảo đã gửi lãnh đạo duyệt; không thể sửa trong khi chờ duyệt."))
    if assignment.state not in WORKABLE:
        raise ReplyError(_("Kiến nghị này đã được xử lý xong; không thể thay đổi."))


def _require_owner(assignment: Assignment) -> None:
    if assignment.role != AssignmentRole.OWNER:
        raise ReplyError(_("Chỉ đơn vị chủ trì mới thực hiện được thao tác này."))


def _set_extra(assignment: Assignment, **values) -> None:
    assignment.extra = {**(assignment.extra or {}), **values}


# -- the holder of the link ----------------------------------------------------------------------


def save_draft_answer(
    assignment: Assignment, text: str, *, actor: Actor, now: dt.datetime, answer_mode: str | None = None
) -> bool:
    _require_workable(assignment)
    text = clean_text(text, multiline=True)
    if len(text) > ANSWER_MAX:
        raise ReplyError(_("Nội dung trả lời dài quá %(max)s ký tự.", max=ANSWER_MAX))
    changed = False
    if text != assignment.draft_answer:
        assignment.draft_answer = text
        assignment.updated_at = now
        _audit(actor, "answer.draft", assignment, now, length=len(text))
        changed = True
    if answer_mode:
        changed = choose_answer_mode(assignment, answer_mode, actor=actor, now=now) or changed
    return changed


# -- the department's files with its draft --------------------------------------------------------


class FilesRefused(ReplyError):
    """Some uploaded files were refused; nothing was kept. `messages` go next to the field."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def department_files(assignment: Assignment) -> list[Attachment]:
    """The files the department attached to this assignment's draft, oldest first."""
    from sqlalchemy import select

    from webforms.extensions import db

    if assignment.id is None:
        return []
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.assignment_id == assignment.id).order_by(Attachment.id)
        )
    )


def answer_files(recommendation) -> list[Attachment]:
    """The files that went out with the approved answer (the approved owner assignment's), oldest first;
    none while no answer is approved."""
    for assignment in recommendation.assignments:
        if assignment.role == AssignmentRole.OWNER and assignment.state == AssignmentState.APPROVED:
            return department_files(assignment)
    return []


def add_draft_files(
    assignment: Assignment, uploads: Sequence[Upload], *, actor: Actor, now: dt.datetime, settings
) -> list[Attachment]:
    """Check and store files for the owner's draft, or for a coordinating unit's input (the intake's types
    and limits); all or nothing. The owner's go to the enterprise with the approved answer; a coordinating
    unit's go to the owner only.

    A file identical (name and content) to one already attached is not added twice. Raises
    FilesRefused with one Vietnamese message per refused file; nothing stays on disk then. The caller
    commits, and calls `discard_files` on the returned rows if its transaction fails.
    """
    if not uploads:
        return []
    _require_workable(assignment)
    uploads_dir = settings.resolved_uploads_dir
    existing = department_files(assignment)
    if len(existing) + len(uploads) > MAX_FILES_PER_RECOMMENDATION:
        raise FilesRefused(
            [
                _(
                    "Mỗi dự thảo trả lời đính kèm tối đa %(n)s tệp (đã có %(have)s tệp).",
                    n=MAX_FILES_PER_RECOMMENDATION,
                    have=len(existing),
                )
            ]
        )
    stored: list[Attachment] = []
    errors: list[str] = []
    budget = UploadBudget()
    try:
        for upload in uploads:
            try:
                stored.append(store_upload(upload, uploads_dir, budget))
            except BudgetSpent as exc:
                errors.append(exc.message)
                break
            except AttachmentRefused as exc:
                errors.append(exc.message)
    except BaseException:
        discard_files(stored, uploads_dir)
        raise
    if errors:
        discard_files(stored, uploads_dir)
        raise FilesRefused(errors)
    seen = {(a.original_name, a.sha256) for a in existing}
    added = []
    from webforms.extensions import db

    for item in stored:
        if (item.original_name, item.sha256) in seen:  # a double submit: the same file again
            discard_files([item], uploads_dir)
            continue
        seen.add((item.original_name, item.sha256))
        item.assignment_id = assignment.id
        item.created_at = now
        db.session.add(item)
        added.append(item)
    if added:
        db.session.flush()
        for item in added:
            _audit(
                actor,
                "answer.attachment_add" if assignment.role == AssignmentRole.OWNER else "coordination.attachment_add",
                assignment,
                now,
                attachment=item.id,
                name=item.original_name,
                size=item.size,
                sha256=item.sha256,
            )
    return added


def remove_draft_file(
    assignment: Assignment, attachment_id: int, *, actor: Actor, now: dt.datetime
) -> Attachment | None:
    """Remove one of this assignment's draft files while the draft is still being worked on.

    Returns the removed row (the caller deletes its file after commit), None when it was already gone.
    """
    from webforms.extensions import db

    _require_owner(assignment)
    _require_workable(assignment)
    item = db.session.get(Attachment, attachment_id)
    if item is None or item.assignment_id != assignment.id:
        return None
    _audit(
        actor,
        "answer.attachment_remove",
        assignment,
        now,
        attachment=item.id,
        name=item.original_name,
        sha256=item.sha256,
    )
    db.session.delete(item)
    return item


def department_file_attachments(assignment: Assignment, settings) -> list[dict]:
    """The owner's draft files as outbox attachment dicts (the worker reads them at send time)."""
    uploads_dir = settings.resolved_uploads_dir.resolve()
    return [
        {
            "filename": item.original_name,
            "content_type": item.content_type,
            "path": str(attachment_path(item, uploads_dir)),
        }
        for item in department_files(assignment)
    ]


def choose_answer_mode(assignment: Assignment, mode: str, *, actor: Actor, now: dt.datetime) -> bool:
    _require_owner(assignment)
    _require_workable(assignment)
    if mode not in (AnswerMode.AT_CONFERENCE, AnswerMode.IN_WRITING):
        raise ReplyError(_("Hình thức trả lời không hợp lệ."))
    if assignment.answer_mode == mode:
        return False
    assignment.answer_mode = mode
    _audit(actor, "answer.mode", assignment, now, mode=mode)
    return True


def declare_coordination(
    assignment: Assignment,
    agency_codes: Sequence[str],
    *,
    note: str = "",
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> list[Assignment]:
    """The answer needs other units' input: the deadline becomes the coordinated one and each unit
    gets its own assignment and link. Units already asked are not asked twice."""
    _require_owner(assignment)
    _require_workable(assignment)
    known = {d.code for d in rules.departments}
    codes = [c for c in dict.fromkeys(agency_codes) if c]
    if not codes:
        raise ReplyError(_("Vui lòng chọn ít nhất một đơn vị phối hợp."))
    unknown = [c for c in codes if c not in known or c == assignment.department.code]
    if unknown:
        raise ReplyError(_("Đơn vị phối hợp không hợp lệ."))
    recommendation = assignment.recommendation
    asked = {
        a.department.code
        for a in recommendation.assignments
        if a.role == AssignmentRole.COORDINATING and a.state not in (AssignmentState.REVOKED,)
    }
    note = clean_text(note, multiline=True)[:REASON_MAX]
    if note:
        _set_extra(assignment, coordination_note=note)
    created = []
    if not recommendation.needs_coordination:
        recommendation.needs_coordination = True
        before = assignment.due_at
        assignment.due_at = reply_due(recommendation, rules, calendar, coordinated=True)
        _audit(
            actor,
            "coordination.declare",
            assignment,
            now,
            due_before=before.isoformat(),
            due_after=assignment.due_at.isoformat(),
        )
    for code in codes:
        if code in asked:
            continue
        child = create_assignment(
            recommendation,
            code,
            role=AssignmentRole.COORDINATING,
            now=now,
            rules=rules,
            calendar=calendar,
            parent=assignment,
        )
        _audit(actor, "coordination.request", assignment, now, agency=code, coordinating_assignment=child.id)
        notify_assignment(child, now=now, rules=rules, calendar=calendar, settings=settings)
        created.append(child)
    return created


def give_coordination_input(
    assignment: Assignment,
    text: str,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> bool:
    """A coordinating unit hands in its input; the owner sees it on their page and gets an email."""
    if assignment.role != AssignmentRole.COORDINATING:
        raise ReplyError(_("Thao tác này dành cho đơn vị phối hợp."))
    _require_workable(assignment)
    text = clean_text(text, multiline=True)
    if not text:
        raise ReplyError(_("Vui lòng nhập ý kiến phối hợp."))
    if len(text) > ANSWER_MAX:
        raise ReplyError(_("Ý kiến dài quá %(max)s ký tự.", max=ANSWER_MAX))
    assignment.draft_answer = text
    assignment.state = AssignmentState.SUBMITTED
    assignment.submitted_at = now
    assignment.closed_at = now
    _audit(actor, "coordination.input", assignment, now, length=len(text))
    owner = assignment.parent
    if owner is not None and owner.state in WORKABLE + (AssignmentState.SUBMITTED,):
        context = assignment_context(owner, rules, calendar, settings)
        context.update(agency=assignment.department, input=assignment,
                       files=[item.original_name for item in department_files(assignment)])
        send(
            "coordination_input_to_department",
            to=assignment_recipients(owner, rules),
            context=context,
            rules=rules,
            dedupe_key=f"coordination-input:{assignment.id}",
            settings=settings,
        )
    return True


def return_not_ours(
    assignment: Assignment,
    reason: str,
    suggested: str = "",
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> Assignment:
    """ "Not ours": this assignment closes, a new one goes to the suggested unit when it is a known
    internal one, otherwise to the consolidating department. Returns the new assignment."""
    _require_owner(assignment)
    _require_workable(assignment)
    reason = clean_text(reason, multiline=True)[:REASON_MAX]
    suggested = clean_text(suggested)[:300]
    if not reason:
        raise ReplyError(_("Vui lòng nêu lý do trả lại."))
    target = find_internal_department(suggested, rules)
    if target is None or target == assignment.department.code:
        target = rules.consolidating_department.code
    if target == assignment.department.code:
        raise ReplyError(_("Đơn vị tổng hợp chỉ trả lại khi chỉ rõ đơn vị phụ trách (chọn trong danh sách)."))
    assignment.state = AssignmentState.RETURNED
    assignment.return_reason = reason
    assignment.suggested_department = suggested
    assignment.closed_at = now
    revoke_links(assignment)
    new = create_assignment(
        assignment.recommendation, target, role=AssignmentRole.OWNER, now=now, rules=rules, calendar=calendar
    )
    new.answer_mode = assignment.answer_mode
    new.draft_answer = assignment.draft_answer
    files = department_files(assignment)
    for item in files:  # the draft's files travel with the draft
        item.assignment_id = new.id
    for child in assignment.recommendation.assignments:
        if child.parent_id == assignment.id:
            child.parent = new
    _audit(
        actor,
        "assignment.return",
        assignment,
        now,
        reason=reason,
        suggested=suggested,
        to=target,
        new_assignment=new.id,
        attachments=[item.id for item in files],
    )
    notify_assignment(
        new,
        now=now,
        rules=rules,
        calendar=calendar,
        settings=settings,
        reason="returned",
        previous=assignment,
    )
    return new


def reassign_by_staff(
    recommendation,
    department_code: str,
    reason: str,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> Assignment:
    """Staff move a recommendation to another internal department: the open owner assignment is
    returned on the department's behalf (its link revoked, its draft and files carried over); an item
    with no open owner gets a new one."""
    target = find_internal_department(department_code, rules)
    if target is None:
        raise ReplyError(_("Vui lòng chọn một phòng, đơn vị của Ban."))
    owner = next((a for a in recommendation.assignments
                  if a.role == AssignmentRole.OWNER and a.state in OPEN_STATES), None)
    if owner is None:
        new = create_assignment(recommendation, target, role=AssignmentRole.OWNER, now=now, rules=rules,
                                calendar=calendar)
        _audit(actor, "assignment.reassign", new, now, to=target, reason=clean_text(reason, multiline=True))
        return new
    if owner.department.code == target:
        raise ReplyError(_("Kiến nghị đang do chính đơn vị này xử lý."))
    if not reason:
        with force_locale("vi"):  # stored and emailed: in Vietnamese whatever language the staff page is in
            reason = _("Phòng tổng hợp chuyển đơn vị xử lý.")
    return return_not_ours(owner, reason, target, actor=actor, now=now, rules=rules, calendar=calendar,
                           settings=settings)


def find_internal_department(text: str, rules: Rules) -> str | None:
    """A department code from what someone typed or chose: its code, name or short name."""
    wanted = _norm(text)
    if not wanted:
        return None
    for department in rules.departments:
        if department.is_internal and wanted in (
            _norm(department.code),
            _norm(department.name),
            _norm(department.short),
        ):
            return department.code
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().casefold())


def delegate(
    assignment: Assignment,
    email: str,
    name: str = "",
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> bool:
    """Hand the link to a named colleague: a new link for them, every earlier link revoked."""
    _require_workable(assignment)
    try:
        address = checked_address(clean_text(email))
    except AddressError as exc:
        raise ReplyError(_("Địa chỉ email của người được giao không hợp lệ.")) from exc
    name = clean_text(name)[:200]
    if not name:
        raise ReplyError(_("Vui lòng nhập họ tên người được giao."))
    if address.casefold() == (assignment.holder_email or "").casefold():
        return False
    previous = assignment.holder_email or ", ".join(department_addresses(assignment.department.code, rules))
    revoke_links(assignment)
    assignment.holder_email = address
    assignment.holder_name = name
    _audit(
        actor,
        "assignment.delegate",
        assignment,
        now,
        from_holder=previous,
        to_holder=address,
        to_name=name,
        token_version=assignment.token_version,
    )
    context = assignment_context(assignment, rules, calendar, settings)
    context.update(delegated_by=previous, holder_name=name)
    send(
        "delegation_to_colleague",
        to=[address],
        cc=department_addresses(assignment.department.code, rules),
        context=context,
        rules=rules,
        dedupe_key=f"assign:{assignment.id}:v{assignment.token_version}",
        settings=settings,
    )
    from webforms.domain.routing import mark_notified

    mark_notified(assignment, now)
    return True


def submit_for_approval(
    assignment: Assignment,
    *,
    actor: Actor,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> bool:
    _require_owner(assignment)
    if assignment.state == AssignmentState.SUBMITTED:
        return False
    _require_workable(assignment)
    if not assignment.draft_answer.strip():
        raise ReplyError(_("Vui lòng soạn nội dung trả lời trước khi gửi duyệt."))
    if not assignment.answer_mode:
        assignment.answer_mode = AnswerMode.IN_WRITING
    assignment.state = AssignmentState.SUBMITTED
    assignment.submitted_at = now
    count = int((assignment.extra or {}).get("submissions", 0)) + 1
    _set_extra(assignment, submissions=count)
    _audit(actor, "answer.submit", assignment, now, mode=assignment.answer_mode, submission=count)
    context = assignment_context(assignment, rules, calendar, settings)
    send(
        "answer_submitted_to_consolidation",
        to=list(rules.consolidating_department.emails),
        context=context,
        rules=rules,
        dedupe_key=f"submitted:{assignment.id}:{count}",
        settings=settings,
    )
    return True


# -- the Board -----------------------------------------------------------------------------------


def submitted_answers() -> list[Assignment]:
    from sqlalchemy import select

    from webforms.extensions import db

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
    recommendation.status = (
        RecommendationStatus.ANSWERED_AT_CONFERENCE
        if recommendation.answer_mode == AnswerMode.AT_CONFERENCE
        else RecommendationStatus.ANSWERED_IN_WRITING
    )
    given_at_conference = recommendation.answer_mode == AnswerMode.AT_CONFERENCE and recommendation.answered_at
    # Answered at the conference: that moment stands; the approval is of its written confirmation.
    recommendation.answered_at = recommendation.answered_at if given_at_conference else now
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
