"""Page views read without holding up writers: on SQLite a GET's transaction begins DEFERRED (a WAL reader)
while a POST's begins IMMEDIATE (it takes the write lock at its first statement, so writers queue)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from webforms.extensions import db
from webforms.models import Conference


def other_writer(settings):
    """A second connection that gives up after 1 s on a lock (SQLite) instead of the app's 30 s."""
    if settings.is_sqlite:
        return create_engine(settings.sqlalchemy_url, connect_args={"timeout": 1})
    return create_engine(settings.sqlalchemy_url)


def write_elsewhere(engine, day: dt.date) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tracking_counters (day, last) VALUES (:day, 1)"), {"day": day})


def test_a_page_view_does_not_hold_up_a_writer(app, settings):
    engine = other_writer(settings)
    try:
        with app.test_request_context("/doi-thoai-doanh-nghiep/", method="GET"):
            app.preprocess_request()
            db.session.execute(select(Conference.id)).all()  # the view's first read: its transaction is open
            assert db.session().in_transaction()
            write_elsewhere(engine, dt.date(2030, 1, 1))  # not blocked
            db.session.remove()
    finally:
        engine.dispose()


def test_a_form_post_takes_the_write_lock_at_its_first_statement(app, settings):
    """So that two writers queue instead of one failing when its read snapshot turns into a write."""
    engine = other_writer(settings)
    try:
        with app.test_request_context("/quan-tri/dang-nhap", method="POST"):
            db.session.execute(select(Conference.id)).all()
            if settings.is_sqlite:
                with pytest.raises(OperationalError, match="database is locked"):
                    write_elsewhere(engine, dt.date(2030, 1, 2))
            else:  # PostgreSQL: row locks only; a read holds no one up
                write_elsewhere(engine, dt.date(2030, 1, 2))
            db.session.remove()
    finally:
        engine.dispose()
