"""The reminder emails: new assignments, reminders before the due date, overdue digests, the weekly summary."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import case, func, select

from config.rules import Rules
from webforms.domain.links import link_url
from webforms.domain.notify import department_addresses, notifications, send
from webforms.domain.reminders.selection import UNANSWERED, _load, _Reminder, _start_of, _week_key
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
    Assignment,
    AssignmentRole,
    AssignmentState,
    Conference,
    Department,
    Recommendation,
)


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


def remind_before_due(
    conference: Conference,
    reminders: list[_Reminder],
    *,
    today: dt.date,
    rules: Rules,
    calendar: WorkingCalendar,
    settings,
) -> list[dict]:
    """Queue the reminders `_reminders_due` found for this conference."""
    assignments = {a.id: a for a in _load(r.assignment_id for r in reminders)}
    actions = []
    for reminder in reminders:
        assignment = assignments.get(reminder.assignment_id)
        if assignment is None:
            continue
        context = assignment_context(assignment, rules, calendar, settings)
        context.update(
            due_name=reminder.name,
            due_day=reminder.due_day,
            days_left=calendar.working_days_between(today, reminder.due_day),
            overdue=False,
        )
        # An outside agency is not HEZA's subordinate: it gets a request in the register between agencies.
        external = not rules.department(assignment.department.code).is_internal
        if send(
            "reminder_to_agency" if external else "reminder_to_department",
            to=assignment_recipients(assignment, rules),
            context=context,
            rules=rules,
            dedupe_key=reminder.key,
            settings=settings,
        ):
            actions.append(
                _action(
                    conference,
                    "reminder",
                    assignment=assignment.id,
                    recommendation=assignment.recommendation.code,
                    department=assignment.department.code,
                    due=reminder.due_day.isoformat(),
                    deadline=reminder.name,
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
    """Overdue items of the day:

    - the head of each internal unit: its items still waiting for it (an answer waiting for the Board is
      not the unit's to hurry);
    - an outside agency (`kind: external`) is never escalated to: it gets one reminder per item in the
      register between agencies (`reminder_to_agency`), and its lateness goes to the lead unit that asked
      it (`overdue_coordination_to_lead_unit`) and to DN&GSĐT;
    - DN&GSĐT: one digest of everything, grouped by unit.
    """
    overdue = _overdue_items(assignments, today=today, rules=rules, calendar=calendar, settings=settings)
    if not overdue:
        return []
    actions = []
    day = today.isoformat()
    consolidating = rules.consolidating_department
    by_lead: dict[str, list[dict]] = defaultdict(list)
    for code, items in sorted(overdue.items()):
        department = rules.department(code)
        if not department.is_internal:
            for item in items:
                actions += _remind_agency_overdue(conference, item, department, today=today, rules=rules,
                                                  calendar=calendar, settings=settings)
                parent = item["assignment"].parent
                if parent is not None:
                    by_lead[parent.department.code].append({**item, "agency": department})
            continue
        if code == consolidating.code:
            continue  # its own items are in the digest it gets below
        waiting = [i for i in items if i["assignment"].state in UNANSWERED]
        if not waiting:
            continue
        to = [department.head_email] if department.head_email else department_addresses(code, rules)
        if send(
            "overdue_to_department_head",
            to=to,
            context={"department": department, "items": waiting, "today": today, "conference": conference},
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
                    recommendations=[i["recommendation"].code for i in waiting],
                    day=day,
                )
            )
    for code, items in sorted(by_lead.items()):
        lead = rules.department(code)
        to = department_addresses(code, rules) + ([lead.head_email] if lead.head_email else [])
        if send(
            "overdue_coordination_to_lead_unit",
            to=to,
            context={"department": lead, "items": items, "today": today, "conference": conference},
            rules=rules,
            dedupe_key=f"overdue:{conference.id}:{code}:agencies:{day}",
            settings=settings,
        ):
            actions.append(
                _action(
                    conference,
                    "overdue_coordination_digest",
                    department=code,
                    recipient="lead_unit",
                    agencies=sorted({i["agency"].code for i in items}),
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


def _remind_agency_overdue(conference: Conference, item: dict, agency, *, today: dt.date, rules: Rules,
                           calendar: WorkingCalendar, settings) -> list[dict]:
    """Once per assignment: the agency's input deadline has passed; a courteous request, not a summons."""
    assignment = item["assignment"]
    context = assignment_context(assignment, rules, calendar, settings)
    context.update(due_name="coordination_input", due_day=item["due_day"], days_left=0, overdue=True,
                   days_late=item["days_late"])
    if send(
        "reminder_to_agency",
        to=assignment_recipients(assignment, rules),
        context=context,
        rules=rules,
        dedupe_key=f"agency-overdue:{assignment.id}:{item['due_day'].isoformat()}",
        settings=settings,
    ):
        return [_action(conference, "agency_reminder", assignment=assignment.id, department=agency.code,
                        recommendation=assignment.recommendation.code, due=item["due_day"].isoformat())]
    return []


def weekly_summary(
    conference: Conference, *, today: dt.date, rules: Rules, calendar: WorkingCalendar, settings
) -> list[dict]:
    config = notifications(rules)
    if today.isoweekday() < config.weekly_summary_weekday:
        return []
    year, week, _ = today.isocalendar()
    cutoff = _start_of(today + dt.timedelta(days=1), rules)  # due on or before today
    counts = db.session.execute(
        select(Department.code, Assignment.state,
               func.count(case((Assignment.due_at < cutoff, 1))), func.count())
        .select_from(Assignment)
        .join(Recommendation, Recommendation.id == Assignment.recommendation_id)
        .join(Department, Department.id == Assignment.department_id)
        .where(Recommendation.conference_id == conference.id, Assignment.role == AssignmentRole.OWNER)
        .group_by(Department.code, Assignment.state)
    ).all()
    rows: dict[str, dict] = {}
    for code, state, due, total in counts:
        row = rows.setdefault(
            code,
            {"department": rules.department(code), "open": 0, "submitted": 0, "approved": 0, "overdue": 0},
        )
        if state in UNANSWERED:
            row["open"] += total
            row["overdue"] += due
        elif state == AssignmentState.SUBMITTED:
            row["submitted"] += total
        elif state == AssignmentState.APPROVED:
            row["approved"] += total
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
        dedupe_key=_week_key(conference.id, today),
        settings=settings,
    ):
        return [_action(conference, "weekly_summary", week=f"{year}-W{week:02d}", to=to)]
    return []
