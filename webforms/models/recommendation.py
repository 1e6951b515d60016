from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime, status_check
from webforms.timeutil import utcnow


class RecommendationStatus(StrEnum):
    RECEIVED = "received"
    SCREENED_OUT = "screened_out"
    ASSIGNED = "assigned"  # with a department
    ANSWERED_AT_CONFERENCE = "answered_at_conference"
    ANSWERED_IN_WRITING = "answered_in_writing"


class Scope(StrEnum):
    PENDING = "pending"
    IN_SCOPE = "in_scope"
    OUT_OF_SCOPE = "out_of_scope"


class AnswerMode(StrEnum):
    AT_CONFERENCE = "at_conference"
    IN_WRITING = "in_writing"


class Recommendation(db.Model):
    __tablename__ = "recommendations"
    __table_args__ = (
        UniqueConstraint("registration_id", "seq"),
        Index("ix_recommendations_status_field", "status", "field_code"),
        status_check("status", [s.value for s in RecommendationStatus]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(48), unique=True)  # tracking code + "-" + seq
    title: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    field_code: Mapped[str] = mapped_column(String(40), index=True)
    agency_concerned: Mapped[str] = mapped_column(String(300), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Entered after the intake closed: kept, answered, but not counted toward the quorum.
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    scope: Mapped[str] = mapped_column(String(20), default=Scope.PENDING, index=True)
    scope_reason_code: Mapped[str] = mapped_column(String(40), default="")
    scope_reason: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(40), default=RecommendationStatus.RECEIVED, index=True)
    answer_mode: Mapped[str] = mapped_column(String(20), default="")
    needs_coordination: Mapped[bool] = mapped_column(Boolean, default=False)
    # The approved answer, copied from the owner's assignment on approval.
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Shown in the public folder once answered, unless someone marked it private.
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    # Indexed: a self-referencing key, checked on every delete of a recommendation.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    registration = relationship("Registration", back_populates="recommendations")
    conference = relationship("Conference")
    attachments = relationship("Attachment", back_populates="recommendation", order_by="Attachment.id")
    assignments = relationship("Assignment", back_populates="recommendation", order_by="Assignment.id")

    def __repr__(self) -> str:
        return f"<Recommendation {self.code} {self.status}>"


class Attachment(db.Model):
    """A file an enterprise or a department attached; stored outside static/ under a random name."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int | None] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"),
                                                          index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    recommendation = relationship("Recommendation", back_populates="attachments")

    def __repr__(self) -> str:
        return f"<Attachment {self.original_name}>"
