"""Demo data for `make run`: a conference about 20 working days ahead, from webforms/domain/data/demo.yaml
with the agency's names from the rules."""

from __future__ import annotations

import datetime as dt
import functools
import string
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, ValidationError

from config.rules import Rules
from webforms.domain.conferences import announce_conference, create_conference
from webforms.domain.departments import sync_departments
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import Conference, Invitee, InviteeCategory

DEMO_SLUG = "hoi-nghi-doi-thoai-doanh-nghiep-demo"
DEMO_FILE = Path(__file__).resolve().parent / "data" / "demo.yaml"


PLACEHOLDERS = frozenset({"agency", "place", "year"})  # what the file's texts may name, filled by seed_demo


def _known_placeholders(text: str) -> str:
    try:
        named = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError as exc:  # a lone "{" or "}"
        raise ValueError(f"{exc} (write {{{{ and }}}} for a brace)") from None
    if unknown := sorted(named - PLACEHOLDERS):
        raise ValueError(f"unknown placeholder(s) {unknown}; known: {sorted(PLACEHOLDERS)}")
    return text


Text = Annotated[str, Field(min_length=1), AfterValidator(_known_placeholders)]


class DemoInvitee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: InviteeCategory
    name: Text
    position: str = ""
    organisation: Text


class DemoData(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: Text
    venue: Text
    announcement: Text
    lead_working_days: int = Field(ge=1, le=250)
    starts_at: dt.time
    admin_email: EmailStr
    admin_name: str = Field(min_length=1)
    invitees: list[DemoInvitee]


class DemoDataError(ValueError):
    pass


@functools.cache
def demo_data(path: Path = DEMO_FILE) -> DemoData:
    """The demo file, checked; DemoDataError names the file and what is wrong in it."""
    try:
        return DemoData.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise DemoDataError(f"{path}: {exc}") from None


def seed_demo(rules: Rules, calendar: WorkingCalendar, settings, now: dt.datetime) -> tuple[Conference, bool]:
    """Create the demo conference once, with the checks and the Office's warning a conference created in the
    back office gets; returns it and whether it was created now."""
    demo = demo_data()
    sync_departments(rules)
    existing = db.session.scalar(db.select(Conference).where(Conference.slug == DEMO_SLUG))
    if existing is not None:
        return existing, False
    today = now.astimezone(rules.plan.timezone).date()
    day = calendar.add_working_days(today, demo.lead_working_days)
    names = {"agency": rules.plan.agency.short_name, "place": rules.plan.agency.place, "year": day.year}
    conference = create_conference(
        title=demo.title.format(**names),
        starts_at=dt.datetime.combine(day, demo.starts_at, tzinfo=rules.plan.timezone),
        venue=demo.venue.format(**names),
        rules=rules,
        calendar=calendar,
        settings=settings,
        slug=DEMO_SLUG,
        announcement_text=demo.announcement.format(**names),
        now=now,
    )
    # The demo is announced, so the public form can be tried at once.
    announce_conference(conference, now=now, rules=rules, calendar=calendar)
    for invitee in demo.invitees:
        db.session.add(Invitee(conference=conference, category=invitee.category, name=invitee.name.format(**names),
                               position=invitee.position, organisation=invitee.organisation.format(**names),
                               email=""))
    db.session.flush()
    return conference, True
