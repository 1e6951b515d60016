"""Column types and mixins shared by the models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, types

from webforms.timeutil import UTC


class UTCDateTime(types.TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out; stored as naive UTC so SQLite and
    PostgreSQL hold the same value."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def status_check(column: str, values) -> CheckConstraint:
    """CHECK that a status column holds one of `values`, the lifecycle's states (webforms/domain/lifecycle.py).
    Named by the naming convention: ck_<table>_<column>. A new state needs a migration too."""
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({listed})", name=column)
