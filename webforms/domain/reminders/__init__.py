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

The queries are in `selection`, the emails in `emails`; `run_reminders` runs them in order.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from config.rules import Rules
from webforms.domain.notify import notifications
from webforms.domain.reminders.emails import (
    announce_new_assignments,
    escalate_overdue,
    remind_before_due,
    weekly_summary,
)
from webforms.domain.reminders.selection import (
    _group,
    _new_assignments,
    _overdue_to_escalate,
    _reminders_due,
    _weekly_due,
)
from webforms.domain.workdays import WorkingCalendar
from webforms.extensions import db
from webforms.models import ACTIVE_STATUSES, Assignment, Conference


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
