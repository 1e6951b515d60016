"""SQL the ORM does not write for us, for the two databases doithoai runs on."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, scoped_session

_INSERTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}


def dialect_insert(session: Session):
    """The dialect's `insert` (with on_conflict_do_nothing / on_conflict_do_update) for the session's bind."""
    return insert_of(session.get_bind().dialect.name)


def insert_of(dialect: str):
    """The `insert` (with on_conflict_do_nothing / on_conflict_do_update) of the dialect named."""
    return _INSERTS[dialect]


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


def insert_new(session: Session | scoped_session, entity, values: dict, *, index_elements=None):
    """INSERT … ON CONFLICT DO NOTHING RETURNING the row, as an ORM object of the session; None when a row
    with the same unique key stands (written by this transaction, or by another one that committed, which
    PostgreSQL waits for when it is still open). One statement where a SAVEPOINT, the INSERT and a RELEASE
    (or ROLLBACK TO, caught as an IntegrityError) took three round trips and the unit of work's flush.

    `index_elements`: the unique columns the conflict is about; none means any unique constraint. Other
    errors (a foreign key, NOT NULL, a CHECK) raise as they would. ORM flush events do not run for it, and
    relationships of the new object are not loaded (`set_committed_value` marks a collection known empty).
    """
    return session.scalars(_insert_new_statement(session, entity, index_elements), values).one_or_none()


_INSERT_NEW: dict[tuple, object] = {}


def _insert_new_statement(session, entity, index_elements):
    """One statement per (dialect, entity, conflict columns), built once: the values come as parameters, so
    SQLAlchemy finds its compiled form by the statement's memoized cache key instead of walking the values
    of every call."""
    dialect = session.get_bind().dialect.name
    key = (dialect, entity, tuple(index_elements or ()))
    statement = _INSERT_NEW.get(key)
    if statement is None:
        statement = _INSERT_NEW[key] = (
            insert_of(dialect)(entity).on_conflict_do_nothing(index_elements=index_elements).returning(entity)
        )
    return statement
