"""More faults with real processes: Redis killed and restarted under 200 submissions through a real HTTP
server, a worker SIGKILLed in the middle of a document render, an SMTP outage that outlives Redis's
record of the retry, PostgreSQL restarted under load.

Each drives the outbox sweep with an explicit `now` instead of waiting, and counts what the SMTP
server received by Message-ID.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from tests.factories import create_conference, create_recommendation, create_registration
from tests.intake_helpers import registration_payload
from tests.jobs import run_jobs
from tests.smtp import SMTPServer, free_port
from tests.workers.test_faults import DOITHOAI, RedisProcess, process_env, row_status, wait_for
from webforms.domain import outbox
from webforms.domain.mail import sender_domain
from webforms.extensions import db
from webforms.models import Document, Enterprise, OutboxMessage, OutboxStatus, Registration
from webforms.services import services
from webforms.timeutil import utcnow

pytestmark = pytest.mark.fault


@pytest.fixture
def redis_process():
    server = RedisProcess().start()
    yield server
    server.stop()


class ServedApp:
    """The app behind a real HTTP server (Werkzeug, threaded) on a free loopback port."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", free_port(), app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)


def post_json(url: str, payload: dict, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",  # noqa: S310
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, {"raw": body[:500].decode("utf-8", "replace")}
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, {"error": repr(exc)}


def open_conference_now(app):
    with app.app_context():
        svc = app.extensions["doithoai"]
        today = utcnow().astimezone(svc.rules.plan.timezone).date()
        starts_at = dt.datetime.combine(svc.calendar.add_working_days(today, 20), dt.time(8, 30),
                                        tzinfo=svc.rules.plan.timezone)
        conference = create_conference(starts_at=starts_at, announced_at=utcnow() - dt.timedelta(days=1))
        db.session.commit()
        return conference.slug


def submit_concurrently(url: str, total: int, clients: int, on_progress=None) -> list[tuple[int, dict, dict]]:
    """`total` registrations from `clients` threads; (status, body, payload) for each."""
    results: list[tuple[int, dict, dict]] = []
    lock = threading.Lock()
    counter = iter(range(total))

    def client():
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            payload = registration_payload(recommendations=1)
            status, body = post_json(url, payload)
            with lock:
                results.append((status, body, payload))
                done = len(results)
            if on_progress:
                on_progress(done)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return results


def test_redis_killed_and_restarted_during_200_http_submissions(app, settings, mailbox, redis_process):
    from webforms.app import create_app

    own = create_app(settings.with_(redis_url=redis_process.url, ratelimit_enabled=False))
    slug = open_conference_now(own)
    events = []

    def fault(done: int):
        if done == 50 and not events:
            events.append("kill")
            redis_process.process.send_signal(signal.SIGKILL)  # no shutdown: jobs in memory are gone
            redis_process.process.wait(timeout=10)
            redis_process.process = None
        elif done == 120 and events == ["kill"]:
            events.append("start")
            redis_process.start()

    started = time.monotonic()
    with ServedApp(own) as served:
        results = submit_concurrently(f"{served.url}/api/v1/conferences/{slug}/registrations", 200, 4, fault)
    elapsed = time.monotonic() - started
    assert events == ["kill", "start"]
    statuses = Counter(status for status, _body, _payload in results)
    assert statuses == {202: 200}, statuses  # Redis is not on the request's path: every one confirmed
    # the answer is the same whatever happened (F17): what was stored is found by the tax codes sent
    confirmed = {payload["enterprise"]["tax_code"]: payload for status, body, payload in results if status == 202}
    with own.app_context():
        stored = dict(db.session.execute(select(Enterprise.tax_code, Registration.contact_email)
                                         .join(Enterprise, Enterprise.id == Registration.enterprise_id)).all())
        assert set(confirmed) <= set(stored)
        assert all(stored[code] == payload["contact"]["email"] for code, payload in confirmed.items())
    run_jobs(own)
    with own.app_context():
        pending = db.session.scalar(select(func.count(OutboxMessage.id)).where(
            OutboxMessage.status == OutboxStatus.PENDING))
    assert pending > 0  # what was written while Redis was down waits for the sweep
    with own.app_context():
        later = utcnow() + dt.timedelta(seconds=settings.outbox_grace_seconds + 1)
        swept = outbox.sweep(own.extensions["doithoai"].redis, own.extensions["doithoai"].settings, later)
        assert swept["requeued"] >= pending
    run_jobs(own)
    with own.app_context():
        rows = db.session.scalar(select(func.count(OutboxMessage.id)))
        assert set(db.session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
    messages = mailbox.wait_for(rows)
    ids = Counter(m.message["Message-ID"] for m in messages)
    assert len(ids) == rows
    assert max(ids.values()) == 1
    receipts = Counter(a for m in messages if m.subject.startswith("[KN.") and "Đã nhận" in m.subject
                       for a in m.rcpt_tos)
    assert receipts == Counter(payload["contact"]["email"] for payload in confirmed.values())
    print(f"200 HTTP submissions with Redis killed at 50 and back at 120: {elapsed:.1f} s, "
          f"{pending} rows swept, {rows} emails")


def big_conference(app, recommendations: int, length: int) -> int:
    """A conference whose consolidated table takes a few seconds to render."""
    with app.app_context():
        conference = create_conference(slug="hn-lon", starts_at=utcnow() + dt.timedelta(days=365))
        for i in range(recommendations):
            registration = create_registration(conference)
            create_recommendation(registration, title=f"Kiến nghị {i}", content=("Nội dung dài. " * length))
        db.session.commit()
        return conference.id


def test_worker_killed_mid_render_gives_one_document_and_one_email(app, settings, mailbox, tmp_path):
    conference_id = big_conference(app, 800, 400)
    with app.app_context():
        row = outbox.queue_task("render_document", {
            "conference_id": conference_id, "kind": "consolidated_table", "subject": {},
            "as_of": utcnow().isoformat(),
            "mail": {"template": "answers_prepared_to_leaders", "to": ["lanhdao@heza.example.vn"],
                     "cc": [], "dedupe_key": "doc-mail:test-kill", "context": {"due_text": "hôm nay"}},
        }, queue="docs", dedupe_key="render:test-kill")
        db.session.commit()
        row_id = row.id
    env = process_env(settings)
    log = tmp_path / "worker.log"
    with log.open("w") as stderr:
        worker = subprocess.Popen([DOITHOAI, "worker", "--burst"], env=env,  # noqa: S603
                                  stdout=subprocess.DEVNULL, stderr=stderr)

    # Watched from the worker's log: on SQLite every transaction is BEGIN IMMEDIATE, so the worker
    # rendering inside its claim's transaction keeps the test from reading the row.
    def claimed():
        return "run_outbox_tasks([" in log.read_text()

    try:
        wait_for(claimed, timeout=30, what="the worker to claim the render")
    except AssertionError:
        worker.kill()
        worker.wait()
        with app.app_context():
            db.session.remove()
            row = db.session.get(OutboxMessage, row_id)
            raise AssertionError(f"{row.status} {row.last_error}: {log.read_text()[-3000:]}") from None
    # The claim is committed before the render starts (the task runner ends its transaction first), and
    # the render of 800 long rows then takes seconds: the row seen `sending` is the worker inside the
    # task, before its commit, whatever the machine's speed.
    wait_for(lambda: row_status(app, row_id) == OutboxStatus.SENDING, timeout=30, what="the claim")
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=10) == -signal.SIGKILL
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count(Document.id))) == 0, "killed after the commit: too late"
        svc = app.extensions["doithoai"]
        soon = utcnow() + dt.timedelta(minutes=2)
        assert outbox.sweep(svc.redis, svc.settings, soon) == {"requeued": 0, "stale_claims_freed": 0}
        later = utcnow() + outbox.STALE_CLAIM + dt.timedelta(minutes=1)
        assert outbox.sweep(svc.redis, svc.settings, later) == {"requeued": 1, "stale_claims_freed": 1}
    restarted = subprocess.run([DOITHOAI, "worker", "--burst"], env=env, capture_output=True,  # noqa: S603
                               text=True, timeout=120, check=False)
    assert restarted.returncode == 0, restarted.stderr[-2000:]
    with app.app_context():
        db.session.remove()
        documents = db.session.scalars(select(Document)).all()
        assert [(d.kind, d.version) for d in documents] == [("consolidated_table", 1)]
        assert db.session.get(OutboxMessage, row_id).status == OutboxStatus.SENT
        # The killed render may have left its file behind (written before the commit): the new version
        # is written beside it, never over it.
        folder = settings.resolved_documents_dir / documents[0].path.split("/")[0]
        assert (settings.resolved_documents_dir / documents[0].path).is_file()
        assert not list(folder.glob("*.part"))
    mails = mailbox.wait_for(1)
    assert [m.rcpt_tos for m in mails] == [["lanhdao@heza.example.vn"]]
    assert len(mails[0].attachments()) == 1


def test_smtp_refusing_connections_then_back_driven_by_the_sweeps_now(app, settings, redis_process):
    """SMTP refuses; the first attempt fails and RQ schedules a retry a minute later; Redis then loses
    that schedule (restarted), so only the sweep, driven by `now`, brings the mail back: not before the
    row's backoff, once it is due, again while SMTP still refuses, and exactly once when it is back."""
    from webforms.app import create_app

    port = free_port()
    server = SMTPServer(port)  # not started: connections are refused
    own = create_app(settings.with_(redis_url=redis_process.url, mail_port=port, ratelimit_enabled=False))
    svc = own.extensions["doithoai"]
    with own.app_context():
        conference = create_conference(slug="hn-smtp", starts_at=utcnow() + dt.timedelta(days=365))
        ids = []
        for _ in range(5):
            registration = create_registration(conference)
            ids.append(outbox.queue_mail(to=[registration.contact_email], subject="Đã nhận đăng ký",
                                         text=registration.tracking_code,
                                         dedupe_key=f"receipt:{registration.tracking_code}",
                                         message_domain=sender_domain(services().settings)).id)
        db.session.commit()
    t0 = utcnow()
    run_jobs(own)

    def rows():
        with own.app_context():
            db.session.remove()
            return db.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids))).all()

    assert {(r.status, r.attempts) for r in rows()} == {(OutboxStatus.PENDING, 1)}
    assert all("ConnectionRefusedError" in r.last_error for r in rows())
    redis_process.stop()
    redis_process.start()  # the scheduled retry is gone with Redis's memory
    with own.app_context():
        assert outbox.sweep(svc.redis, svc.settings, t0 + dt.timedelta(seconds=30))["requeued"] == 0
        assert outbox.sweep(svc.redis, svc.settings, t0 + dt.timedelta(seconds=90))["requeued"] == 5
    run_jobs(own)  # SMTP still refuses: the second attempt fails, the backoff grows to five minutes
    assert {(r.status, r.attempts) for r in rows()} == {(OutboxStatus.PENDING, 2)}
    redis_process.stop()
    redis_process.start()
    server.start()
    try:
        with own.app_context():
            assert outbox.sweep(svc.redis, svc.settings, t0 + dt.timedelta(minutes=3))["requeued"] == 0
            assert outbox.sweep(svc.redis, svc.settings, t0 + dt.timedelta(minutes=7))["requeued"] == 5
        run_jobs(own)
        server.wait_for(5)
        ids_seen = Counter(m.message["Message-ID"] for m in server.messages)
        assert len(ids_seen) == 5
        assert max(ids_seen.values()) == 1
        assert {(r.status, r.attempts) for r in rows()} == {(OutboxStatus.SENT, 3)}
    finally:
        server.stop()


# -- PostgreSQL restarted under load -----------------------------------------------------------------


def _pg_bin() -> Path | None:
    base = Path("/usr/lib/postgresql")
    versions = sorted(base.iterdir(), key=lambda p: p.name) if base.is_dir() else []
    for version in reversed(versions):
        if (version / "bin" / "pg_ctl").is_file():
            return version / "bin"
    return None


def _as_postgres(args, **kwargs):
    """Run a PostgreSQL server binary as the `postgres` user (it refuses to run as root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *map(str, args)]
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=60, **kwargs)  # noqa: S603


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free port: restarting it disturbs nobody else's server."""

    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="doithoai-pg-"))
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        if not (self.dir / "data").exists():
            _as_postgres([self.bin / "initdb", "-D", self.dir / "data", "-A", "trust", "-U", "postgres",
                          "--no-sync"])
        self.ctl("start", "-w", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                 "-c fsync=off")
        return self

    def ctl(self, *args):
        _as_postgres([self.bin / "pg_ctl", "-D", self.dir / "data", "-l", self.dir / "log", *args])

    def stop(self):
        try:
            self.ctl("stop", "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _can_run_postgres() -> str | None:
    if _pg_bin() is None:
        return "PostgreSQL server binaries are not installed"
    if os.geteuid() != 0 and os.environ.get("USER") != "postgres":
        return "starting a private PostgreSQL cluster needs root (runuser) or the postgres user"
    return None


@pytest.mark.skipif(_can_run_postgres() is not None, reason=_can_run_postgres() or "")
def test_postgres_restarted_under_load_loses_no_confirmed_submission(settings, redis_process, smtp_server):
    """A private cluster, not the machine's shared server (`pg_ctlcluster … restart` would cut every
    other session's connections). Requests during the restart may fail with a clear error; every 202
    is in the database afterwards; the same app process serves again without being restarted."""
    from flask_migrate import upgrade

    from webforms.app import create_app

    pg = PrivatePostgres(_pg_bin()).start()
    try:
        own = create_app(settings.with_(database_url=pg.url, redis_url=redis_process.url,
                                        ratelimit_enabled=False, instance_dir=Path(pg.dir) / "instance"))
        with own.app_context():
            upgrade()
        slug = open_conference_now(own)
        events = []

        def fault(done: int):
            if done == 40 and not events:
                events.append("restart")
                pg.ctl("restart", "-m", "fast", "-w")

        with ServedApp(own) as served:
            url = f"{served.url}/api/v1/conferences/{slug}/registrations"
            results = submit_concurrently(url, 150, 4, fault)
            sent_after = [registration_payload(recommendations=1) for _ in range(5)]
            after = [post_json(url, payload) for payload in sent_after]
        assert events == ["restart"]
        statuses = Counter(status for status, _b, _p in results)
        assert set(statuses) <= {202, 503, 0}, statuses  # 0: the connection itself was cut
        for status, body, _payload in results:
            if status == 503:  # a clear error, in Vietnamese, and nothing stored
                assert body["error"] == "database_unavailable"
                assert "Vui lòng gửi lại" in body["message"]
        assert [status for status, _body in after] == [202] * 5  # recovered without a restart
        confirmed = {p["enterprise"]["tax_code"] for status, _body, p in results if status == 202}
        confirmed |= {p["enterprise"]["tax_code"] for p in sent_after}
        with own.app_context():
            stored = set(db.session.scalars(select(Enterprise.tax_code).join(
                Registration, Registration.enterprise_id == Enterprise.id)))
            emails = set(db.session.scalars(select(Registration.contact_email)))
            db.session.remove()
            db.engine.dispose()
        assert confirmed <= stored
        # A 503 says "not stored"; it can be wrong only when the connection died during COMMIT itself.
        refused_but_stored = sum(1 for status, _b, p in results
                                 if status == 503 and p["contact"]["email"] in emails)
        print(f"PostgreSQL restart under load: {dict(statuses)}, {len(confirmed)} confirmed, all stored; "
              f"{refused_but_stored} answered 503 yet stored")
    finally:
        pg.stop()
