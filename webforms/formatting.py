"""How dates and numbers are shown to people: Vietnamese forms, local time."""

from __future__ import annotations

import datetime as dt

from webforms.timeutil import to_local

# Local times as each language writes them; English spells the month out so 04/09 is never read as April.
DATETIME_FORMATS = {"vi": "%H:%M ngày %d/%m/%Y", "en": "%H:%M, %d %b %Y"}
DATE_FORMATS = {"vi": "%d/%m/%Y", "en": "%d %b %Y"}


def _language() -> str:
    """The page's language (Flask-Babel's locale); Vietnamese outside a request, in emails and documents."""
    from flask import has_app_context
    from flask_babel import get_locale

    locale = get_locale() if has_app_context() else None
    return locale.language if locale is not None and locale.language in DATETIME_FORMATS else "vi"


def local_datetime(value: dt.datetime | None, fmt: str | None = None) -> str:
    if value is None:
        return ""
    return to_local(value).strftime(fmt or DATETIME_FORMATS[_language()])


def datetime_attribute(value: dt.datetime | None) -> str:
    """A `<time datetime>` value: local time to the second with its offset ("2026-12-30T08:30:00+07:00")."""
    if value is None:
        return ""
    return to_local(value).replace(microsecond=0).isoformat()


def local_date(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return value.strftime(DATE_FORMATS[_language()])


def vn_date_long(value: dt.date | dt.datetime, place: str | None = None) -> str:
    """"ngày 04 tháng 9 năm 2025" (Decree 30/2020: day below 10 and months 1-2 take a leading 0)."""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    month = f"{value.month:02d}" if value.month <= 2 else str(value.month)
    text = f"ngày {value.day:02d} tháng {month} năm {value.year}"
    return f"{place}, {text}" if place else text


def vn_number(value: int | float) -> str:
    """1234567 -> "1.234.567" (Vietnamese thousands separator)."""
    whole = f"{round(value):,}"
    return whole.replace(",", ".")


def vn_money(value: int | float) -> str:
    return f"{vn_number(value)} đồng"


# Monday is 0, as in datetime.weekday().
_VN_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")


def vn_weekday(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return _VN_WEEKDAYS[value.weekday()]


def vn_time_and_day(value: dt.datetime) -> str:
    """"08 giờ 30, thứ Năm, ngày 04 tháng 9 năm 2025" (an invitation's "Thời gian:" line)."""
    local = to_local(value)
    return f"{local.hour:02d} giờ {local.minute:02d}, {vn_weekday(local)}, {vn_date_long(local)}"


def vn_date_short(value: dt.date | dt.datetime | None) -> str:
    """"04/09/2025": the short date used in tables."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value).date()
    return f"{value.day:02d}/{value.month:02d}/{value.year}"


# After a date computed through a year whose days off the government has not announced yet
# (config/holidays.yaml confirmed_years).
TENTATIVE_WORDS = {"vi": "dự kiến", "en": "provisional"}


def is_tentative(value) -> bool:
    """A milestone, a computation or anything with `tentative`; or a date, whose year is checked."""
    flag = getattr(value, "tentative", None)
    if flag is not None:
        return bool(flag)
    if value is None:
        return False
    from flask import has_app_context

    if not has_app_context():
        return False
    from webforms.services import services

    day = to_local(value).date() if isinstance(value, dt.datetime) else value
    return not services().calendar.is_confirmed(day.year)


def tentative(value) -> str:
    """" (dự kiến)" after a date that is only a projection, "" otherwise: `{{ m.due|local_dt }}{{ m|tentative }}`."""
    return f" ({TENTATIVE_WORDS[_language()]})" if is_tentative(value) else ""
