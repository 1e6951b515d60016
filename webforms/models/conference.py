from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webforms.extensions import db
from webforms.models.base import UTCDateTime, status_check
from webforms.timeutil import utcnow


class ConferenceStatus(StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    INTAKE_CLOSED = "intake_closed"
    CONFIRMED = "confirmed"
    POSTPONEMENT_PROPOSED = "postponement_proposed"
    HELD = "held"
    CONCLUDED = "concluded"
    REPORTED = "reported"
    CANCELLED = "cancelled"


# Statuses in which the deadline engine still has work to do.
ACTIVE_STATUSES = (
    ConferenceStatus.DRAFT,
    ConferenceStatus.ANNOUNCED,
    ConferenceStatus.INTAKE_CLOSED,
    ConferenceStatus.CONFIRMED,
    ConferenceStatus.POSTPONEMENT_PROPOSED,
    ConferenceStatus.HELD,
    ConferenceStatus.CONCLUDED,
)


class Conference(db.Model):
    __tablename__ = "conferences"
    __table_args__ = (status_check("status", [s.value for s in ConferenceStatus]),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    host_agency: Mapped[str] = mapped_column(String(300))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    venue: Mapped[str] = mapped_column(String(500))
    format: Mapped[str] = mapped_column(String(40), default="in_person")
    status: Mapped[str] = mapped_column(String(40), default=ConferenceStatus.DRAFT, index=True)
    announcement_text: Mapped[str] = mapped_column(Text, default="")
    announced_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The announcement's two channels (plan III.3): the e-portal and the one-stop desk, each with its time.
    posted_portal_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    posted_one_stop_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Why staff announced later than the plan's notice (announce_by); empty when on time.
    late_announcement_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Each date the conference is set for is a cycle of the plan's milestones: a postponement starts
    # the next one; the runs of earlier cycles stay (MilestoneRun.cycle).
    cycle: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    held_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The rules version it was announced under and the plan's terms it keeps from it (offsets, quorum:
    # domain.plan.kept_plan); none while a draft, which follows the plan in force.
    rules_version: Mapped[int | None] = mapped_column(Integer)
    plan_terms: Mapped[dict | None] = mapped_column(JSON)
    # The plan dates the open deadlines were last checked against (deadlines.recompute_open_deadlines): while
    # they are the same, no assignment can be off them, and the tick reads none.
    deadlines_checked: Mapped[str | None] = mapped_column(String(64))
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Signature block; empty means the signer in plan.yaml.
    signer_authority: Mapped[str] = mapped_column(String(120), default="")
    signer_title: Mapped[str] = mapped_column(String(120), default="")
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    invitees: Mapped[list[Invitee]] = relationship(back_populates="conference", cascade="all, delete-orphan")

    def __repr__(self) -> str:
        return f"<Conference {self.slug} {self.status}>"


class InviteeCategory(StrEnum):
    CITY_LEADER = "city_leader"
    AGENCY = "agency"
    ENTERPRISE = "enterprise"
    PRESS = "press"
    PORTAL = "portal"


class Invitee(db.Model):
    """Someone the invitations go to, besides the enterprises that registered."""

    __tablename__ = "invitees"
    __table_args__ = (Index("ix_invitees_conference_category", "conference_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conference_id: Mapped[int] = mapped_column(ForeignKey("conferences.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(300))
    position: Mapped[str] = mapped_column(String(300), default="")
    organisation: Mapped[str] = mapped_column(String(300), default="")
    email: Mapped[str] = mapped_column(String(320), default="")

    conference: Mapped[Conference] = relationship(back_populates="invitees")

    def __repr__(self) -> str:
        return f"<Invitee {self.category} {self.name}>"
