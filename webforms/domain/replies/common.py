"""What the replies share: the refusal, the text limits, the audit entry and the state checks."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext as _

from webforms.domain.audit import Actor, record
from webforms.models import Assignment, AssignmentRole, AssignmentState

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
