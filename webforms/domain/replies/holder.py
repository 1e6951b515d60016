"""What the holder of a department's link does with its assignment, up to submitting the draft."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

from flask_babel import force_locale
from flask_babel import gettext as _

from config.rules import Rules
from webforms.domain.audit import Actor
from webforms.domain.links import revoke_links
from webforms.domain.mail import AddressError, checked_address
from webforms.domain.notify import department_addresses, send
from webforms.domain.replies.common import (
    ANSWER_MAX,
    REASON_MAX,
    WORKABLE,
    ReplyError,
    _audit,
    _require_owner,
    _require_workable,
    _set_extra,
)
from webforms.domain.replies.files import department_files
from webforms.domain.routing import (
    assignment_context,
    assignment_recipients,
    create_assignment,
    mark_notified,
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
)


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
