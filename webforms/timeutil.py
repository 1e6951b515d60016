"""Time helpers: the database holds UTC; people read Asia/Ho_Chi_Minh."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UTC = dt.UTC
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> dt.datetime:
    """The one place the clock is read; domain functions take `now` as an argument instead."""
    return dt.datetime.now(UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one")
    return value.astimezone(UTC)


def to_local(value: dt.datetime, tz: ZoneInfo = LOCAL_TZ) -> dt.datetime:
    return as_utc(value).astimezone(tz)


def parse_instant(text: str, tz: ZoneInfo = LOCAL_TZ) -> dt.datetime:
    """An ISO 8601 instant; a value without an offset is read as local time."""
    value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
