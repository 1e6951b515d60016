from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class Registration(db.Model):
    """An enterprise's registration for one conference."""

    __tablename__ = "registrations"
    __table_args__ = (
        UniqueConstraint("conference_id", "enterprise_id"),
        # Partial: the few receipts the per-address limit held back, which the tick reads each minute.
        Index("ix_registrations_receipt_held", "receipt_held_at",
              sqlite_where=text("receipt_held_at IS NOT NULL"), postgresql_where=text("receipt_held_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    # Dated public code, e.g. KN.20250820.0042.
    tracking_code: Mapped[str] = mapped_column(String(40), unique=True)
    # sha256 of the private token sent to the enterprise; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_position: Mapped[str] = mapped_column(String(200), default="")
    contact_email: Mapped[str] = mapped_column(String(320))
    contact_phone: Mapped[str] = mapped_column(String(20))  # E.164, +84…
    # When the contact showed the address is theirs: the private link mailed to it was opened, a re-submission
    # was confirmed from it, or staff entered it. Until then a mail to the address repeats nothing the
    # submitter typed (issue 16, F8). A new address from a re-submission starts unconfirmed again.
    contact_confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The receipt (tracking code and private link): when it went to the address, or since when the
    # per-address daily limit holds it back (sent by the tick, with a fresh token, once the address has room).
    receipt_sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    receipt_held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attendees: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "position"}]
    # The enterprise agreed that its name may appear beside its published answers.
    public_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Counted toward the quorum only when registered before the intake closed.
    registered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    attended: Mapped[bool] = mapped_column(Boolean, default=False)
    # Check-in on the conference day: how many of its people came, when, and who recorded it.
    delegates_present: Mapped[int] = mapped_column(Integer, default=0)
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    checked_in_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    conference = relationship("Conference")
    enterprise = relationship("Enterprise")
    recommendations = relationship("Recommendation", back_populates="registration", order_by="Recommendation.seq")

    def __repr__(self) -> str:
        return f"<Registration {self.tracking_code}>"


class TrackingCounter(db.Model):
    """The last tracking-code number handed out on a local day (the NNNN of KN.YYYYMMDD.NNNN)."""

    __tablename__ = "tracking_counters"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class SubmissionKey(db.Model):
    """The form's one-time submission key: a double-clicked submit finds its first result here."""

    __tablename__ = "submission_keys"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Resubmission(db.Model):
    """A second submission for a registration that exists: held until the enterprise confirms it through
    the signed link emailed to the address already on file, so knowing a tax code is not enough to
    change someone else's registration."""

    __tablename__ = "resubmissions"
    # Partial: only the re-submissions still waiting for their confirmation, which the tick reads each
    # minute to discard the expired ones; years of confirmed and discarded ones stay out of it.
    __table_args__ = (
        Index("ix_resubmissions_waiting", "submitted_at",
              sqlite_where=text("confirmed_at IS NULL AND discarded_at IS NULL"),
              postgresql_where=text("confirmed_at IS NULL AND discarded_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("registrations.id", ondelete="CASCADE"), index=True)
    # The validated input (validation.RegistrationInput.as_payload) and, per recommendation block,
    # the ids of its attachments (stored already, not yet linked to a recommendation).
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Set when its link expired unconfirmed and its files were removed: it can no longer be confirmed.
    discarded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    registration = relationship("Registration")

    def __repr__(self) -> str:
        return f"<Resubmission {self.id} of {self.registration_id}>"
