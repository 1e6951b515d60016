"""Which assignments are due an email now: a handful of indexed queries, never every open assignment."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import aliased, joinedload

from config.rules import Rules
from webforms.domain.notify import notifications, queued_keys
from webforms.domain.plan import kept_plan, milestone_due
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    Department,
    Recommendation,
    RecommendationStatus,
    Registration,
)

# An item still waiting for its department (an answer handed in waits for the Board instead).
UNANSWERED = (AssignmentState.OPEN, AssignmentState.SENT_BACK)
# A recommendation in one of these states is done: none of its assignments is reminded or escalated.
DONE_STATUSES = (
    RecommendationStatus.ANSWERED_AT_CONFERENCE,
    RecommendationStatus.ANSWERED_IN_WRITING,
    RecommendationStatus.SCREENED_OUT,
)


def still_owed():
    """The one rule of who is still chased (reminders, escalations, the dashboard's overdue list): an
    assignment of a recommendation not answered or screened out, that is waiting for its holder, or an
    owner's answer waiting for the Board. A coordinating unit whose input is in (submitted) is done.
    Needs Recommendation joined."""
    return and_(
        Recommendation.status.not_in(DONE_STATUSES),
        or_(
            Assignment.state.in_(UNANSWERED),
            and_(Assignment.state == AssignmentState.SUBMITTED, Assignment.role == AssignmentRole.OWNER),
        ),
    )


# Assignment ids per `IN (…)` list when loading the items an email needs.
LOAD_BATCH = 500
# No deadline precedes this. "Overdue" is `EARLIEST_DUE <= due_at < end of today`: the lower bound
# changes nothing but makes the range two-sided, which SQLite's planner (no histograms) needs to take
# the (state, due_at) index when its statistics say every assignment is open.
EARLIEST_DUE = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _start_of(day: dt.date, rules: Rules) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=rules.plan.timezone)


def reminder_window(today: dt.date, lead: int, calendar: WorkingCalendar) -> tuple[dt.date, dt.date] | None:
    """The due days (first, last) whose reminder is due on the working day `today`: the days d with
    add_working_days(d, -lead) <= today < d, which are exactly today < d <= add_working_days(today, lead).
    (For d up to that day, counting `lead` working days back from d cannot pass today; from the next
    day on it lands on the working day after today at the earliest.) None when lead < 1."""
    if lead < 1:
        return None
    return today + dt.timedelta(days=1), calendar.add_working_days(today, lead)


def _in_window(day: dt.date, today: dt.date, lead: int, calendar: WorkingCalendar) -> bool:
    """The rule itself, as reminders have always applied it."""
    return calendar.add_working_days(day, -lead) <= today < day


def _load(ids: Iterable[int]) -> list[Assignment]:
    """Assignments with what their emails show, in id order."""
    ids = sorted(set(ids))
    loaded: list[Assignment] = []
    for start in range(0, len(ids), LOAD_BATCH):
        loaded += db.session.scalars(
            select(Assignment)
            .where(Assignment.id.in_(ids[start:start + LOAD_BATCH]))
            .options(
                joinedload(Assignment.recommendation)
                .joinedload(Recommendation.registration)
                .joinedload(Registration.enterprise),
                joinedload(Assignment.department),
            )
            .order_by(Assignment.id)
        ).unique()
    return loaded


def _of_conferences(ids: Sequence[int]):
    """The filter on the recommendation's conference for queries driven by an assignments index. The
    `+ 0` hides recommendations.conference_id's index from the planner: with one or two conferences that
    index is no filter at all, yet SQLite (and PostgreSQL with stale statistics) would start from it and
    read every recommendation of the conference instead of the few assignments the index condition picks."""
    return (Recommendation.conference_id + 0).in_(list(ids))


def _group(assignments: Iterable[Assignment]) -> dict[int, list[Assignment]]:
    grouped: dict[int, list[Assignment]] = defaultdict(list)
    for assignment in assignments:
        grouped[assignment.recommendation.conference_id].append(assignment)
    return dict(grouped)


def _new_assignments(conference_ids: Sequence[int]) -> list[Assignment]:
    """Unanswered assignments whose holder has not had the current link yet."""
    ids = db.session.scalars(
        select(Assignment.id)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .where(Assignment.notified_at.is_(None), Assignment.state.in_(UNANSWERED),
               _of_conferences(conference_ids))
    ).all()
    return _load(ids) if ids else []


@dataclass(frozen=True)
class _Reminder:
    assignment_id: int
    conference_id: int
    name: str  # answers_prepared_by | reply
    due_day: dt.date

    @property
    def key(self) -> str:
        return f"remind:{self.assignment_id}:{self.due_day.isoformat()}:lead"


def _reminders_due(conferences: Sequence[Conference], *, today: dt.date, rules: Rules,
                   calendar: WorkingCalendar) -> dict[int, list[_Reminder]]:
    """The reminders due today and not queued yet, by conference."""
    lead = rules.plan.reminder_lead
    window = reminder_window(today, lead, calendar)
    if window is None:
        return {}
    tz = rules.plan.timezone
    ids = [c.id for c in conferences]
    candidates: list[_Reminder] = []
    # answers prepared by D-1: every owner item without a draft, on the days its window holds.
    for conference in conferences:
        prepared = milestone_due(conference.starts_at, "answers_prepared_by", kept_plan(conference, rules.plan),
                                 calendar)
        day = prepared.due.astimezone(tz).date()
        if not _in_window(day, today, lead, calendar):
            continue
        rows = db.session.execute(
            select(Assignment.id, Assignment.draft_answer)
            .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
            .where(Recommendation.conference_id == conference.id, Assignment.role == AssignmentRole.OWNER,
                   Assignment.state.in_(UNANSWERED), Recommendation.status.not_in(DONE_STATUSES))
        ).all()
        candidates += [_Reminder(i, conference.id, "answers_prepared_by", day)
                       for i, draft in rows if not (draft or "").strip()]
    # the reply deadline in force: due_at inside the window.
    first, last = window
    rows = db.session.execute(
        select(Assignment.id, Recommendation.conference_id, Assignment.due_at)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .where(Assignment.state.in_(UNANSWERED), Recommendation.status.not_in(DONE_STATUSES),
               Assignment.due_at >= _start_of(first, rules),
               Assignment.due_at < _start_of(last + dt.timedelta(days=1), rules),
               _of_conferences(ids))
    ).all()
    candidates += [_Reminder(i, c, "reply", due.astimezone(tz).date()) for i, c, due in rows]
    if not candidates:
        return {}
    done = queued_keys(r.key for r in candidates)
    order = {"answers_prepared_by": 0, "reply": 1}
    due: dict[int, list[_Reminder]] = defaultdict(list)
    for reminder in sorted(candidates, key=lambda r: (r.conference_id, r.assignment_id, order[r.name])):
        if reminder.key not in done:
            due[reminder.conference_id].append(reminder)
    return dict(due)


def _overdue_keys(conference_id: int, code: str, kind: str, state: str, lead: str | None, day: str,
                  consolidating: str) -> set[str]:
    """The dedupe keys of the digests one overdue assignment belongs in (see escalate_overdue)."""
    keys = {f"overdue:{conference_id}:all:{day}"}
    if kind == "external":
        if lead:
            keys.add(f"overdue:{conference_id}:{lead}:agencies:{day}")
    elif code != consolidating and state in UNANSWERED:
        keys.add(f"overdue:{conference_id}:{code}:{day}")
    return keys


def _overdue_to_escalate(conference_ids: Sequence[int], *, today: dt.date, rules: Rules) -> dict[int, list]:
    """The overdue items of each conference whose digests of the day are not all queued yet."""
    cutoff = _start_of(today + dt.timedelta(days=1), rules)  # due on or before today
    parent = aliased(Assignment)
    lead = aliased(Department)
    counts = db.session.execute(
        select(Recommendation.conference_id, Department.code, Department.kind, Assignment.state, lead.code)
        .select_from(Assignment)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Department, Department.id == Assignment.department_id)
        .outerjoin(parent, parent.id == Assignment.parent_id)
        .outerjoin(lead, lead.id == parent.department_id)
        .where(still_owed(),
               Assignment.due_at >= EARLIEST_DUE, Assignment.due_at < cutoff,
               _of_conferences(conference_ids))
        .group_by(Recommendation.conference_id, Department.code, Department.kind, Assignment.state, lead.code)
    ).all()
    if not counts:
        return {}
    day = today.isoformat()
    consolidating = rules.consolidating_department.code
    wanted: dict[int, set[str]] = defaultdict(set)
    for conference_id, code, kind, state, lead_code in counts:
        wanted[conference_id] |= _overdue_keys(conference_id, code, kind, state, lead_code, day, consolidating)
    done = queued_keys(k for keys in wanted.values() for k in keys)
    missing = [c for c, keys in wanted.items() if not keys <= done]
    if not missing:
        return {}
    ids = db.session.scalars(
        select(Assignment.id)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .where(still_owed(),
               Assignment.due_at >= EARLIEST_DUE, Assignment.due_at < cutoff,
               _of_conferences(missing))
    ).all()
    return _group(_load(ids))


def _week_key(conference_id: int, today: dt.date) -> str:
    year, week, _ = today.isocalendar()
    return f"weekly:{conference_id}:{year}-W{week:02d}"


def _weekly_due(conference_ids: Sequence[int], *, today: dt.date, rules: Rules) -> set[int]:
    """Conferences whose weekly summary is due today and not queued yet (only those with open items)."""
    if today.isoweekday() < notifications(rules).weekly_summary_weekday:
        return set()
    done = queued_keys(_week_key(c, today) for c in conference_ids)
    missing = [c for c in conference_ids if _week_key(c, today) not in done]
    if not missing:
        return set()
    return set(db.session.scalars(
        select(Recommendation.conference_id).where(
            Recommendation.conference_id.in_(missing),
            exists().where(Assignment.recommendation_id == Recommendation.id,
                           Assignment.state.in_(OPEN_STATES)),
        ).distinct()
    ))
