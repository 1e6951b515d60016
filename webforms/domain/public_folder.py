"""What the public "Đối thoại doanh nghiệp" folder, its Atom feed and the JSON API may show.

One rule, in one place: an answer is public when the recommendation is published, not private,
not screened out, answered, and its conference is not a draft. The enterprise's name appears only
when its registration gave public consent. Documents: published and rendered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import extract, or_, select
from sqlalchemy.orm import joinedload

from webforms.domain.documents.kinds import kind_label
from webforms.domain.text import clean_text
from webforms.extensions import db
from webforms.models import (
    Conference,
    ConferenceStatus,
    Document,
    Enterprise,
    Recommendation,
    RecommendationStatus,
    Registration,
    Scope,
)

ANSWERED = (RecommendationStatus.ANSWERED_AT_CONFERENCE, RecommendationStatus.ANSWERED_IN_WRITING)


def public_conferences(year: int | None = None) -> list[Conference]:
    query = select(Conference).where(Conference.status != ConferenceStatus.DRAFT)
    if year is not None:
        query = query.where(extract("year", Conference.starts_at) == year)
    return list(db.session.scalars(query.order_by(Conference.starts_at.desc())))


def public_conference(slug: str) -> Conference | None:
    return db.session.scalar(select(Conference).where(Conference.slug == slug,
                                                      Conference.status != ConferenceStatus.DRAFT))


@dataclass(frozen=True)
class PublicAnswer:
    code: str
    title: str
    content: str
    field_code: str
    answer: str
    answer_mode: str
    answered_at: dt.datetime | None
    enterprise: str  # "" without consent
    conference_slug: str
    conference_title: str

    def as_dict(self) -> dict:
        return {"code": self.code, "title": self.title, "content": self.content, "field": self.field_code,
                "answer": self.answer, "answer_mode": self.answer_mode,
                "answered_at": self.answered_at.isoformat() if self.answered_at else None,
                "enterprise": self.enterprise or None, "conference": self.conference_slug}


def _answers_query():
    return (select(Recommendation.code, Recommendation.title, Recommendation.content, Recommendation.field_code,
                   Recommendation.answer, Recommendation.answer_mode, Recommendation.answered_at,
                   Enterprise.name, Registration.public_consent, Conference.slug, Conference.title)
            .join(Registration, Recommendation.registration_id == Registration.id)
            .join(Enterprise, Registration.enterprise_id == Enterprise.id)
            .join(Conference, Recommendation.conference_id == Conference.id)
            .where(Recommendation.published.is_(True), Recommendation.private.is_(False),
                   Recommendation.status.in_(ANSWERED), Recommendation.scope != Scope.OUT_OF_SCOPE,
                   Recommendation.answer != "", Conference.status != ConferenceStatus.DRAFT))


def _to_answers(rows) -> list[PublicAnswer]:
    return [PublicAnswer(code=r[0], title=r[1], content=r[2], field_code=r[3], answer=r[4], answer_mode=r[5],
                         answered_at=r[6], enterprise=r[7] if r[8] else "", conference_slug=r[9],
                         conference_title=r[10]) for r in rows]


def public_answers(conference: Conference | None = None, *, text: str = "", year: int | None = None,
                   limit: int = 500, newest_first: bool = False) -> list[PublicAnswer]:
    query = _answers_query()
    if conference is not None:
        query = query.where(Recommendation.conference_id == conference.id)
    if year is not None:
        query = query.where(extract("year", Conference.starts_at) == year)
    text = clean_text(text)[:200]
    if text:
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(Recommendation.title.ilike(like, escape="\\"),
                                Recommendation.content.ilike(like, escape="\\"),
                                Recommendation.answer.ilike(like, escape="\\")))
    order = (Recommendation.answered_at.desc(),) if newest_first else (Recommendation.field_code, Recommendation.code)
    return _to_answers(db.session.execute(query.order_by(*order).limit(limit)).all())


def public_documents(conference: Conference | None = None, limit: int = 200) -> list[Document]:
    query = (select(Document).join(Conference, Document.conference_id == Conference.id)
             .options(joinedload(Document.conference))
             .where(Document.published.is_(True), Document.status == "done",
                    Conference.status != ConferenceStatus.DRAFT))
    if conference is not None:
        query = query.where(Document.conference_id == conference.id)
    return list(db.session.scalars(query.order_by(Document.generated_at.desc(), Document.id.desc()).limit(limit)))


def public_document(conference: Conference, document_id: int) -> Document | None:
    return db.session.scalar(select(Document).where(Document.id == document_id, Document.conference_id == conference.id,
                                                    Document.published.is_(True), Document.status == "done"))


def public_years() -> list[int]:
    return sorted({c.starts_at.year for c in public_conferences()}, reverse=True)


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    updated: dt.datetime
    summary: str
    path_kind: str  # conference | answer | document
    slug: str
    anchor: str = ""
    document_id: int | None = None


def feed_entries(limit: int = 50) -> list[FeedEntry]:
    """Announcements, published answers and public documents, newest first."""
    entries: list[FeedEntry] = []
    for c in public_conferences()[:limit]:
        when = c.announced_at or c.updated_at or c.created_at
        entries.append(FeedEntry(f"conference:{c.slug}", c.title, when, c.announcement_text or c.venue,
                                 "conference", c.slug))
    for a in public_answers(limit=limit, newest_first=True):
        if a.answered_at is None:
            continue
        entries.append(FeedEntry(f"answer:{a.code}", a.title, a.answered_at, a.answer, "answer", a.conference_slug,
                                 anchor=a.code))
    for d in public_documents(limit=limit):
        when = d.generated_at or d.created_at
        title = _("%(kind)s, phiên bản %(version)s", kind=kind_label(d.kind), version=d.version)
        entries.append(FeedEntry(f"document:{d.id}", title, when, d.conference.title,
                                 "document", d.conference.slug, document_id=d.id))
    entries.sort(key=lambda e: e.updated, reverse=True)
    return entries[:limit]
