from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime, status_check
from webforms.timeutil import utcnow


class Department(db.Model):
    """A unit that answers or coordinates. Rows mirror config/departments.yaml (see
    domain.routing.sync_departments); the YAML is the source, the rows give assignments a key."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20), default="internal")
    emails: Mapped[list] = mapped_column(JSON, default=list)
    head_email: Mapped[str] = mapped_column(String(320), default="")
    fields: Mapped[list] = mapped_column(JSON, default=list)
    zones: Mapped[list] = mapped_column(JSON, default=list)
    consolidates: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def __repr__(self) -> str:
        return f"<Department {self.code}>"


class AssignmentRole(StrEnum):
    OWNER = "owner"
    COORDINATING = "coordinating"


class AssignmentState(StrEnum):
    OPEN = "open"  # waiting for the department
    SUBMITTED = "submitted"  # draft answer handed in, waiting for approval
    SENT_BACK = "sent_back"  # approval refused with a comment; the department works again
    APPROVED = "approved"
    RETURNED = "returned"  # "not ours": closed, a new assignment goes elsewhere
    REVOKED = "revoked"  # reassigned or delegated away: its link no longer works


# States whose deadline the sweep still watches.
OPEN_STATES = (AssignmentState.OPEN, AssignmentState.SENT_BACK, AssignmentState.SUBMITTED)


class Assignment(db.Model):
    __tablename__ = "assignments"
    __table_args__ = (
        Index("ix_assignments_state_due", "state", "due_at"),
        status_check("state", [s.value for s in AssignmentState]),
        # Partial: only the assignments still owed a notice, so the sweep's `notified_at IS NULL` reads
        # a handful of entries whatever the planner's statistics say. Named by the naming convention.
        Index("ix_assignments_notified_at", "notified_at", sqlite_where=text("notified_at IS NULL"),
              postgresql_where=text("notified_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default=AssignmentRole.OWNER)
    # The coordinating input belongs to the owner's assignment.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    # Bumped to revoke every link signed for an earlier version.
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(20), default=AssignmentState.OPEN)
    # Who holds the link: the department's address, or a delegated colleague.
    holder_email: Mapped[str] = mapped_column(String(320), default="")
    holder_name: Mapped[str] = mapped_column(String(200), default="")
    draft_answer: Mapped[str] = mapped_column(Text, default="")
    answer_mode: Mapped[str] = mapped_column(String(20), default="")
    # The reply deadline now in force (written, or coordinated once coordination is declared).
    # Derived from the plan engine when it changes, stored so the sweep can use an index.
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    suggested_department: Mapped[str] = mapped_column(String(300), default="")
    review_comment: Mapped[str] = mapped_column(Text, default="")
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # When the holder was sent the link of the current token version; NULL while a notice is owed
    # (new, or its link was revoked by a delegation). The sweep finds new items with it (partial index).
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    extra: Mapped[dict] = mapped_column(JSON, default=dict)

    recommendation = relationship("Recommendation", back_populates="assignments")
    department = relationship("Department")
    parent = relationship("Assignment", remote_side=[id])

    def __repr__(self) -> str:
        return f"<Assignment {self.id} {self.role} {self.state}>"
