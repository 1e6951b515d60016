"""Creating conferences and reading their milestones."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.rules import Rules
from webforms.domain import events
from webforms.domain.audit import SYSTEM, Actor, record
from webforms.domain.plan import MilestoneDue, milestones_for
from webforms.domain.text import clean_text, slugify
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Conference, ConferenceStatus


class ConferenceError(ValueError):
    pass


def create_conference(
    *,
    title: str,
    starts_at: dt.datetime,
    venue: str,
    rules: Rules,
    slug: str | None = None,
    host_agency: str | None = None,
    format: str = "in_person",  # noqa: A002 - the domain's word
    announcement_text: str = "",
) -> Conference:
    if starts_at.tzinfo is None:
        raise ConferenceError("starts_at must carry a time zone")
    title = clean_text(title)
    venue = clean_text(venue)
    if not title:
        raise ConferenceError("title is required")
    if not venue:
        raise ConferenceError("venue is required")
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
    return conference


def get_conference(slug: str) -> Conference | None:
    return db.session.scalar(select(Conference).where(Conference.slug == slug))


def conference_milestones(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> list[MilestoneDue]:
    return milestones_for(conference.starts_at, rules.plan, calendar)


def announce_conference(conference: Conference, *, now: dt.datetime, rules: Rules, calendar: WorkingCalendar,
                        actor: Actor = SYSTEM) -> bool:
    """Publish the announcement and open intake; False when it was already announced."""
    if conference.status != ConferenceStatus.DRAFT:
        return False
    conference.status = ConferenceStatus.ANNOUNCED
    conference.announced_at = now
    record(actor, "conference.announce", "conference", conference.slug, now=now)
    events.conference_announced.send(conference, now=now, rules=rules, calendar=calendar)
    return True
