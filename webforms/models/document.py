from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class Document(db.Model):
    """One rendered version of a document; a re-render adds a version and never overwrites."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("conference_id", "kind", "subject_key", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    # What the document is about within its kind: "" for one per conference, "invitee:12", "rec:KN…-1".
    subject_key: Mapped[str] = mapped_column(String(80), default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    path: Mapped[str] = mapped_column(String(500), default="")  # relative to DOCUMENTS_DIR
    pdf_path: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | done | failed
    error: Mapped[str] = mapped_column(String(2000), default="")
    generated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    conference = relationship("Conference")

    def __repr__(self) -> str:
        return f"<Document {self.kind} v{self.version}>"
