"""The intake window: open from the announcement until the intake_closes milestone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from flask_babel import gettext as _

from config.rules import Rules
from webforms.domain.plan import kept_plan, milestone_due
from webforms.domain.workdays import WorkingCalendar
from webforms.models import (
    Conference,
    ConferenceStatus,
)


class IntakeState(StrEnum):
    NOT_OPEN = "not_open"
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class IntakeWindow:
    opens_at: dt.datetime | None  # when the announcement was published; None before
    closes_at: dt.datetime  # end of the intake_closes milestone's day, local time
    state: IntakeState

    @property
    def open(self) -> bool:
        return self.state == IntakeState.OPEN


def intake_closes_at(conference: Conference, rules: Rules, calendar: WorkingCalendar) -> dt.datetime:
    return milestone_due(conference.starts_at, "intake_closes", kept_plan(conference, rules.plan), calendar).due


def intake_window(
    conference: Conference, now: dt.datetime, rules: Rules, calendar: WorkingCalendar
) -> IntakeWindow:
    """Open from the announcement until the intake_closes milestone (inclusive of its last second)."""
    closes_at = intake_closes_at(conference, rules, calendar)
    opens_at = conference.announced_at
    if conference.status == ConferenceStatus.DRAFT or opens_at is None or now < opens_at:
        state = IntakeState.NOT_OPEN
    elif now > closes_at or conference.status != ConferenceStatus.ANNOUNCED:
        state = IntakeState.CLOSED
    else:
        state = IntakeState.OPEN
    return IntakeWindow(opens_at=opens_at, closes_at=closes_at, state=state)


class IntakeClosed(Exception):
    def __init__(self, window: IntakeWindow):
        super().__init__(window.state)
        self.window = window

    @property
    def message(self) -> str:
        if self.window.state == IntakeState.NOT_OPEN:
            return _("Hội nghị chưa mở nhận đăng ký và kiến nghị.")
        closes = self.window.closes_at.strftime("%H:%M ngày %d/%m/%Y")
        return _("Đã hết hạn nhận đăng ký và kiến nghị (hạn cuối: %(closes)s).", closes=closes)
