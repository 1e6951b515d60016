"""Thông báo hoãn / hủy tổ chức Hội nghị: the document that goes with the postponement and cancellation
emails (issue #12 item 6). Rendered in the caller's transaction, like a reply letter, once per change."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webforms.extensions import db
from webforms.models import Conference, Document

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def conference_notice_attachments(
    conference: Conference,
    change: str,
    *,
    now: dt.datetime,
    reason: str,
    announced: bool,
    old_starts_at: dt.datetime | None = None,
    rules=None,
    settings=None,
) -> list[dict]:
    """The notice rendered now, as an outbox attachment for every participant's email.

    :param change: postponed | cancelled.
    :param announced: whether the conference had been announced before this change (a postponement
        clears the announcement of the old date, so it is read before).
    """
    from webforms.domain.documents.generate import generate_document

    if rules is None or settings is None:
        from webforms.services import services

        svc = services()
        rules, settings = rules or svc.rules, settings or svc.settings
    key = f"{change}:{conference.starts_at.isoformat()}" if change == "postponed" else change
    # The same change made twice (a double submit) sends the notice already rendered.
    document = db.session.scalar(
        select(Document)
        .where(Document.conference_id == conference.id, Document.kind == "conference_notice",
               Document.subject_key == key)
        .order_by(Document.version.desc())
        .limit(1)
    ) or generate_document(
        conference,
        "conference_notice",
        rules,
        settings,
        now,
        subject_key=key,
        pdf=False,
        change=change,
        reason=reason,
        announced=announced,
        old_starts_at=old_starts_at.isoformat() if old_starts_at else None,
    )
    name = "thong-bao-hoan-hoi-nghi" if change == "postponed" else "thong-bao-huy-hoi-nghi"
    return [{"filename": f"{name}.docx", "document_id": document.id, "content_type": DOCX}]
