"""The outbox task runner hands each task a session with no transaction open, and ends whatever the task
left open before marking its row: a render begins its read phase read-only (DEFERRED on SQLite), and a
write inside such a transaction fails at once when another connection committed meanwhile."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, select, text

from tests.jobs import run_jobs
from webforms.domain import outbox
from webforms.domain.sql import begin_read_only
from webforms.extensions import db
from webforms.models import OutboxMessage, OutboxStatus
from workers.task_jobs import TASKS


def test_a_task_starts_clean_and_its_read_only_leftovers_do_not_break_the_marking(app, settings):
    other = create_engine(settings.sqlalchemy_url, **({"connect_args": {"timeout": 1}} if settings.is_sqlite else {}))
    seen = {}

    def probe(args):
        seen["open_at_start"] = db.session().in_transaction()
        seen["read_only"] = begin_read_only(db.session)
        db.session.execute(select(OutboxMessage.id)).all()
        with other.begin() as conn:  # another connection commits while this read is open
            conn.execute(text("INSERT INTO tracking_counters (day, last) VALUES (:day, 1)"),
                         {"day": dt.date(2030, 1, 3)})
        # ... and the task returns with its read-only transaction still open

    TASKS["probe_read_only"] = probe
    try:
        with app.app_context():
            row_id = outbox.queue_task("probe_read_only", {}).id
            db.session.commit()
        run_jobs(app)
        with app.app_context():
            row = db.session.get(OutboxMessage, row_id)
            assert (row.status, row.last_error) == (OutboxStatus.SENT, "")
        assert seen == {"open_at_start": False, "read_only": True}
    finally:
        TASKS.pop("probe_read_only", None)
        other.dispose()

