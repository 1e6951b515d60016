"""SQL the ORM does not write for us, for the two databases doithoai runs on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def dialect_insert(session: Session):
    """The dialect's `insert` (with on_conflict_do_nothing / on_conflict_do_update) for the session's bind."""
    return _INSERTS[session.get_bind().dialect.name]


# Execution option read by the SQLite begin hook (webforms.app.configure_sqlite): BEGIN instead of BEGIN IMMEDIATE.
READ_ONLY_OPTION = "doithoai_read_only"


def begin_read_only(session: Session | scoped_session) -> bool:
    """Start the session's next transaction as a read-only one, unless one is already open (then False).

    On SQLite it begins DEFERRED and takes no write lock, so page views and the read phase of a render run
    beside writers instead of queueing behind them. Its first write would fail at once with SQLITE_BUSY
    when another writer committed since it began: use it only where nothing is written before the next
    commit or rollback (after which transactions begin IMMEDIATE again). No effect on PostgreSQL.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.in_transaction():
        return False
    session.connection(execution_options={READ_ONLY_OPTION: True})
    return True
