from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class MilestoneRun(db.Model):
    """The proof that a milestone (or one stage of it, e.g. "announce_by:lead") acted once in one cycle
    (one date) of its conference."""

    __tablename__ = "milestone_runs"
    __table_args__ = (UniqueConstraint("conference_id", "cycle", "milestone"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"))
    # Conference.cycle when it ran: the runs of a date the conference was moved from stay as history.
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    milestone: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ran_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The `now` the tick was given (may differ from ran_at when time is simulated).
    as_of: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<MilestoneRun {self.conference_id}#{self.cycle} {self.milestone}>"


class DailyRun(db.Model):
    """The claim of a once-a-day job (e.g. "retention") on one local day: inserted in the job's own
    transaction, so of two ticks at once only one does the work and the other finds the row."""

    __tablename__ = "daily_runs"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
