"""SQL the ORM does not write for us, for the two databases doithoai runs on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def dialect_insert(session: Session):
    """The dialect's `insert` (with on_conflict_do_nothing / on_conflict_do_update) for the session's bind."""
    return _INSERTS[session.get_bind().dialect.name]
