"""Vietnamese working days: Monday to Friday, minus public holidays and decreed days off,
plus the Saturdays the government swaps into working days.

The `holidays` package (country VN) supplies the statutory holidays, Tết and the swaps it
knows; `config/holidays.yaml` adds government decisions the package does not know yet and wins
over it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
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
    # Years walked through whose days off the government has not announced yet (holidays.yaml
    # confirmed_years): the result is then a projection, shown as "dự kiến".
    unconfirmed_years: tuple[int, ...] = ()

    @property
    def tentative(self) -> bool:
        return bool(self.unconfirmed_years)


# -- the lunar month before Tết -------------------------------------------------------------------
# Hồ Ngọc Đức's new-moon computation (after Meeus), in UTC+7, as Vietnamese lunar calendars use it.

def _new_moon_jdn(k: int, tz_hours: float = 7.0) -> int:
    """The Julian day number of the k-th new moon after 1900-01-01, local day in UTC+tz_hours."""
    t = k / 1236.85
    t2, t3 = t * t, t * t * t
    dr = math.pi / 180
    jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * t2 - 0.000000155 * t3
    jd1 += 0.00033 * math.sin((166.56 + 132.87 * t - 0.009173 * t2) * dr)
    m = 359.2242 + 29.10535608 * k - 0.0000333 * t2 - 0.00000347 * t3
    mpr = 306.0253 + 385.81691806 * k + 0.0107306 * t2 + 0.00001236 * t3
    f = 21.2964 + 390.67050646 * k - 0.0016528 * t2 - 0.00000239 * t3
    c1 = (0.1734 - 0.000393 * t) * math.sin(m * dr) + 0.0021 * math.sin(2 * dr * m)
    c1 = c1 - 0.4068 * math.sin(mpr * dr) + 0.0161 * math.sin(dr * 2 * mpr)
    c1 = c1 - 0.0004 * math.sin(dr * 3 * mpr)
    c1 = c1 + 0.0104 * math.sin(dr * 2 * f) - 0.0051 * math.sin(dr * (m + mpr))
    c1 = c1 - 0.0074 * math.sin(dr * (m - mpr)) + 0.0004 * math.sin(dr * (2 * f + m))
    c1 = c1 - 0.0004 * math.sin(dr * (2 * f - m)) - 0.0006 * math.sin(dr * (2 * f + mpr))
    c1 = c1 + 0.0010 * math.sin(dr * (2 * f - mpr)) + 0.0005 * math.sin(dr * (2 * mpr + m))
    if t < -11:
        deltat = 0.001 + 0.000839 * t + 0.0002261 * t2 - 0.00000845 * t3 - 0.000000081 * t * t3
    else:
        deltat = -0.000278 + 0.000265 * t + 0.000262 * t2
    return int(jd1 + c1 - deltat + 0.5 + tz_hours / 24)


def _jdn(day: dt.date) -> int:
    return day.toordinal() + 1721425


def lunar_month_length_before(new_year: dt.date) -> int:
    """Days in the lunar month that ends the day before `new_year` (the 12th month, tháng Chạp)."""
    target = _jdn(new_year)
    k = round((target - 2415021.076998695) / 29.530588853)
    for candidate in (k, k - 1, k + 1):
        if _new_moon_jdn(candidate) == target:
            return target - _new_moon_jdn(candidate - 1)
    raise ValueError(f"{new_year} is not the first day of a lunar month")


def _relabel(day: dt.date, name: str, package: holidays_lib.HolidayBase) -> str:
    """Labels as Vietnamese administration writes them, where the package's differ."""
    giao_thua = day + dt.timedelta(days=1)  # the last day of tháng Chạp: its 29th or its 30th
    if (package.get(giao_thua) or "").startswith("Giao thừa"):
        length = lunar_month_length_before(giao_thua + dt.timedelta(days=1))
        return f"Nghỉ Tết Nguyên đán ({length - 1} tháng Chạp)"
    swap = re.fullmatch(r"Ngày nghỉ \(thay cho ngày (\d\d/\d\d/\d{4})\)", name)
    if swap:
        return f"Nghỉ hoán đổi (làm bù thứ Bảy {swap.group(1)})"
    return name


class WorkingCalendar:
    def __init__(self, overrides: HolidayOverrides | None = None, language: str = "vi"):
        self._days_off = {e.date: e.name for e in (overrides.days_off if overrides else ())}
        self._working = {e.date: e.name for e in (overrides.working_days if overrides else ())}
        self.confirmed_years = frozenset(overrides.confirmed_years if overrides else ())
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
            return _relabel(day, name, package) if self._language == "vi" else name
        if day in package.weekend_workdays:
            return None
        if day.weekday() >= 5:
            return f"Nghỉ cuối tuần ({WEEKDAY_NAMES_VI[day.weekday()]})"
        return None

    def is_working_day(self, day: dt.date) -> bool:
        return self.day_off_reason(day) is None

    def is_confirmed(self, year: int) -> bool:
        """Whether the government has announced this year's days off (holidays.yaml confirmed_years)."""
        return year in self.confirmed_years

    def unconfirmed_between(self, a: dt.date, b: dt.date) -> tuple[int, ...]:
        """The years from a to b (either order) whose days off are only projected."""
        low, high = sorted((a, b))
        return tuple(y for y in range(low.year, high.year + 1) if not self.is_confirmed(y))

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
                return Computation(start=start, offset=n, result=day, skipped=tuple(skipped),
                                   unconfirmed_years=self.unconfirmed_between(start, day))
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
