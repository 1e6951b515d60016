"""The department's files with its draft: added, removed, attached to the answer sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from flask_babel import gettext as _
from sqlalchemy import select

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
from webforms.domain.audit import Actor
from webforms.domain.replies.common import ReplyError, _audit, _require_owner, _require_workable
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Attachment,
)


class FilesRefused(ReplyError):
    """Some uploaded files were refused; nothing was kept. `messages` go next to the field."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = messages


def department_files(assignment: Assignment) -> list[Attachment]:
    """The files the department attached to this assignment's draft, oldest first."""
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
    FilesRefused with one Vietnamese message per refused file. The stored files share the fate of the
    caller's transaction (webforms.unit_of_work): a refusal is rolled back, and nothing stays on disk then.
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
    for upload in uploads:
        try:
            stored.append(store_upload(upload, uploads_dir, budget))
        except BudgetSpent as exc:
            errors.append(exc.message)
            break
        except AttachmentRefused as exc:
            errors.append(exc.message)
    if errors:
        raise FilesRefused(errors)
    seen = {(a.original_name, a.sha256) for a in existing}
    added = []

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
