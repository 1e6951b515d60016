"""What happened on the conference day: who came (check-in) and what the chair concluded."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime
from webforms.timeutil import utcnow


class InviteeAttendance(db.Model):
    """An invitee (city leader, agency, press…) checked in at the door; one row per invitee."""

    __tablename__ = "invitee_attendance"
    __table_args__ = (CheckConstraint("delegates >= 1", name="delegates"),)

    invitee_id: Mapped[int] = mapped_column(ForeignKey("invitees.id", ondelete="CASCADE"), primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"), index=True)
    delegates: Mapped[int] = mapped_column(Integer, default=1)
    checked_in_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_by: Mapped[str] = mapped_column(String(320), default="")

    invitee = relationship("Invitee")

    def __repr__(self) -> str:
        return f"<InviteeAttendance {self.invitee_id} x{self.delegates}>"


class Conclusion(db.Model):
    """The chair's conclusions at the conference: the source of the conclusion notice."""

    __tablename__ = "conclusions"
    __table_args__ = (UniqueConstraint("conference_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"))
    chair_name: Mapped[str] = mapped_column(String(200))
    # As it reads after the name: "Phó Trưởng ban Ban Quản lý Khu kinh tế Hải Phòng".
    chair_title: Mapped[str] = mapped_column(String(300))
    # Who attended besides the enterprises, as the notice names them (one per line).
    attending_leaders: Mapped[str] = mapped_column(Text, default="")
    attending_agencies: Mapped[str] = mapped_column(Text, default="")
    general: Mapped[str] = mapped_column(Text)  # "1. Đánh giá chung", one paragraph per line
    closing: Mapped[str] = mapped_column(Text, default="")  # "3. …" further directions, optional
    recorded_by: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list[ConclusionItem]] = relationship(back_populates="conclusion", cascade="all, delete-orphan",
                                                       order_by="ConclusionItem.id")

    def __repr__(self) -> str:
        return f"<Conclusion {self.conference_id}>"


class ConclusionItem(db.Model):
    """Per recommendation: which unit leads, what it does, by when it answers the enterprise."""

    __tablename__ = "conclusion_items"
    __table_args__ = (UniqueConstraint("conclusion_id", "recommendation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conclusion_id: Mapped[int] = mapped_column(ForeignKey("conclusions.id", ondelete="CASCADE"), index=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id", ondelete="CASCADE"))
    lead_unit: Mapped[str] = mapped_column(String(40))  # a department code of departments.yaml
    coordinating_units: Mapped[list] = mapped_column(JSON, default=list)  # department codes
    task: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # None when answered at the conference

    conclusion: Mapped[Conclusion] = relationship(back_populates="items")
    recommendation = relationship("Recommendation")

    def __repr__(self) -> str:
        return f"<ConclusionItem {self.recommendation_id} {self.lead_unit}>"
