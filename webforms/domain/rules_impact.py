"""What a new version of the rules would change, shown before it is applied (issue 14 items 3 and 4):
the milestones of the conferences still running whose due time would move (computed from the plan and the
calendar, so they move as soon as the version applies), the recommendations not yet assigned that the
routing table would send to another unit, and the announced conferences that keep the plan they were
announced under (its offsets and quorum: domain.plan.kept_plan) with what would move if the editor applied
the new plan to them too. Holidays are law: a holiday change moves every conference's deadlines.
Nothing is changed here, except by `apply_plan_to`, when the editor asks for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.audit import Actor, record
from webforms.domain.plan import kept_plan, milestones_for, plan_terms
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
class KeptPlan:
    """An announced conference that keeps its plan under the new version, and what applying it would move."""

    conference_id: int
    conference: str
    rules_version: int | None
    deadlines: list[MovedDeadline]
    quorum_before: tuple[int, int]  # enterprises, recommendations
    quorum_after: tuple[int, int]


@dataclass(frozen=True)
class Impact:
    deadlines: list[MovedDeadline]
    rerouted: list[Rerouted]
    kept: list[KeptPlan]


def _moves(conference: Conference, before: list, after: list) -> list[MovedDeadline]:
    before, after = {m.name: m for m in before}, {m.name: m for m in after}
    moved = []
    for name in list(before) + [n for n in after if n not in before]:
        b, a = before.get(name), after.get(name)
        if (b.due if b else None) != (a.due if a else None):
            moved.append(MovedDeadline(conference=conference.title, milestone=(a or b).label,
                                       before=b.due if b else None, after=a.due if a else None))
    return moved


def impact(old: Rules, new: Rules) -> Impact:
    old_calendar, new_calendar = calendar_for(old.holidays), calendar_for(new.holidays)
    deadlines, kept = [], []
    for conference in db.session.scalars(select(Conference).where(Conference.status.in_(ACTIVE_STATUSES))
                                         .order_by(Conference.starts_at, Conference.id)):
        keeps = kept_plan(conference, new.plan)
        after = milestones_for(conference.starts_at, keeps, new_calendar)
        deadlines += _moves(conference, milestones_for(conference.starts_at, kept_plan(conference, old.plan),
                                                       old_calendar), after)
        if conference.plan_terms:
            applied = _moves(conference, after, milestones_for(conference.starts_at, new.plan, new_calendar))
            quorum_before = (keeps.min_enterprises, keeps.min_recommendations)
            quorum_after = (new.plan.min_enterprises, new.plan.min_recommendations)
            if applied or quorum_before != quorum_after:
                kept.append(KeptPlan(conference_id=conference.id, conference=conference.title,
                                     rules_version=conference.rules_version, deadlines=applied,
                                     quorum_before=quorum_before, quorum_after=quorum_after))
    rerouted = []
    query = (select(Recommendation).where(Recommendation.status.in_(NOT_YET_ROUTED))
             .order_by(Recommendation.code).limit(2000))
    for rec in db.session.scalars(query):
        zone = rec.registration.enterprise.zone_code or ""
        was, will = route(rec.field_code, zone, old), route(rec.field_code, zone, new)
        if was != will:
            rerouted.append(Rerouted(code=rec.code, title=rec.title, before=_name(old, was), after=_name(new, will)))
    return Impact(deadlines=deadlines, rerouted=rerouted, kept=kept)


def apply_plan_to(conference: Conference, rules: Rules, *, actor: Actor, now: dt.datetime,
                  message_domain: str) -> list[dict]:
    """The editor applies the plan of `rules` (the version just applied) to an announced conference: its
    offsets and quorum from now on. Its still-owed assignments take the new due dates and each department
    whose deadline moved is told once (deadlines.recompute_open_deadlines); returns those told."""
    from webforms.domain.deadlines import recompute_open_deadlines

    before = conference.rules_version
    conference.rules_version, conference.plan_terms = rules.version, plan_terms(rules.plan)
    record(actor, "conference.plan_applied", "conference", conference.slug, now=now, rules_version=rules.version,
           previous_version=before)
    return recompute_open_deadlines(db.session, conference, rules, calendar_for(rules.holidays), now,
                                    "plan_applied", version=rules.version, actor=actor,
                                    message_domain=message_domain)


def _name(rules: Rules, code: str) -> str:
    try:
        return rules.department(code).name
    except KeyError:
        return code
