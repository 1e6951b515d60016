"""One unit of work per request, per job and per CLI command: commit on success, roll back on error.

Views, jobs and commands do not call `commit()` or `rollback()`; the boundary does, here:

- a request: `DoithoaiFlask.dispatch_request` (webforms/app.py) runs the view in `request_unit_of_work()`.
  A view that returns a response has succeeded, whatever its status: what it wrote is committed (a refused
  login keeps its failure counter and audit row, a refused password change its audit row). An exception
  leaving the view rolls everything back. If the commit fails, the Flask session (flashed messages, a
  receipt, a login) goes back to what it was before the view, so no message says "saved" about a change
  that was not stored.
- a domain refusal the view answers itself (a form shown again with the message): `with undo_on(Error) as
  refused:` around the domain call rolls the request's writes back and keeps the exception in
  `refused.error`; the view then renders or redirects.
- a job: `workers.runtime.app_job`; a CLI command: `webforms.cli.common.in_unit_of_work`.

Files share the fate of the transaction that named them (`session.info`, on `db.session` only: a plain
Session opened by a script runs none of this): `remove_on_rollback(path)` for a file written for rows of
the open transaction (an upload, a rendered or issued document), `remove_after_commit(path)` for a file
whose rows the transaction deletes. Only the outermost transaction decides: a SAVEPOINT rolled back keeps
the outer transaction's files.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import has_app_context
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError

from webforms.extensions import db

# Session.info keys: files to remove if the transaction rolls back / once it has committed; and whether
# the open transaction has written anything (a flush, or an INSERT/UPDATE/DELETE through the session).
_ON_ROLLBACK = "doithoai_files_on_rollback"
_AFTER_COMMIT = "doithoai_files_after_commit"
_WROTE = "doithoai_transaction_wrote"


def remove_on_rollback(*paths: Path | str) -> None:
    """Files just written for rows of the open transaction: removed if it rolls back, kept if it commits.
    Outside an app context (a file checked with no database at all) the caller keeps the file."""
    if not has_app_context():
        return
    db.session.info.setdefault(_ON_ROLLBACK, []).extend(str(p) for p in paths)


def remove_after_commit(*paths: Path | str) -> None:
    """Files whose rows the open transaction deletes: removed once it has committed, kept if it rolls back."""
    db.session.info.setdefault(_AFTER_COMMIT, []).extend(str(p) for p in paths)


def _files_after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the outer transaction decides
    session.info.pop(_WROTE, None)
    session.info.pop(_ON_ROLLBACK, None)
    for path in session.info.pop(_AFTER_COMMIT, ()):
        Path(path).unlink(missing_ok=True)


def _files_after_rollback(session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT rolled back keeps the outer transaction's files
    _remove_named(session)


def _remove_named(session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_AFTER_COMMIT, None)
    for path in session.info.pop(_ON_ROLLBACK, ()):
        Path(path).unlink(missing_ok=True)


def _flushed(session, _context) -> None:
    session.info[_WROTE] = True


def _executed(state) -> None:
    if not state.is_select:
        state.session.info[_WROTE] = True


def install_hooks() -> None:
    """Attach the file and write-tracking hooks to `db.session` (its sessionmaker's class), once per process."""
    if not event.contains(db.session, "after_commit", _files_after_commit):
        event.listen(db.session, "after_commit", _files_after_commit)
        event.listen(db.session, "after_rollback", _files_after_rollback)
        event.listen(db.session, "after_flush", _flushed)
        event.listen(db.session, "do_orm_execute", _executed)


def _commit() -> None:
    """Commit if the transaction wrote anything or named a file. One that only read is left as it is (ended
    when the session is removed), so a page view costs no commit and keeps its loaded objects."""
    session = db.session()
    info = session.info
    if info.get(_WROTE) or info.get(_ON_ROLLBACK) or info.get(_AFTER_COMMIT) or session.new or session.dirty \
            or session.deleted:
        session.commit()


def _rollback() -> None:
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone (a database restart): drop the session instead
        _remove_named(db.session())
        db.session.remove()


@contextlib.contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit what the block wrote if it returns, roll it back if it raises (and re-raise).

    A SystemExit with status 0 (a command that ends early on success) counts as success."""
    try:
        yield
    except SystemExit as exc:
        if exc.code in (0, None):
            _commit()
        else:
            _rollback()
        raise
    except BaseException:
        _rollback()
        raise
    _commit()


@contextlib.contextmanager
def request_unit_of_work() -> Iterator[None]:
    """`unit_of_work` for a view. When the commit itself fails, the Flask session goes back to what it was
    before the view ran (or at its last `keep_so_far`): a flashed "saved", a receipt or a login made for
    writes that were not stored does not outlive them."""
    from flask import g, session

    g.session_before_unit_of_work = dict(session)
    try:
        yield
    except BaseException:
        _rollback()
        raise
    try:
        _commit()
    except BaseException:
        _rollback()
        before = g.session_before_unit_of_work
        if dict(session) != before:
            session.clear()
            session.update(before)
        raise


@dataclass
class Refusal:
    error: BaseException | None = None

    def __bool__(self) -> bool:
        return self.error is not None


@contextlib.contextmanager
def undo_on(*errors: type[BaseException]) -> Iterator[Refusal]:
    """Around a domain call whose refusal the caller answers itself: on one of `errors`, everything the
    unit of work wrote so far is rolled back (its files with it) and the exception is kept in the yielded
    Refusal (true when refused) instead of propagating."""
    refusal = Refusal()
    try:
        yield refusal
    except errors as exc:
        _rollback()
        refusal.error = exc


def keep_so_far() -> None:
    """Commit what the unit of work wrote so far, before a step whose refusal must not lose it. Each caller
    says why; the unit of work still commits or rolls back the rest (in a request, the Flask session too:
    what was flashed until now stays)."""
    from flask import g, has_request_context, session

    db.session.commit()
    if has_request_context() and "session_before_unit_of_work" in g:
        g.session_before_unit_of_work = dict(session)


def writes_on_get(view):
    """Mark a view that may write while answering a GET (the status page records that its private link was
    opened): on SQLite its transaction then takes the write lock at BEGIN like any POST, instead of starting
    read-only and failing with SQLITE_BUSY when another writer committed meanwhile."""
    view.writes_on_get = True
    return view
