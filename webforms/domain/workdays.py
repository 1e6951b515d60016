"""Vietnamese working days: Monday to Friday, minus public holidays and decreed days off,
plus the Saturdays the government swaps into working days.

The `holidays` package (country VN) supplies the statutory holidays, Tết and the swaps it
knows; `config/holidays.yaml` adds government decisions the package does not know yet and wins
over it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache

import holidays as holidays_lib

from config.rules import HolidayOverrides

WEEKDAY_NAMES_VI = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
# Working-day arithmetic refuses to walk further than this many calendar days: a calendar with no
# working day in it is a configuration error, not a reason to loop forever.
_MAX_REMEMBERED = 4096  # computations kept per calendar
_MAX_SCAN_DAYS = 3660


@dataclass(frozen=True)
class DayOff:
    date: dt.date
    reason: str


@dataclass(frozen=True)
class Computation:
    """How a deadline was computed: day 0, the result and every skipped day with its reason."""

    start: dt.date
    offset: int
    result: dt.date
    skipped: tuple[DayOff, ...] = field(default_factory=tuple)


class WorkingCalendar:
    def __init__(self, overrides: HolidayOverrides | None = None, language: str = "vi"):
        self._days_off = {e.date: e.name for e in (overrides.days_off if overrides else ())}
        self._working = {e.date: e.name for e in (overrides.working_days if overrides else ())}
        self._language = language
        self._by_year: dict[int, holidays_lib.HolidayBase] = {}
        # (start, n) -> Computation: the calendar never changes once built, and each conference's
        # milestones are asked for on every intake request and every tick.
        self._explained: dict[tuple[dt.date, int], Computation] = {}
        self.name = "holidays VN " + holidays_lib.__version__ + " + config/holidays.yaml"

    def _package(self, year: int) -> holidays_lib.HolidayBase:
        if year not in self._by_year:
            self._by_year[year] = holidays_lib.country_holidays("VN", years=year, language=self._language)
        return self._by_year[year]

    def day_off_reason(self, day: dt.date) -> str | None:
        """None on a working day; otherwise why the day is off, in Vietnamese."""
        if day in self._working:
            return None
        if day in self._days_off:
            return self._days_off[day]
        package = self._package(day.year)
        name = package.get(day)
        if name:
            return name
        if day in package.weekend_workdays:
            return None
        if day.weekday() >= 5:
            return f"Nghỉ cuối tuần ({WEEKDAY_NAMES_VI[day.weekday()]})"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_off_reason(day) is None

    def explain_add(self, start: dt.date, n: int) -> Computation:
        """The n-th working day after `start` (before it when n < 0); `start` itself is not counted."""
        key = (start, n)
        if key not in self._explained:
            if len(self._explained) >= _MAX_REMEMBERED:
                self._explained.clear()
            self._explained[key] = self._explain_add(start, n)
        return self._explained[key]

    def _explain_add(self, start: dt.date, n: int) -> Computation:
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        day = start
        skipped = []
        for _ in range(_MAX_SCAN_DAYS):
            if remaining == 0:
                return Computation(start=start, offset=n, result=day, skipped=tuple(skipped))
            day = day + dt.timedelta(days=step)
            reason = self.day_off_reason(day)
            if reason is None:
                remaining -= 1
            else:
                skipped.append(DayOff(day, reason))
        raise ValueError(f"no working day within {_MAX_SCAN_DAYS} days of {start}")

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        return self.explain_add(start, n).result

    def working_days_between(self, a: dt.date, b: dt.date) -> int:
        """The n for which add_working_days(a, n) == b when b is a working day: the working days
        after `a` up to and including `b`, or minus those from `b` up to but excluding `a`."""
        if b < a:
            span = (b + dt.timedelta(days=i) for i in range((a - b).days))
            return -sum(1 for day in span if self.is_working_day(day))
        span = (a + dt.timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sum(1 for day in span if self.is_working_day(day))

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the next one (Civil Code art. 148)."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)


@cache
def _calendar_for(overrides: HolidayOverrides) -> WorkingCalendar:
    return WorkingCalendar(overrides)


def calendar_for(overrides: HolidayOverrides) -> WorkingCalendar:
    """One calendar per set of overrides, shared, so the package's year tables are built once."""
    return _calendar_for(overrides)
