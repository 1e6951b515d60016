"""Reminders and escalations for department assignments, run by tick(now).

Filled in by the routing work (issue 4): `reminder_lead` working days before each due date the
holder is reminded of each unanswered item; on the due date and each working day after, the head of
the department and the consolidating department get one digest of overdue items; leaders a weekly
summary. Each send is an outbox row with a dedupe key, so nothing is sent twice.
"""

from __future__ import annotations

import datetime as dt

from config.rules import Rules
from webforms.domain.workdays import WorkingCalendar


def run_reminders(now: dt.datetime, rules: Rules, calendar: WorkingCalendar, settings) -> list[dict]:
    """One dict per reminder or escalation queued as of `now`."""
    return []
