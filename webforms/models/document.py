from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class DocumentState(enum.StrEnum):
    """Where a document stands on its way to being an official one (Decree 30/2020, arts. 10-16, 26)."""

    DRAFT = "draft"  # dự thảo
    APPROVED = "approved"  # the content is approved (duyệt dự thảo); not yet signed
    SIGNED = "signed"  # signed by the person in the signature block; no number yet
    ISSUED = "issued"  # numbered in the outgoing register and sent (ban hành)
    REPLACED = "replaced"  # a later issue of the same document takes its place
    WITHDRAWN = "withdrawn"  # withdrawn, with a reason (thu hồi)


# The only moves a document makes; anything else raises TransitionRefused.
TRANSITIONS: dict[DocumentState, frozenset[DocumentState]] = {
    DocumentState.DRAFT: frozenset({DocumentState.APPROVED, DocumentState.WITHDRAWN}),
    DocumentState.APPROVED: frozenset({DocumentState.SIGNED, DocumentState.DRAFT, DocumentState.WITHDRAWN}),
    DocumentState.SIGNED: frozenset({DocumentState.ISSUED, DocumentState.WITHDRAWN}),
    DocumentState.ISSUED: frozenset({DocumentState.REPLACED, DocumentState.WITHDRAWN}),
    DocumentState.REPLACED: frozenset(),
    DocumentState.WITHDRAWN: frozenset(),
}

_STATES_SQL = ", ".join(f"'{state.value}'" for state in DocumentState)


class TransitionRefused(ValueError):
    """A document asked to move where TRANSITIONS does not allow."""

    def __init__(self, document: Document, target: DocumentState) -> None:
        self.current = DocumentState(document.state or DocumentState.DRAFT)
        self.target = target
        super().__init__(f"document {document.id}: {self.current.value} -> {target.value} is not allowed")


class Document(db.Model):
    """One rendered version of a document; a re-render adds a version and never overwrites.

    `status` is the render's (pending | done | failed); `state` is the document's lifecycle
    (DocumentState). The issue columns are set when the văn thư issues it.
    """

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("conference_id", "kind", "subject_key", "version"),
        CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
        CheckConstraint(
            "state NOT IN ('issued', 'replaced') OR (number IS NOT NULL AND issued_on IS NOT NULL)",
            name="issued_numbered",
        ),
        CheckConstraint("state <> 'withdrawn' OR withdrawn_reason <> ''", name="withdrawn_reason"),
    )

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

    state: Mapped[str] = mapped_column(String(20), default=DocumentState.DRAFT.value, server_default="draft")
    number: Mapped[int | None] = mapped_column(Integer)  # in the outgoing register of `issued_on`'s year
    symbol: Mapped[str] = mapped_column(String(60), default="", server_default="")  # "BQL-QHXD", "GM-BQL"
    issued_on: Mapped[dt.date | None] = mapped_column(Date)  # local date
    issued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    signer: Mapped[str] = mapped_column(String(300), default="", server_default="")
    signed_path: Mapped[str] = mapped_column(String(500), default="", server_default="")  # the issued PDF
    signed_sha256: Mapped[str] = mapped_column(String(64), default="", server_default="", index=True)
    withdrawn_reason: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # The short code of the public verification page /xac-thuc/<code>.
    verify_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"))

    conference = relationship("Conference")

    @property
    def number_text(self) -> str:
        """"15/BQL-QHXD" once issued; "" before (numbers below 10 take a leading 0)."""
        return f"{self.number:02d}/{self.symbol}" if self.number is not None else ""

    def move_to(self, target: DocumentState | str) -> None:
        """Change `state` along TRANSITIONS; raises TransitionRefused otherwise."""
        target = DocumentState(target)
        if target not in TRANSITIONS[DocumentState(self.state or DocumentState.DRAFT)]:
            raise TransitionRefused(self, target)
        self.state = target.value

    def __repr__(self) -> str:
        return f"<Document {self.kind} v{self.version}>"


class RegisterCounter(db.Model):
    """The last number given in an agency's outgoing register (sổ đăng ký văn bản đi) of a calendar year."""

    __tablename__ = "register_counters"

    agency: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class RegisterEntry(db.Model):
    """One line of the outgoing register: a number given, to an issued document or withdrawn with a reason."""

    __tablename__ = "register_entries"
    __table_args__ = (
        UniqueConstraint("agency", "year", "number"),
        CheckConstraint("state IN ('issued', 'withdrawn')", name="state"),
        CheckConstraint("state <> 'withdrawn' OR reason <> ''", name="reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency: Mapped[str] = mapped_column(String(40))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    symbol: Mapped[str] = mapped_column(String(60), default="")
    kind: Mapped[str] = mapped_column(String(40), default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str] = mapped_column(String(1000), default="")  # trích yếu nội dung
    signer: Mapped[str] = mapped_column(String(300), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    recipients: Mapped[list] = mapped_column(JSON, default=list)  # nơi nhận
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="issued")
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    document = relationship("Document")
