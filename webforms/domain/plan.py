"""The plan engine: one pure function turns a conference into its ordered milestones.

Every other part (pages, tick, documents, reminders) reads deadlines from here and nowhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from config.rules import Plan, Rules
from webforms.domain.workdays import Computation, WorkingCalendar


@dataclass(frozen=True)
class MilestoneDue:
    name: str
    offset: int
    due: dt.datetime  # aware, in the plan's time zone
    owner: str
    label: str
    description: str
    computation: Computation

    @property
    def tentative(self) -> bool:
        """Computed through a year whose days off are not confirmed: shown as "dự kiến"."""
        return self.computation.tentative

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "offset": self.offset,
            "due": self.due.isoformat(),
            "owner": self.owner,
            "label": self.label,
            "description": self.description,
            "tentative": self.tentative,
            "skipped": [{"date": d.date.isoformat(), "reason": d.reason} for d in self.computation.skipped],
        }


def plan_terms(plan: Plan) -> dict:
    """The terms of the plan a conference keeps once announced: each milestone's offset and the quorum."""
    return {"offsets": {m.name: m.offset for m in plan.milestones},
            "min_enterprises": plan.min_enterprises, "min_recommendations": plan.min_recommendations}


def kept_plan(conference, plan: Plan) -> Plan:
    """The plan a conference is run under (issue 14 item 4): once announced, the offsets and quorum of the
    rules version it was announced under (`Conference.plan_terms`), unless the editor of a later version
    applied that one to it; everything else — milestone names, owners, labels — and the holidays, which are
    law, as in force. A draft conference follows the plan in force."""
    terms = getattr(conference, "plan_terms", None)
    if not terms:
        return plan
    offsets = terms.get("offsets", {})
    milestones = tuple(replace(m, offset=offsets[m.name]) if m.name in offsets and offsets[m.name] != m.offset
                       else m for m in plan.milestones)
    enterprises = terms.get("min_enterprises", plan.min_enterprises)
    recommendations = terms.get("min_recommendations", plan.min_recommendations)
    if (milestones == plan.milestones and enterprises == plan.min_enterprises
            and recommendations == plan.min_recommendations):
        return plan
    return replace(plan, milestones=milestones, min_enterprises=enterprises, min_recommendations=recommendations)


def conference_rules(conference, rules: Rules) -> Rules:
    """`rules` with the plan `conference` is run under (kept_plan); the same object when they agree."""
    plan = kept_plan(conference, rules.plan)
    return rules if plan is rules.plan else replace(rules, plan=plan)


def conference_local_start(starts_at: dt.datetime, plan: Plan) -> dt.datetime:
    if starts_at.tzinfo is None:
        raise ValueError("starts_at must be timezone-aware")
    return starts_at.astimezone(plan.timezone)


def end_of_day(day: dt.date, plan: Plan) -> dt.datetime:
    return dt.datetime.combine(day, plan.end_of_day, tzinfo=plan.timezone)


def milestones_for(starts_at: dt.datetime, plan: Plan, calendar: WorkingCalendar) -> list[MilestoneDue]:
    """The plan's milestones for a conference starting at `starts_at`, ordered by due time.

    A milestone with offset 0 is the conference itself and is due at its start; every other one
    is due at the end of its working day, local time.
    """
    local_start = conference_local_start(starts_at, plan)
    conference_day = local_start.date()
    result = []
    for milestone in plan.milestones:
        computation = calendar.explain_add(conference_day, milestone.offset)
        due = local_start if milestone.offset == 0 else end_of_day(computation.result, plan)
        result.append(
            MilestoneDue(
                name=milestone.name,
                offset=milestone.offset,
                due=due,
                owner=milestone.owner,
                label=milestone.label,
                description=milestone.description,
                computation=computation,
            )
        )
    # Stable sort keeps the YAML's order for milestones due at the same moment.
    return sorted(result, key=lambda m: m.due)


def milestone_due(starts_at: dt.datetime, name: str, plan: Plan, calendar: WorkingCalendar) -> MilestoneDue:
    for milestone in milestones_for(starts_at, plan, calendar):
        if milestone.name == name:
            return milestone
    raise KeyError(name)


def due_after_conference(starts_at: dt.datetime, offset: int, plan: Plan, calendar: WorkingCalendar) -> dt.datetime:
    """End of the working day `offset` working days after the conference (used for per-item deadlines)."""
    day = calendar.add_working_days(conference_local_start(starts_at, plan).date(), offset)
    return end_of_day(day, plan)
