"""Check-in on the conference day: which registered enterprises and invitees came, with how many people.

`Registration.attended` is set here and nowhere else; the results report, the conclusion notice and the
dashboard count the enterprises that came from it. Marking twice is harmless (idempotent): the first
check-in time stays, a different delegate count replaces the old one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from config.rules import Rules
from webforms.domain.audit import Actor, record
from webforms.extensions import db
from webforms.models import (
    Conference,
    ConferenceStatus,
    Invitee,
    InviteeAttendance,
    Registration,
)

# Statuses in which nobody can be checked in: not announced, stopped, or called off.
CLOSED_STATUSES = (ConferenceStatus.DRAFT, ConferenceStatus.POSTPONEMENT_PROPOSED, ConferenceStatus.CANCELLED)
MAX_DELEGATES = 99  # a typing guard, not a rule of the plan


class CheckInError(ValueError):
    """A check-in refused; the message is shown to staff as is (in the page's language)."""


@dataclass(frozen=True)
class EnterpriseRow:
    registration_id: int
    tracking_code: str
    enterprise: str
    tax_code: str
    contact: str
    registered_people: int
    attended: bool
    delegates: int
    checked_in_at: dt.datetime | None
    checked_in_by: str


@dataclass(frozen=True)
class InviteeRow:
    invitee_id: int
    category: str
    name: str
    position: str
    organisation: str
    attended: bool
    delegates: int
    checked_in_at: dt.datetime | None


@dataclass
class Attendance:
    enterprises: list[EnterpriseRow] = field(default_factory=list)
    invitees: list[InviteeRow] = field(default_factory=list)

    @property
    def enterprises_registered(self) -> int:
        return len(self.enterprises)

    @property
    def enterprises_attending(self) -> int:
        return sum(1 for row in self.enterprises if row.attended)

    @property
    def enterprise_delegates(self) -> int:
        return sum(row.delegates for row in self.enterprises if row.attended)

    @property
    def invitees_attending(self) -> int:
        return sum(1 for row in self.invitees if row.attended)

    @property
    def invitee_delegates(self) -> int:
        return sum(row.delegates for row in self.invitees if row.attended)

    @property
    def delegates(self) -> int:
        return self.enterprise_delegates + self.invitee_delegates

    def as_dict(self) -> dict:
        def when(value):
            return value.isoformat() if value else None

        return {
            "enterprises_registered": self.enterprises_registered,
            "enterprises_attending": self.enterprises_attending,
            "invitees": len(self.invitees),
            "invitees_attending": self.invitees_attending,
            "delegates": self.delegates,
            "registrations": [
                {"tracking_code": r.tracking_code, "enterprise": r.enterprise, "tax_code": r.tax_code,
                 "contact": r.contact, "attended": r.attended, "delegates": r.delegates,
                 "checked_in_at": when(r.checked_in_at)} for r in self.enterprises],
            "invitee_list": [
                {"id": r.invitee_id, "category": r.category, "name": r.name, "organisation": r.organisation,
                 "attended": r.attended, "delegates": r.delegates, "checked_in_at": when(r.checked_in_at)}
                for r in self.invitees],
        }


def attendance(conference: Conference, query: str = "") -> Attendance:
    """Everyone expected, enterprises by name, invitees in their import order; `query` filters both
    by a case-insensitive part of a name, tracking code or tax code (the search box on a phone)."""
    needle = query.strip().casefold()
    result = Attendance()
    registrations = db.session.scalars(
        select(Registration).options(joinedload(Registration.enterprise))
        .where(Registration.conference_id == conference.id).order_by(Registration.id)
    )
    for reg in registrations:
        row = EnterpriseRow(reg.id, reg.tracking_code, reg.enterprise.name, reg.enterprise.tax_code,
                            reg.contact_name, len(reg.attendees or []) or 1, reg.attended, reg.delegates_present,
                            reg.checked_in_at, reg.checked_in_by)
        haystack = f"{row.enterprise} {row.tracking_code} {row.tax_code} {row.contact}".casefold()
        if not needle or needle in haystack:
            result.enterprises.append(row)
    result.enterprises.sort(key=lambda r: r.enterprise.casefold())
    present = {a.invitee_id: a for a in db.session.scalars(
        select(InviteeAttendance).where(InviteeAttendance.conference_id == conference.id))}
    for invitee in db.session.scalars(select(Invitee).where(Invitee.conference_id == conference.id)
                                      .order_by(Invitee.id)):
        mark = present.get(invitee.id)
        row = InviteeRow(invitee.id, invitee.category, invitee.name, invitee.position, invitee.organisation,
                         mark is not None, mark.delegates if mark else 0, mark.checked_in_at if mark else None)
        if not needle or needle in f"{row.name} {row.position} {row.organisation}".casefold():
            result.invitees.append(row)
    return result


def check_in_opens(conference: Conference, rules: Rules) -> dt.datetime:
    """Doors open at the start of the conference's local day."""
    local = conference.starts_at.astimezone(rules.plan.timezone)
    return dt.datetime.combine(local.date(), dt.time(0, 0), tzinfo=rules.plan.timezone)


def ensure_check_in_open(conference: Conference, *, now: dt.datetime, rules: Rules) -> None:
    if conference.status in CLOSED_STATUSES:
        raise CheckInError(_("Hội nghị chưa được thông báo, đang đề xuất hoãn hoặc đã hủy: không điểm danh được."))
    if now < check_in_opens(conference, rules):
        raise CheckInError(_("Chưa đến ngày tổ chức Hội nghị: chỉ điểm danh được từ ngày tổ chức."))


def _delegates(value: int | None, default: int) -> int:
    count = default if value is None else value
    if not 1 <= count <= MAX_DELEGATES:
        raise CheckInError(_("Số người tham dự phải từ 1 đến %(n)d.", n=MAX_DELEGATES))
    return count


def checkin_path(conference: Conference, *, registration: Registration | None = None,
                 invitee: Invitee | None = None) -> str:
    """The back-office address of one row of the check-in page (the QR code on an invitation)."""
    if registration is not None:
        return f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/ma/{registration.tracking_code}"
    return f"/quan-tri/hoi-nghi/{conference.slug}/diem-danh/khach-moi/{invitee.id}"


def registration_by_code(conference: Conference, tracking_code: str) -> Registration | None:
    return db.session.scalar(select(Registration).where(Registration.conference_id == conference.id,
                                                        Registration.tracking_code == tracking_code.strip()))


def check_in_registration(registration: Registration, *, delegates: int | None = None, now: dt.datetime,
                          rules: Rules, actor: Actor) -> bool:
    """Mark the enterprise as present; True when something changed. Without `delegates` the count is
    kept, or starts at the number of people it registered."""
    ensure_check_in_open(registration.conference, now=now, rules=rules)
    default = registration.delegates_present or len(registration.attendees or []) or 1
    count = _delegates(delegates, default)
    if registration.attended and registration.delegates_present == count:
        return False
    if not registration.attended:
        registration.checked_in_at = now
        registration.checked_in_by = actor.name[:320]
    registration.attended = True
    registration.delegates_present = count
    record(actor, "checkin.registration", "registration", registration.tracking_code, now=now, delegates=count)
    return True


def undo_check_in_registration(registration: Registration, *, now: dt.datetime, rules: Rules,
                               actor: Actor) -> bool:
    ensure_check_in_open(registration.conference, now=now, rules=rules)
    if not registration.attended:
        return False
    registration.attended = False
    registration.delegates_present = 0
    registration.checked_in_at = None
    registration.checked_in_by = ""
    record(actor, "checkin.registration_undo", "registration", registration.tracking_code, now=now)
    return True


def check_in_invitee(invitee: Invitee, *, delegates: int | None = None, now: dt.datetime, rules: Rules,
                     actor: Actor) -> bool:
    ensure_check_in_open(invitee.conference, now=now, rules=rules)
    mark = db.session.get(InviteeAttendance, invitee.id)
    count = _delegates(delegates, mark.delegates if mark else 1)
    if mark is not None and mark.delegates == count:
        return False
    if mark is None:
        db.session.add(InviteeAttendance(invitee_id=invitee.id, conference_id=invitee.conference_id,
                                         delegates=count, checked_in_at=now, checked_in_by=actor.name[:320]))
    else:
        mark.delegates = count
    record(actor, "checkin.invitee", "invitee", invitee.id, now=now, delegates=count)
    return True


def undo_check_in_invitee(invitee: Invitee, *, now: dt.datetime, rules: Rules, actor: Actor) -> bool:
    ensure_check_in_open(invitee.conference, now=now, rules=rules)
    mark = db.session.get(InviteeAttendance, invitee.id)
    if mark is None:
        return False
    db.session.delete(mark)
    record(actor, "checkin.invitee_undo", "invitee", invitee.id, now=now)
    return True
