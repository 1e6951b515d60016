"""Creating conferences and reading their milestones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select

from config.rules import Rules
from webforms.domain import events
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.lifecycle import move_conference
from webforms.domain.mail import sender_domain
from webforms.domain.plan import MilestoneDue, kept_plan, milestone_due, milestones_for, plan_terms
from webforms.domain.text import clean_text, slugify
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Conference, ConferenceStatus


class ConferenceError(ValueError):
    pass


class DayOffError(ConferenceError):
    """The date chosen for the conference is not a working day."""

    def __init__(self, day: dt.date, reason: str):
        super().__init__(f"{day:%d/%m/%Y} is not a working day ({reason}); choose a working day")
        self.day, self.reason = day, reason


def refuse_day_off(starts_at: dt.datetime, rules: Rules, calendar: WorkingCalendar | None) -> None:
    """A conference is held on a working day: refuse any other, with the reason the day is off."""
    if calendar is None:
        return
    day = starts_at.astimezone(rules.plan.timezone).date()
    reason = calendar.day_off_reason(day)
    if reason is not None:
        raise DayOffError(day, reason)


def unconfirmed_window_years(starts_at: dt.datetime, rules: Rules, calendar: WorkingCalendar) -> tuple[int, ...]:
    """The years the conference's milestones (D−7 … D+14 working days) reach into whose days off are
    not confirmed yet: its deadlines there are projections."""
    years: set[int] = set()
    for m in milestones_for(starts_at, rules.plan, calendar):
        years.update(m.computation.unconfirmed_years)
    return tuple(sorted(years))


def warn_unconfirmed_window(conference: Conference, rules: Rules, calendar: WorkingCalendar,
                            now: dt.datetime, *, settings) -> tuple[int, ...]:
    """Email the Office once per date (cycle) when the conference's deadlines reach into a year whose days off
    are not confirmed, with the back office page where the days off are confirmed; return those years."""
    from webforms.domain.outbox import queue_template
    from webforms.domain.recipients import recipients_for

    years = unconfirmed_window_years(conference.starts_at, rules, calendar)
    if years:
        queue_template("unconfirmed_calendar_to_office",
                       {"conference": conference, "years": years, "now": now,
                        "base_url": settings.public_base_url.rstrip("/"),
                        "milestones": [m for m in milestones_for(conference.starts_at,
                                                                 kept_plan(conference, rules.plan), calendar)
                                       if m.tentative]},
                       to=list(recipients_for(rules).office),
                       dedupe_key=f"unconfirmed-calendar:{conference.id}:{conference.cycle or 1}",
                       rules=rules, message_domain=sender_domain(settings))
    return years


def create_conference(
    *,
    title: str,
    starts_at: dt.datetime,
    venue: str,
    rules: Rules,
    calendar: WorkingCalendar | None = None,
    settings=None,
    slug: str | None = None,
    host_agency: str | None = None,
    format: str = "in_person",  # noqa: A002 - the domain's word
    announcement_text: str = "",
    now: dt.datetime | None = None,
) -> Conference:
    """A draft conference. With the calendar, a day off is refused and the Office is warned (by email, from the
    settings' sender) when the conference's deadlines reach into a year whose days off are not confirmed."""
    if calendar is not None and settings is None:
        raise TypeError("create_conference: a calendar needs the settings the Office's warning is sent with")
    if starts_at.tzinfo is None:
        raise ConferenceError("starts_at must carry a time zone")
    title = clean_text(title)
    venue = clean_text(venue)
    if not title:
        raise ConferenceError("title is required")
    if not venue:
        raise ConferenceError("venue is required")
    refuse_day_off(starts_at, rules, calendar)
    local = starts_at.astimezone(rules.plan.timezone)
    slug = slugify(slug) if slug else slugify(f"{title}-{local:%Y-%m-%d}")
    if db.session.scalar(select(Conference.id).where(Conference.slug == slug)) is not None:
        raise ConferenceError(f"a conference with slug '{slug}' already exists")
    conference = Conference(
        slug=slug,
        title=title,
        host_agency=clean_text(host_agency) or rules.plan.agency.short_name,
        starts_at=starts_at,
        venue=venue,
        format=format,
        status=ConferenceStatus.DRAFT,
        announcement_text=clean_text(announcement_text, multiline=True),
    )
    db.session.add(conference)
    db.session.flush()
    if calendar is not None:
        warn_unconfirmed_window(conference, rules, calendar, now or dt.datetime.now(dt.UTC), settings=settings)
    return conference


# Built once: every public request runs it, and a statement reused keeps its memoized cache key.
_BY_SLUG = select(Conference).where(Conference.slug == bindparam("slug"))


def get_conference(slug: str) -> Conference | None:
    return db.session.scalar(_BY_SLUG, {"slug": slug})


def conference_milestones(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> list[MilestoneDue]:
    return milestones_for(conference.starts_at, kept_plan(conference, rules.plan), calendar)


class LateAnnouncement(ConferenceError):
    """Announced after the plan's notice (announce_by) without a reason."""


def announce_conference(conference: Conference, *, now: dt.datetime, rules: Rules, calendar: WorkingCalendar,
                        actor: Actor = SYSTEM, late_reason: str = "", portal_at: dt.datetime | None = None,
                        one_stop_at: dt.datetime | None = None) -> bool:
    """Publish the announcement and open intake; False when it was already announced.

    The plan (III.3) posts it on the e-portal and at the one-stop desk at least `announce_by` working
    days before D: both channels are recorded, each with its time (`now` when not given). Later than
    that is refused unless staff give a reason (kept and shown on the dashboard); after the intake
    has closed it is refused outright (postpone the conference instead).
    """
    if conference.status != ConferenceStatus.DRAFT:
        return False
    late_reason = clean_text(late_reason, multiline=True)
    announce_by = milestone_due(conference.starts_at, "announce_by", rules.plan, calendar)
    intake_closes = milestone_due(conference.starts_at, "intake_closes", rules.plan, calendar)
    if now > intake_closes.due:
        raise ConferenceError(f"intake closed at {intake_closes.due:%d/%m/%Y %H:%M}: postpone the conference "
                              "to a new date instead of announcing it")
    if now > announce_by.due and not late_reason:
        raise LateAnnouncement(f"the announcement was due by {announce_by.due:%d/%m/%Y %H:%M} "
                               f"({announce_by.offset} working days before the conference): give a reason")
    for at in (portal_at, one_stop_at):
        if at is not None and at.tzinfo is None:
            raise ConferenceError("posting times must carry a time zone")
    move_conference(conference, ConferenceStatus.ANNOUNCED)
    conference.announced_at = now
    conference.posted_portal_at = portal_at or now
    conference.posted_one_stop_at = one_stop_at or now
    conference.late_announcement_reason = late_reason if now > announce_by.due else ""
    # It keeps the plan it is announced under: later offsets and quorum apply to it only if an editor says so.
    conference.rules_version, conference.plan_terms = rules.version, plan_terms(rules.plan)
    record(actor, "conference.announce", "conference", conference.slug, now=now, cycle=conference.cycle,
           portal_at=conference.posted_portal_at.isoformat(), one_stop_at=conference.posted_one_stop_at.isoformat(),
           rules_version=conference.rules_version,
           **({"late_reason": conference.late_announcement_reason} if conference.late_announcement_reason else {}))
    events.conference_announced.send(conference, now=now, rules=rules, calendar=calendar)
    return True
