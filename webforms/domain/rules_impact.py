"""What a new version of the rules would change, shown before it is applied (issue 14 item 3):
the milestones of the conferences still running whose due time would move (they are computed from the
plan and the calendar, so they move as soon as the version applies), and the recommendations not yet
assigned that the routing table would send to another unit. Assignments already sent keep their unit
and due date (re-computing them is issue 14 item 4, not done). Nothing is changed here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.plan import milestones_for
from webforms.domain.routing import route
from webforms.domain.workdays import calendar_for
from webforms.extensions import db
from webforms.models import Conference, Recommendation, RecommendationStatus
from webforms.models.conference import ACTIVE_STATUSES

NOT_YET_ROUTED = (RecommendationStatus.RECEIVED,)


@dataclass(frozen=True)
class MovedDeadline:
    conference: str
    milestone: str
    before: dt.datetime | None
    after: dt.datetime | None


@dataclass(frozen=True)
class Rerouted:
    code: str
    title: str
    before: str
    after: str


@dataclass(frozen=True)
class Impact:
    deadlines: list[MovedDeadline]
    rerouted: list[Rerouted]


def impact(old: Rules, new: Rules) -> Impact:
    old_calendar, new_calendar = calendar_for(old.holidays), calendar_for(new.holidays)
    deadlines = []
    for conference in db.session.scalars(select(Conference).where(Conference.status.in_(ACTIVE_STATUSES))
                                         .order_by(Conference.starts_at)):
        before = {m.name: m for m in milestones_for(conference.starts_at, old.plan, old_calendar)}
        after = {m.name: m for m in milestones_for(conference.starts_at, new.plan, new_calendar)}
        for name in list(before) + [n for n in after if n not in before]:
            b, a = before.get(name), after.get(name)
            if (b.due if b else None) != (a.due if a else None):
                deadlines.append(MovedDeadline(conference=conference.title, milestone=(a or b).label,
                                               before=b.due if b else None, after=a.due if a else None))
    rerouted = []
    query = (select(Recommendation).where(Recommendation.status.in_(NOT_YET_ROUTED))
             .order_by(Recommendation.code).limit(2000))
    for rec in db.session.scalars(query):
        zone = rec.registration.enterprise.zone_code or ""
        was, will = route(rec.field_code, zone, old), route(rec.field_code, zone, new)
        if was != will:
            rerouted.append(Rerouted(code=rec.code, title=rec.title, before=_name(old, was), after=_name(new, will)))
    return Impact(deadlines=deadlines, rerouted=rerouted)


def _name(rules: Rules, code: str) -> str:
    try:
        return rules.department(code).name
    except KeyError:
        return code
