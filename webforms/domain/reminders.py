"""Announcements, reminders and escalations for department assignments, run by tick(now).

- New assignments (with `notifications.digest` on): one email per department per tick listing the
  assignments routed since the last tick (a single one gets the ordinary assignment email).
- `reminder_lead` working days before each due date (answers prepared by D-1, then the reply
  deadline in force) the holder is reminded of each unanswered item.
- On the due date and each working day after, the head of each department with overdue items gets
  one digest of them, and the consolidating department one digest of all, grouped by department.
- Leaders get a weekly summary on the configured weekday (or the next working day of that week).

Every email is an outbox row whose dedupe key names what it is about and the day, so running this
twice for the same `now` sends nothing new. Nothing here commits: the caller (tick) does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from itertools import groupby

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.links import link_url
from webforms.domain.notify import department_addresses, notifications, send
from webforms.domain.plan import milestone_due
from webforms.domain.routing import (
    assignment_context,
    assignment_recipients,
    is_notified,
    mark_notified,
    notify_assignment,
)
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import (
    ACTIVE_STATUSES,
    OPEN_STATES,
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    Recommendation,
)

# An item still waiting for its department (an answer handed in waits for the Board instead).
UNANSWERED = (AssignmentState.OPEN, AssignmentState.SENT_BACK)


def run_reminders(now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings) -> list[dict]:
    """One dict per email queued as of `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    actions: list[dict] = []
    today = now.astimezone(rules.plan.timezone).date()
    config = notifications(rules)
    for conference, assignments in _open_assignments_by_conference():
        actions += announce_new_assignments(
            conference, assignments, now=now, rules=rules, calendar=calendar, settings=settings
        )
        if not calendar.is_working_day(today):
            continue
        actions += remind_before_due(
            conference, assignments, today=today, rules=rules, calendar=calendar, settings=settings
        )
        if config.escalate_overdue:
            actions += escalate_overdue(
                conference, assignments, today=today, rules=rules, calendar=calendar, settings=settings
            )
        actions += weekly_summary(conference, today=today, rules=rules, calendar=calendar, settings=settings)
    return actions


def _open_assignments_by_conference() -> list[tuple[Conference, list[Assignment]]]:
    rows = db.session.execute(
        select(Conference, Assignment)
        .join(Recommendation, Recommendation.conference_id == Conference.id)
        .join(Assignment, Assignment.recommendation_id == Recommendation.id)
        .where(Conference.status.in_(ACTIVE_STATUSES), Assignment.state.in_(OPEN_STATES))
        .order_by(Conference.id, Assignment.id)
    ).all()
    return [(conference, [a for _, a in group]) for conference, group in groupby(rows, key=lambda r: r[0])]


def _action(conference: Conference, action: str, **details) -> dict:
    return {"conference": conference.slug, "action": action, **details}


def announce_new_assignments(
    conference: Conference,
    assignments: list[Assignment],
    *,
    now: dt.datetime,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> list[dict]:
    pending = [a for a in assignments if a.state in UNANSWERED and not is_notified(a)]
    by_department: dict[str, list[Assignment]] = defaultdict(list)
    for assignment in pending:
        by_department[assignment.department.code].append(assignment)
    actions = []
    for code, items in by_department.items():
        if len(items) == 1:
            if notify_assignment(items[0], now=now, rules=rules, calendar=calendar, settings=settings):
                actions.append(
                    _action(
                        conference,
                        "assignment_notice",
                        department=code,
                        recommendations=[items[0].recommendation.code],
                    )
                )
            continue
        # Holders who were delegated to get their own email; the rest share the department's digest.
        delegated = [a for a in items if a.holder_email]
        shared = [a for a in items if not a.holder_email]
        for assignment in delegated:
            notify_assignment(assignment, now=now, rules=rules, calendar=calendar, settings=settings)
        contexts = [assignment_context(a, rules, calendar, settings) for a in shared]
        key = f"assign-digest:{code}:" + ",".join(f"{a.id}v{a.token_version}" for a in shared)
        if shared and send(
            "assignments_digest_to_department",
            to=department_addresses(code, rules),
            context={"department": rules.department(code), "items": contexts, "conference": conference},
            rules=rules,
            dedupe_key=key[:200],
            settings=settings,
        ):
            actions.append(
                _action(
                    conference,
                    "assignment_digest",
                    department=code,
                    recommendations=[a.recommendation.code for a in shared],
                )
            )
        for assignment in shared:
            mark_notified(assignment, now)
    return actions


def _due_dates(
    assignment: Assignment, conference: Conference, rules: Rules, calendar: WorkingCalendar
) -> list[tuple[str, dt.date]]:
    tz = rules.plan.timezone
    dates = []
    if assignment.role == AssignmentRole.OWNER and not assignment.draft_answer.strip():
        prepared = milestone_due(conference.starts_at, "answers_prepared_by", rules.plan, calendar)
        dates.append(("answers_prepared_by", prepared.due.astimezone(tz).date()))
    dates.append(("reply", assignment.due_at.astimezone(tz).date()))
    return dates


def remind_before_due(
    conference: Conference,
    assignments: list[Assignment],
    *,
    today: dt.date,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> list[dict]:
    lead = rules.plan.reminder_lead
    actions = []
    for assignment in assignments:
        if assignment.state not in UNANSWERED:
            continue
        for name, due_day in _due_dates(assignment, conference, rules, calendar):
            if not calendar.add_working_days(due_day, -lead) <= today < due_day:
                continue
            context = assignment_context(assignment, rules, calendar, settings)
            context.update(
                due_name=name, due_day=due_day, days_left=calendar.working_days_between(today, due_day)
            )
            if send(
                "reminder_to_department",
                to=assignment_recipients(assignment, rules),
                context=context,
                rules=rules,
                dedupe_key=f"remind:{assignment.id}:{due_day.isoformat()}:lead",
                settings=settings,
            ):
                actions.append(
                    _action(
                        conference,
                        "reminder",
                        assignment=assignment.id,
                        recommendation=assignment.recommendation.code,
                        department=assignment.department.code,
                        due=due_day.isoformat(),
                        deadline=name,
                    )
                )
    return actions


def _overdue_items(
    assignments: list[Assignment], *, today: dt.date, rules: Rules, calendar: WorkingCalendar, settings
) -> dict[str, list[dict]]:
    tz = rules.plan.timezone
    by_department: dict[str, list[dict]] = defaultdict(list)
    for assignment in assignments:
        due_day = assignment.due_at.astimezone(tz).date()
        if due_day > today:
            continue
        by_department[assignment.department.code].append(
            {
                "assignment": assignment,
                "recommendation": assignment.recommendation,
                "enterprise": assignment.recommendation.registration.enterprise,
                "due_day": due_day,
                "days_late": calendar.working_days_between(due_day, today),
                "link": link_url(assignment, settings),
            }
        )
    return by_department


def escalate_overdue(
    conference: Conference,
    assignments: list[Assignment],
    *,
    today: dt.date,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> list[dict]:
    overdue = _overdue_items(assignments, today=today, rules=rules, calendar=calendar, settings=settings)
    if not overdue:
        return []
    actions = []
    day = today.isoformat()
    consolidating = rules.consolidating_department
    for code, items in sorted(overdue.items()):
        department = rules.department(code)
        if code == consolidating.code:
            continue  # its own items are in the digest it gets below
        to = [department.head_email] if department.head_email else department_addresses(code, rules)
        if send(
            "overdue_to_department_head",
            to=to,
            context={"department": department, "items": items, "today": today, "conference": conference},
            rules=rules,
            dedupe_key=f"overdue:{conference.id}:{code}:{day}",
            settings=settings,
        ):
            actions.append(
                _action(
                    conference,
                    "overdue_digest",
                    department=code,
                    recipient="head",
                    recommendations=[i["recommendation"].code for i in items],
                    day=day,
                )
            )
    groups = [(rules.department(code), items) for code, items in sorted(overdue.items())]
    to = list(consolidating.emails) + ([consolidating.head_email] if consolidating.head_email else [])
    if send(
        "overdue_to_consolidation",
        to=to,
        context={"groups": groups, "today": today, "conference": conference},
        rules=rules,
        dedupe_key=f"overdue:{conference.id}:all:{day}",
        settings=settings,
    ):
        actions.append(
            _action(
                conference,
                "overdue_digest",
                department=consolidating.code,
                recipient="consolidation",
                day=day,
                recommendations=[i["recommendation"].code for _, items in groups for i in items],
            )
        )
    return actions


def weekly_summary(
    conference: Conference, *, today: dt.date, rules: Rules, calendar: WorkingCalendar, settings
) -> list[dict]:
    config = notifications(rules)
    if today.isoweekday() < config.weekly_summary_weekday:
        return []
    year, week, _ = today.isocalendar()
    key = f"weekly:{conference.id}:{year}-W{week:02d}"
    all_assignments = list(
        db.session.scalars(
            select(Assignment)
            .join(Recommendation)
            .where(Recommendation.conference_id == conference.id, Assignment.role == AssignmentRole.OWNER)
            .order_by(Assignment.id)
        )
    )
    tz = rules.plan.timezone
    rows: dict[str, dict] = {}
    for assignment in all_assignments:
        code = assignment.department.code
        row = rows.setdefault(
            code,
            {"department": rules.department(code), "open": 0, "submitted": 0, "approved": 0, "overdue": 0},
        )
        if assignment.state in UNANSWERED:
            row["open"] += 1
            if assignment.due_at.astimezone(tz).date() <= today:
                row["overdue"] += 1
        elif assignment.state == AssignmentState.SUBMITTED:
            row["submitted"] += 1
        elif assignment.state == AssignmentState.APPROVED:
            row["approved"] += 1
    if not rows:
        return []
    consolidating = rules.consolidating_department
    to = list(config.leaders) or [consolidating.head_email or consolidating.emails[0]]
    if send(
        "weekly_summary_to_leaders",
        to=to,
        cc=list(consolidating.emails),
        context={
            "rows": [rows[c] for c in sorted(rows)],
            "today": today,
            "conference": conference,
            "week": week,
        },
        rules=rules,
        dedupe_key=key,
        settings=settings,
    ):
        return [_action(conference, "weekly_summary", week=f"{year}-W{week:02d}", to=to)]
    return []
