"""Thông báo hoãn / hủy tổ chức Hội nghị (issue #12 item 6): drafted in the caller's transaction, once per
change, when the conference is postponed or cancelled. The participants are told at once by email, with no
draft attached; the notice reaches them when the Office issues it (issuing.deliver_issued mails the signed
PDF to each of them)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from webforms.extensions import db
from webforms.models import Conference, Document


def draft_conference_notice(
    conference: Conference,
    change: str,
    *,
    now: dt.datetime,
    reason: str,
    announced: bool,
    old_starts_at: dt.datetime | None = None,
    rules,
    settings,
) -> Document:
    """The notice drafted now (or the one drafted already for this change), for the Office to issue.

    :param change: postponed | cancelled.
    :param announced: whether the conference had been announced before this change (a postponement
        clears the announcement of the old date, so it is read before).
    """
    from webforms.domain.documents.generate import generate_document

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
    return document


def issued_notice_name(document: Document) -> str:
    """"Thong-bao-hoan-hoi-nghi-so-05-2026.pdf" / "Thong-bao-huy-hoi-nghi-so-05-2026.pdf"."""
    change = "huy" if document.subject_key == "cancelled" else "hoan"
    return f"Thong-bao-{change}-hoi-nghi-so-{document.number:02d}-{document.issued_on.year}.pdf"
