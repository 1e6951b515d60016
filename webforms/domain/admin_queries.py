"""Back-office lists: documents, outbox, audit log; and publishing a document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from webforms.domain.audit import Actor, record
from webforms.domain.recommendation_admin import Page
from webforms.domain.text import clean_text, slugify
from webforms.extensions import db
from webforms.models import AuditEvent, Conference, Document, OutboxMessage, OutboxStatus


def _page(query, count_query, page: int, per_page: int) -> Page:
    total = db.session.scalar(count_query) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    rows = list(db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(rows=rows, total=total, page=page, per_page=per_page)


def list_documents(conference_slug: str | None, *, page: int, per_page: int) -> Page:
    """Every version of every document (a re-render adds a version), newest first."""
    conditions = [Conference.slug == conference_slug] if conference_slug else []
    query = (select(Document).join(Conference, Document.conference_id == Conference.id)
             .options(joinedload(Document.conference)).where(*conditions)
             .order_by(Conference.starts_at.desc(), Document.kind, Document.subject_key, Document.version.desc()))
    count = select(func.count(Document.id)).join(Conference, Document.conference_id == Conference.id).where(*conditions)
    return _page(query, count, page, per_page)


def download_name(document: Document) -> str:
    suffix = PurePosixPath(document.path).suffix or ".docx"
    parts = [document.conference.slug, document.kind, slugify(document.subject_key) if document.subject_key else "",
             f"v{document.version}"]
    return "-".join(p for p in parts if p) + suffix


def set_document_published(document: Document, published: bool, *, now: dt.datetime, actor: Actor) -> None:
    if published and document.status != "done":
        raise ValueError("only a rendered document can be published")
    if document.published == published:
        return
    document.published = published
    record(actor, "document.publish" if published else "document.unpublish", "document", document.id, now=now,
           kind=document.kind, version=document.version)


def list_outbox(status: str, *, page: int, per_page: int) -> Page:
    """Unfinished rows by default (pending, sending, failed); one status when asked."""
    statuses = [status] if status in {s.value for s in OutboxStatus} else \
        [OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.FAILED]
    query = (select(OutboxMessage).where(OutboxMessage.status.in_(statuses))
             .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))
    count = select(func.count(OutboxMessage.id)).where(OutboxMessage.status.in_(statuses))
    return _page(query, count, page, per_page)


def outbox_counts() -> dict[str, int]:
    return dict(db.session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all())


@dataclass(frozen=True)
class AuditFilter:
    actor: str = ""
    action: str = ""
    target: str = ""  # kind, id or "kind:id"
    since: dt.date | None = None
    until: dt.date | None = None


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def list_audit(flt: AuditFilter, *, page: int, per_page: int, tz: ZoneInfo) -> Page:
    conditions = []
    if clean_text(flt.actor):
        conditions.append(AuditEvent.actor.ilike(_like(clean_text(flt.actor)), escape="\\"))
    if clean_text(flt.action):
        conditions.append(AuditEvent.action.ilike(_like(clean_text(flt.action)), escape="\\"))
    target = clean_text(flt.target)
    if target:
        kind, _, ident = target.partition(":")
        if ident:
            conditions += [AuditEvent.target_kind == kind, AuditEvent.target_id == ident]
        else:
            conditions.append((AuditEvent.target_kind == target) | (AuditEvent.target_id == target))
    if flt.since:
        conditions.append(AuditEvent.at >= dt.datetime.combine(flt.since, dt.time(), tzinfo=tz))
    if flt.until:
        conditions.append(AuditEvent.at < dt.datetime.combine(flt.until + dt.timedelta(days=1), dt.time(), tzinfo=tz))
    query = select(AuditEvent).where(*conditions).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    return _page(query, select(func.count(AuditEvent.id)).where(*conditions), page, per_page)
