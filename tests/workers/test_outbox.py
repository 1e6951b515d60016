"""The outbox with real parts: rows written with their cause, enqueued after commit on a real Redis,
sent by a real RQ worker to a real SMTP server."""

import datetime as dt
import re

import pytest
from rq import Queue

from tests.jobs import failed_job_ids, run_jobs
from tests.smtp import SMTPServer, free_port
from webforms.domain import outbox
from webforms.domain.mail import sender_domain
from webforms.extensions import db
from webforms.models import OutboxMessage, OutboxStatus
from webforms.services import services
from webforms.timeutil import utcnow


def write_mail(key="receipt:KN.1", to="doanhnghiep@example.vn", subject="Đã nhận kiến nghị", **kw):
    return outbox.queue_mail(to=[to], subject=subject, text="Nội dung thư tiếng Việt.", html="<p>Nội dung</p>",
                             dedupe_key=key, **kw,
                             message_domain=sender_domain(services().settings))


def test_mail_is_sent_once_after_commit(app, mailbox):
    with app.app_context():
        row = write_mail()
        message_id = row.message_id
        assert Queue("mail", connection=app.extensions["doithoai"].redis).count == 0  # nothing before commit
        db.session.commit()
        assert Queue("mail", connection=app.extensions["doithoai"].redis).count == 1
    run_jobs(app)
    run_jobs(app)  # a second drain finds nothing to do
    assert len(mailbox.messages) == 1
    received = mailbox.messages[0]
    assert received.message["Message-ID"] == message_id
    assert received.subject == "Đã nhận kiến nghị"
    assert received.rcpt_tos == ["doanhnghiep@example.vn"]
    assert "Nội dung thư tiếng Việt." in received.text
    with app.app_context():
        assert db.session.scalar(db.select(OutboxMessage.status)) == OutboxStatus.SENT


def test_same_dedupe_key_sends_once(app, mailbox):
    with app.app_context():
        first = write_mail(key="k")
        second = write_mail(key="k")
        assert first.id == second.id
        db.session.commit()
        write_mail(key="k")  # in a later transaction too
        db.session.commit()
    run_jobs(app)
    assert len(mailbox.messages) == 1


def test_rollback_leaves_nothing(app, mailbox):
    with app.app_context():
        write_mail()
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count(OutboxMessage.id))) == 0
        assert Queue("mail", connection=app.extensions["doithoai"].redis).count == 0


def test_header_injection_is_neutralised(app, mailbox):
    with app.app_context():
        write_mail(subject="Kiến nghị\r\nBcc: victim@example.com")
        db.session.commit()
    run_jobs(app)
    received = mailbox.messages[0]
    assert received.message["Bcc"] is None
    assert received.subject == "Kiến nghị Bcc: victim@example.com"
    assert received.rcpt_tos == ["doanhnghiep@example.vn"]


def test_bad_address_is_refused_before_writing(app):
    with app.app_context(), pytest.raises(ValueError):
        write_mail(to="a@b.vn\r\nBcc: x@y.vn")


def test_batch_uses_one_job(app, mailbox):
    with app.app_context():
        for i in range(30):
            write_mail(key=f"batch:{i}", to=f"dn{i}@example.vn")
        db.session.commit()
        assert Queue("mail", connection=app.extensions["doithoai"].redis).count == 2  # 25 + 5
    run_jobs(app)
    assert len(mailbox.messages) == 30
    assert len({m.message["Message-ID"] for m in mailbox.messages}) == 30


@pytest.fixture
def other_app(settings):
    """A second app on the same database whose settings differ (a dead Redis, a dead SMTP server…)."""
    from webforms.app import create_app

    def make(**changes):
        return create_app(settings.with_(**changes))

    return make


def test_redis_down_at_commit_loses_nothing(app, other_app, mailbox, settings):
    dead_redis = other_app(redis_url=f"redis://127.0.0.1:{free_port()}/0", ratelimit_enabled=False)
    with dead_redis.app_context():
        write_mail()
        db.session.commit()  # succeeds although Redis does not answer
    with app.app_context():
        row = db.session.scalar(db.select(OutboxMessage))
        assert row.status == OutboxStatus.PENDING and row.enqueued_at is None
        later = utcnow() + dt.timedelta(seconds=settings.outbox_grace_seconds + 1)
        assert outbox.sweep(app.extensions["doithoai"].redis, settings, later)["requeued"] == 1
    run_jobs(app)
    assert len(mailbox.messages) == 1


def test_sweep_does_not_duplicate_a_queued_job(app, settings, mailbox):
    with app.app_context():
        write_mail()
        db.session.commit()
        later = utcnow() + dt.timedelta(seconds=settings.outbox_grace_seconds + 1)
        outbox.sweep(app.extensions["doithoai"].redis, settings, later)
        outbox.sweep(app.extensions["doithoai"].redis, settings, later + dt.timedelta(minutes=5))
    run_jobs(app)
    assert len(mailbox.messages) == 1


def test_stale_claim_of_a_dead_worker_is_sent_again(app, settings, mailbox):
    with app.app_context():
        row = write_mail()
        db.session.commit()
        assert outbox.claim(row.id, utcnow()) is not None  # a worker took it, then died
        redis = app.extensions["doithoai"].redis
        redis.flushdb()
        assert outbox.sweep(redis, settings, utcnow() + dt.timedelta(minutes=1))["requeued"] == 0
        result = outbox.sweep(redis, settings, utcnow() + outbox.STALE_CLAIM + dt.timedelta(minutes=2))
        assert result["stale_claims_freed"] == 1
        # the freed row is picked up by the next sweep
        outbox.sweep(redis, settings, utcnow() + outbox.STALE_CLAIM + dt.timedelta(minutes=3))
    run_jobs(app)
    assert len(mailbox.messages) == 1


def test_smtp_down_retries_then_fails_then_staff_retry_sends(app, other_app, settings):
    server = SMTPServer()  # not started yet: connections are refused
    flaky = other_app(mail_port=server.port, retry_intervals=(0, 0))
    with flaky.app_context():
        row = write_mail()
        db.session.commit()
        row_id = row.id
    run_jobs(flaky)
    with flaky.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 3
        assert "gave up" in row.last_error
        assert failed_job_ids(flaky, "mail")
    server.start()
    try:
        with flaky.app_context():
            assert outbox.retry_failed(row_id) is not None
            db.session.commit()
        run_jobs(flaky)
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_smtp_back_before_retries_run_out(app, other_app):
    port = free_port()
    server = SMTPServer(port)
    flaky = other_app(mail_port=port, retry_intervals=(3600,))
    with flaky.app_context():
        row = write_mail()
        db.session.commit()
        row_id = row.id
    run_jobs(flaky)  # first attempt fails; RQ schedules the retry an hour later
    server.start()
    try:
        with flaky.app_context():
            row = db.session.get(OutboxMessage, row_id)
            assert row.status == OutboxStatus.PENDING
            assert row.next_attempt_at > utcnow() + dt.timedelta(minutes=59)
            redis = flaky.extensions["doithoai"].redis
            settings = flaky.extensions["doithoai"].settings
            assert outbox.sweep(redis, settings, utcnow() + dt.timedelta(minutes=5))["requeued"] == 0
            redis.flushdb()  # Redis lost RQ's scheduled retry: the sweep still has the row
            assert outbox.sweep(redis, settings, utcnow() + dt.timedelta(minutes=61))["requeued"] == 1
        run_jobs(flaky)
        assert len(server.messages) == 1
    finally:
        server.stop()


def test_permanent_refusal_fails_at_once(app, mailbox):
    mailbox.handler.refuse.add("khongton@example.vn")
    with app.app_context():
        row = write_mail(to="khongton@example.vn")
        db.session.commit()
        row_id = row.id
    run_jobs(app)
    with app.app_context():
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == OutboxStatus.FAILED
        assert row.attempts == 1
        assert "550" in row.last_error


def test_sweep_reads_only_the_live_rows_through_an_index(app_ctx):
    """Years of sent rows must not enter the sweep's reads: each of its queries seeks the few pending or
    sending rows through an index led by the status, never scans the table (on SQLite the old query's
    ORDER BY id made the planner scan all rows in id order). Which of the two status indexes the planner
    takes depends on its statistics; both visit only live rows."""
    from sqlalchemy import event, insert

    old = utcnow() - dt.timedelta(days=900)
    db.session.execute(insert(OutboxMessage), [
        {"kind": "mail", "queue": "mail", "dedupe_key": f"past:{i}", "payload": {}, "status": OutboxStatus.SENT,
         "attempts": 1, "last_error": "", "message_id": f"<past.{i}@test.example>", "created_at": old,
         "done_at": old} for i in range(2000)])
    db.session.commit()
    postgres = db.engine.dialect.name == "postgresql"
    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE outbox_messages")
        conn.commit()
    seen: list[tuple[str, object]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and "outbox_messages" in statement:
            seen.append((statement, parameters))

    settings = app_ctx.extensions["doithoai"].settings
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        outbox.sweep(app_ctx.extensions["doithoai"].redis, settings, utcnow())
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 2  # stale claims, then rows left pending
    try:
        with db.engine.connect() as conn:
            for statement, parameters in seen:
                if postgres:
                    plan = " ".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + statement, parameters))
                    assert "Seq Scan on outbox_messages" not in plan, plan
                    assert "ix_outbox_" in plan, plan
                else:
                    plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                               parameters))
                    assert "SCAN outbox_messages" not in plan, plan
                    assert re.search(r"SEARCH outbox_messages USING INDEX ix_outbox_\w+ \(status=", plan), plan
            conn.rollback()
    finally:  # the statistics stay with the table: leave none for the tests that follow
        with db.engine.connect() as conn:
            if not postgres:
                conn.exec_driver_sql("DELETE FROM sqlite_stat1")
                conn.commit()
