"""What the back office's conference dashboard reads: the milestone timeline, the quorum, counts
and the overdue list. Pure queries; each function takes `now` where time matters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select

from config.rules import Rules
from webforms.domain.deadlines import deadline_name
from webforms.domain.plan import MilestoneDue, kept_plan, milestones_for
from webforms.domain.reminders.selection import still_owed
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    Department,
    Document,
    DocumentState,
    MilestoneRun,
    Recommendation,
)

# Assignments that no longer say who owns a recommendation.
CLOSED_WITHOUT_OWNER = (AssignmentState.RETURNED, AssignmentState.REVOKED)


@dataclass(frozen=True)
class TimelineEntry:
    milestone: MilestoneDue
    state: str  # done | drafted | due | overdue


# Milestones whose run means a draft was produced for someone to finish and send: the system cannot
# know it was sent, so it says "drafted", never "done".
DRAFTED_BY_RUN = ("results_report",)
# Milestones done when their run exists (the run itself is the outcome).
DONE_BY_RUN = ("intake_closes", "answers_prepared_by")


# Milestones done when their document is issued (numbered, signed, sent), not when drafted or approved.
DONE_AT_ISSUE = ("results_report", "conclusion_notice")


def milestone_timeline(conference: Conference, *, now: dt.datetime, rules: Rules,
                       calendar: WorkingCalendar) -> list[TimelineEntry]:
    """Each milestone of the conference's current date (cycle), with its due date (and the computation
    behind it) and where it stands: done only when its outcome happened.

    - announce_by: announced for this date; conference: marked held;
    - intake_closes, answers_prepared_by: the deadline engine acted in this cycle;
    - results_report: "drafted" once the draft went to the consolidating department, done once issued;
    - conclusion_notice: done once a conclusion notice is issued (its runs are only reminders);
    - assignment deadlines: done when assignments with that deadline exist and none is still owed.
    """
    runs = set(db.session.scalars(select(MilestoneRun.milestone).where(
        MilestoneRun.conference_id == conference.id, MilestoneRun.cycle == conference.cycle)))
    done: set[str] = {name for name in DONE_BY_RUN if name in runs}
    drafted = {name for name in DRAFTED_BY_RUN if name in runs}
    if conference.announced_at is not None:
        done.add("announce_by")
    if conference.held_at is not None:
        done.add("conference")
    done.update(db.session.scalars(select(Document.kind).distinct().where(  # one query for both
        Document.conference_id == conference.id, Document.kind.in_(DONE_AT_ISSUE),
        Document.state == DocumentState.ISSUED)))
    counts = db.session.execute(
        select(Assignment.role, Recommendation.needs_coordination, func.count(),
               func.count(case((still_owed(), 1))))
        .join(Recommendation, Assignment.recommendation_id == Recommendation.id)
        .where(Recommendation.conference_id == conference.id, Assignment.state.not_in(CLOSED_WITHOUT_OWNER))
        .group_by(Assignment.role, Recommendation.needs_coordination)).all()
    by_deadline: dict[str, list[int]] = {}
    for role, coordinated, total, still_open in counts:
        seen = by_deadline.setdefault(deadline_name(role, bool(coordinated), rules.plan), [0, 0])
        seen[0] += total
        seen[1] += still_open
    done.update(name for name, (total, still_open) in by_deadline.items() if total and not still_open)
    entries = []
    for m in milestones_for(conference.starts_at, kept_plan(conference, rules.plan), calendar):
        if m.name in done:
            state = "done"
        elif m.name in drafted:
            state = "drafted"
        else:
            state = "overdue" if m.due < now else "due"
        entries.append(TimelineEntry(m, state))
    return entries


def counts_by_field(conference: Conference, rules: Rules) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Recommendation.field_code, func.count()).where(Recommendation.conference_id == conference.id)
        .group_by(Recommendation.field_code).order_by(func.count().desc())).all()
    names = {f.code: f.name for f in rules.fields}
    return [(names.get(code, code), n) for code, n in rows]


def counts_by_status(conference: Conference) -> list[tuple[str, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Recommendation.status, func.count()).where(Recommendation.conference_id == conference.id)
        .group_by(Recommendation.status).order_by(func.count().desc())).all()]


def counts_by_department(conference: Conference) -> list[tuple[str, int]]:
    return [tuple(r) for r in db.session.execute(
        select(Department.name, func.count(func.distinct(Assignment.recommendation_id)))
        .join(Assignment, Assignment.department_id == Department.id)
        .join(Recommendation, Assignment.recommendation_id == Recommendation.id)
        .where(Recommendation.conference_id == conference.id, Assignment.role == AssignmentRole.OWNER,
               Assignment.state.not_in(CLOSED_WITHOUT_OWNER))
        .group_by(Department.name).order_by(func.count(func.distinct(Assignment.recommendation_id)).desc())).all()]


@dataclass(frozen=True)
class OverdueItem:
    code: str
    recommendation_id: int
    title: str
    department: str
    state: str
    due_at: dt.datetime


def overdue_assignments(conference: Conference, *, now: dt.datetime, limit: int = 200) -> list[OverdueItem]:
    rows = db.session.execute(
        select(Recommendation.code, Recommendation.id, Recommendation.title, Department.name, Assignment.state,
               Assignment.due_at)
        .join(Recommendation, Assignment.recommendation_id == Recommendation.id)
        .join(Department, Assignment.department_id == Department.id)
        .where(Recommendation.conference_id == conference.id, still_owed(), Assignment.due_at < now)
        .order_by(Assignment.due_at).limit(limit)).all()
    return [OverdueItem(*r) for r in rows]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    width: float  # 0..100, share of the largest value


def bars(counts: list[tuple[str, int]]) -> list[Bar]:
    """Data for a horizontal bar chart, drawn as SVG by the template."""
    top = max((n for _, n in counts), default=0) or 1
    return [Bar(str(label), n, round(100 * n / top, 1)) for label, n in counts]
