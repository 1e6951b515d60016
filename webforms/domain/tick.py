"""The deadline engine's entry point: tick(now) acts on whatever is due, each thing once."""

from __future__ import annotations

import datetime as dt

from config.rules import Rules
from webforms.domain.workdays import WorkingCalendar


def tick(now: dt.datetime, rules: Rules, calendar: WorkingCalendar) -> list[dict]:
    """Act on everything due at `now`; return one dict per action taken (nothing twice)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return []
