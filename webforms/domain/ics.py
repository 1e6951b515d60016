"""The calendar invitation (.ics, RFC 5545) sent with each invitation letter."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event, vCalAddress, vText

from webforms.models import Conference

PRODID = "-//doithoai//Hoi nghi doi thoai doanh nghiep//VI"


def conference_uid(conference: Conference, domain: str) -> str:
    """Stable across re-sends, so a calendar updates the same event instead of adding another."""
    return f"conference-{conference.id}-{conference.slug}@{domain}"


def conference_ics(conference: Conference, *, domain: str, organizer: str, hours: float,
                   now: dt.datetime, description: str = "") -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", conference_uid(conference, domain))
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("dtstart", conference.starts_at.astimezone(dt.UTC))
    event.add("dtend", (conference.starts_at + dt.timedelta(hours=hours)).astimezone(dt.UTC))
    event.add("summary", conference.title)
    event.add("location", conference.venue)
    if description:
        event.add("description", description)
    event.add("sequence", 0)
    event.add("status", "CONFIRMED")
    address = vCalAddress(f"mailto:{organizer}")
    address.params["cn"] = vText(conference.host_agency)
    event.add("organizer", address)
    calendar.add_component(event)
    return calendar.to_ical()
