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

Tick runs this every minute, so the selection is a handful of indexed queries whose results are the
items due now, never every open assignment (bench/sweep_bench.py measures it):

- new items: `notified_at IS NULL` (partial index ix_assignments_notified_at);
- reply reminders: `due_at` inside the reminder window (index ix_assignments_state_due), the window
  being the due days d with add_working_days(d, -lead) <= today < d, i.e. (today, add_working_days(
  today, lead)] (`reminder_window`);
- "answers prepared by" reminders: only on the days their window holds, per conference;
- overdue digests: one aggregate over `due_at` < end of today (same index), items loaded only for a
  conference whose digest of the day is still missing;
- weekly summary: its key checked first, then per-department aggregates;
- dedupe: one `dedupe_key IN (…)` query per batch of candidate keys (`notify.queued_keys`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from config.rules import Rules
from webforms.domain.links import link_url
from webforms.domain.notify import department_addresses, notifications, queued_keys, send
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


def run_reminders(now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings) -> list[dict]:
    """One dict per email queued as of `now`."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(rules.plan.timezone).date()
    config = notifications(rules)
    conferences = list(db.session.scalars(
        select(Conference).where(Conference.status.in_(ACTIVE_STATUSES)).order_by(Conference.id)))
    if not conferences:
        return []
    ids = [c.id for c in conferences]
    new = _group(_new_assignments(ids))
    working = calendar.is_working_day(today)
    reminders: dict[int, list[Assignment]] = {}
    overdue: dict[int, list[Assignment]] = {}
    weekly: set[int] = set()
    if working:
        reminders = _reminders_due(conferences, today=today, rules=rules, calendar=calendar)
        if config.escalate_overdue:
            overdue = _overdue_to_escalate(ids, today=today, rules=rules)
        weekly = _weekly_due(ids, today=today, rules=rules)
    actions: list[dict] = []
    for conference in conferences:
        if conference.id in new:
            actions += announce_new_assignments(
                conference, new[conference.id], now=now, rules=rules, calendar=calendar, settings=settings
            )
        if not working:
            continue
        if conference.id in reminders:
            actions += remind_before_due(
                conference, reminders[conference.id], today=today, rules=rules, calendar=calendar,
                settings=settings,
            )
        if conference.id in overdue:
            actions += escalate_overdue(
                conference, overdue[conference.id], today=today, rules=rules, calendar=calendar,
                settings=settings,
            )
        if conference.id in weekly:
            actions += weekly_summary(conference, today=today, rules=rules, calendar=calendar,
                                      settings=settings)
    return actions


# -- selection --------------------------------------------------------------------------------------

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
        prepared = milestone_due(conference.starts_at, "answers_prepared_by", rules.plan, calendar)
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


# -- the emails ---------------------------------------------------------------------------------------

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
