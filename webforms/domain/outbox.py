"""The transactional outbox: every side effect is a row written with its cause, done after commit.

- `queue_mail` / `queue_task` add an OutboxMessage to the caller's session; nothing leaves the
  process until the transaction commits.
- After commit the new rows are enqueued on RQ (`dispatch`). If Redis is down, nothing is lost:
  `sweep` (run by tick every minute) enqueues whatever is still pending after a grace period.
- A worker claims a row atomically (pending -> sending) before acting, so two jobs never act on
  the same row at once; a row left in `sending` by a dead worker goes back to pending after
  `STALE_CLAIM`. Delivery is therefore at-least-once: a duplicate only if a worker dies between
  the SMTP server's acceptance and the row being marked sent (the stable Message-ID lets mail
  clients drop it).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence

from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from webforms.domain.sql import insert_new
from webforms.extensions import db
from webforms.models import OutboxMessage, OutboxStatus
from webforms.models.outbox import outbox_live

log = logging.getLogger("doithoai.outbox")

MAIL_KIND = "mail"
# A claim older than this belonged to a worker that died mid-job.
STALE_CLAIM = dt.timedelta(minutes=10)
_PENDING_IDS = "doithoai_outbox_new_ids"
_ACTIVE_JOB_STATES = {JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED}

# The job function of each kind (a callable or an importable path, as RQ takes), given by the
# composition root (webforms/app.py, use_jobs): the domain never names a worker.
JOB_FUNCTIONS: dict[str, object] = {}


def use_jobs(functions: Mapping[str, object]) -> None:
    """Set the job run for each kind of row ("mail", "task"); called once when the app is built."""
    JOB_FUNCTIONS.clear()
    JOB_FUNCTIONS.update(functions)


def _add(row: OutboxMessage) -> OutboxMessage:
    """Insert unless a row with the same dedupe_key exists; return whichever row stands."""
    session = db.session
    if row.dedupe_key:
        # Most keys are new (a fresh tracking code, a new day's digest): try the insert and let the
        # unique index say when the key was used before, by this transaction or another.
        values = {c.key: getattr(row, c.key) for c in OutboxMessage.__table__.columns
                  if c.key != "id" and getattr(row, c.key) is not None}
        inserted = insert_new(session, OutboxMessage, values, index_elements=["dedupe_key"])
        if inserted is None:
            return session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == row.dedupe_key))
        row = inserted
    else:
        session.add(row)
        session.flush()
    session.info.setdefault(_PENDING_IDS, []).append((row.queue, row.kind, row.id))
    return row


def new_message_id(domain: str) -> str:
    """Chosen once, stored with the row and sent on every attempt: the receiver sees one message however
    many times the worker retries it."""
    return f"<doithoai.{secrets.token_hex(12)}@{domain}>"


def queue_mail(
    *,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    dedupe_key: str | None = None,
    reply_to: str | None = None,
    cc: Sequence[str] = (),
    attachments: Iterable[dict] = (),
    message_domain: str,
) -> OutboxMessage:
    """Write an email to the outbox in the caller's transaction.

    :param to: recipient addresses, already checked (domain.mail.checked_address)
    :param dedupe_key: what makes this email unique ("receipt:KN.20250820.0042"); a second call
        with the same key returns the first row and sends nothing more.
    :param attachments: dicts with `filename`, `content_type` and either `path` (a file the worker
        reads at send time), `document_id` (a Document row's .docx) or `data_b64` (small content, e.g.
        an .ics, carried in the row itself).
    :param message_domain: the Message-ID's domain, the sender's (mail.sender_domain(settings)).
    """
    from webforms.domain.mail import checked_address, header_safe

    payload = {
        "to": [checked_address(a) for a in to],
        "cc": [checked_address(a) for a in cc],
        "reply_to": checked_address(reply_to) if reply_to else None,
        "subject": header_safe(subject),
        "text": text,
        "html": html,
        "attachments": list(attachments),
    }
    row = OutboxMessage(kind=MAIL_KIND, queue="mail", dedupe_key=dedupe_key, payload=payload,
                        status=OutboxStatus.PENDING, message_id=new_message_id(message_domain))
    return _add(row)


def queue_template(template: str, context: dict, *, to: Sequence[str], rules, message_domain: str,
                   **options) -> OutboxMessage:
    """`compose(template, context, rules)` written to the outbox: the subject, text and HTML of the template
    pair emails/<template>.{subject,txt,html}; `options` as for queue_mail (dedupe_key, cc, reply_to, …)."""
    from webforms.domain.mail import compose

    composed = compose(template, context, rules)
    return queue_mail(to=to, subject=composed.subject, text=composed.text, html=composed.html,
                      message_domain=message_domain, **options)


def queue_task(name: str, args: dict, *, queue: str = "default", dedupe_key: str | None = None) -> OutboxMessage:
    """Any other side effect (a document render, …): `name` is a task the "task" job knows."""
    row = OutboxMessage(kind="task", queue=queue, dedupe_key=dedupe_key,
                        payload={"task": name, "args": args}, status=OutboxStatus.PENDING)
    return _add(row)


# -- after commit -------------------------------------------------------------------------------

def job_id_for(ids: Sequence[int]) -> str:
    return "outbox-" + (str(ids[0]) if len(ids) == 1 else f"{ids[0]}-{ids[-1]}-{len(ids)}")


def _job_is_active(redis: Redis, job_id: str) -> bool:
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return False
    if job.get_status(refresh=False) in _ACTIVE_JOB_STATES:
        return True
    job.delete()  # finished or failed: make room for a fresh job with the same id
    return False


def dispatch_pending(session: Session, redis: Redis, settings, now: dt.datetime) -> None:
    """After a commit: enqueue the rows that transaction wrote. A Redis error is logged and left to
    the sweep; the request that caused the rows has already succeeded."""
    if session.in_nested_transaction():
        return  # a SAVEPOINT was released; the outer transaction has not committed yet
    rows = session.info.pop(_PENDING_IDS, None)
    if not rows:
        return
    try:
        # Rows written by this transaction cannot have a job yet: no need to ask Redis first.
        enqueue(redis, rows, settings, check_existing=False)
    except (RedisError, OSError) as exc:
        log.warning("outbox dispatch of %d rows deferred to the sweep: %s", len(rows), exc)
    # enqueued_at stays unset: the sweep's grace period counts from created_at, and a second write
    # transaction per request would cost more than it saves (and could fail after the caller's commit).


def forget_pending(session: Session) -> None:
    """After a rollback: the rows of the rolled-back transaction will never exist. A SAVEPOINT rolled
    back keeps the outer transaction's rows: they still commit with it; an id
    of a row written inside that SAVEPOINT, if any, finds nothing to claim and is skipped by the job."""
    if session.in_nested_transaction():
        return
    session.info.pop(_PENDING_IDS, None)


def _job_function(kind: str):
    try:
        return JOB_FUNCTIONS[kind]
    except KeyError:
        raise LookupError(f"no job for outbox rows of kind {kind!r}: outbox.use_jobs was not called") from None


def enqueue(redis: Redis, rows, settings, job_suffix: str = "", *, check_existing: bool = True) -> None:
    """Hand (queue, kind, id) rows to RQ: mail in batches over one SMTP connection, the rest one by one.
    Every job goes in one MULTI/EXEC pipeline: one round trip to Redis, and all of them or none."""
    from rq import Queue, Retry

    groups: dict[tuple[str, str], list[int]] = {}
    for queue, kind, row_id in rows:
        groups.setdefault((queue, kind), []).append(row_id)
    with redis.pipeline() as pipeline:
        for (queue_name, kind), ids in groups.items():
            queue = Queue(queue_name, connection=redis)
            size = settings.mail_batch_size if kind == MAIL_KIND else 1
            for start in range(0, len(ids), size):
                chunk = sorted(ids[start:start + size])
                job_id = job_id_for(chunk) + job_suffix
                if check_existing and _job_is_active(redis, job_id):
                    continue
                queue.enqueue_call(
                    _job_function(kind), args=(chunk,), job_id=job_id, timeout=600, result_ttl=3600,
                    failure_ttl=7 * 86400,
                    retry=Retry(max=len(settings.retry_intervals), interval=list(settings.retry_intervals)),
                    pipeline=pipeline,
                )
        pipeline.execute()


# -- the sweep ----------------------------------------------------------------------------------

def sweep(redis: Redis, settings, now: dt.datetime) -> dict:
    """Re-enqueue pending rows left behind (Redis was down, a job was lost) and free stale claims."""
    grace = dt.timedelta(seconds=settings.outbox_grace_seconds)
    stale = set(db.session.scalars(select(OutboxMessage.id).where(
        outbox_live(), OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.claimed_at < now - STALE_CLAIM)))
    freed = 0
    if stale:
        freed = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(stale), OutboxMessage.status == OutboxStatus.SENDING)
            .values(status=OutboxStatus.PENDING, claimed_at=None)
        ).rowcount
    rows = db.session.execute(
        select(OutboxMessage.queue, OutboxMessage.kind, OutboxMessage.id)
        .where(
            outbox_live(),
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.created_at < now - grace,
            or_(OutboxMessage.enqueued_at.is_(None), OutboxMessage.enqueued_at < now - grace),
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.id)
        .limit(5000)
    ).all()
    rows = [tuple(r) for r in rows]
    if rows:
        db.session.execute(update(OutboxMessage).where(OutboxMessage.id.in_([r[2] for r in rows]))
                           .values(enqueued_at=now))
    db.session.commit()
    if rows:
        enqueue(redis, [r for r in rows if r[2] not in stale], settings)
        # A stale claim's job died with its worker, yet Redis may still show it "started" (RQ notices
        # only after the job timeout): enqueue under a new id rather than wait. The atomic claim makes a
        # second job for the same row harmless.
        enqueue(redis, [r for r in rows if r[2] in stale], settings, job_suffix=f"-swept-{now:%Y%m%dT%H%M%S}")
    return {"requeued": len(rows), "stale_claims_freed": freed}


# -- used by the jobs ---------------------------------------------------------------------------

def claim(row_id: int, now: dt.datetime) -> OutboxMessage | None:
    """Atomically take a pending row for this worker; None when it is not pending (done, failed,
    or another worker has it)."""
    taken = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
    ).rowcount
    db.session.commit()
    if not taken:
        return None
    return db.session.get(OutboxMessage, row_id, populate_existing=True)


def claim_many(row_ids: Sequence[int], now: dt.datetime) -> list[OutboxMessage]:
    """Claim every pending row of a batch in one statement; the rows this worker now holds."""
    taken = db.session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(row_ids)), OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
    ).all()
    db.session.commit()
    if not taken:
        return []
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(taken)).order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    return list(rows)


def mark_done(row: OutboxMessage, now: dt.datetime) -> None:
    row.status = OutboxStatus.SENT
    row.done_at = now
    row.last_error = ""
    db.session.commit()


def mark_failed(row: OutboxMessage, error: str, now: dt.datetime) -> None:
    row.status = OutboxStatus.FAILED
    row.last_error = error[:4000]
    row.done_at = now
    db.session.commit()


def mark_for_retry(row: OutboxMessage, error: str, now: dt.datetime, retry_intervals: Sequence[int]) -> bool:
    """Back to pending with a backoff; False (and failed) when the attempts are used up."""
    if row.attempts > len(retry_intervals):
        mark_failed(row, f"gave up after {row.attempts} attempts: {error}", now)
        return False
    row.status = OutboxStatus.PENDING
    row.claimed_at = None
    row.last_error = error[:4000]
    row.next_attempt_at = now + dt.timedelta(seconds=retry_intervals[row.attempts - 1])
    db.session.commit()
    return True


def retry_failed(row_id: int) -> OutboxMessage | None:
    """Staff's retry action: a failed row goes back to pending and is enqueued after commit."""
    row = db.session.get(OutboxMessage, row_id)
    if row is None or row.status != OutboxStatus.FAILED:
        return None
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = None
    row.claimed_at = None
    db.session.info.setdefault(_PENDING_IDS, []).append((row.queue, row.kind, row.id))
    return row


# -- progress of long tasks ---------------------------------------------------------------------

def job_progress(job_id: str, redis: Redis) -> dict | None:
    """{"status", "done", "total", "percent", …} of a job (its meta["progress"], written by the task),
    or None when RQ no longer knows it."""
    try:
        job = Job.fetch(job_id, connection=redis)
    except NoSuchJobError:
        return None
    progress = dict(job.get_meta(refresh=True).get("progress") or {})
    done, total = progress.get("done", 0), progress.get("total", 0)
    status = job.get_status(refresh=True)
    progress.update(status=getattr(status, "value", status), done=done, total=total,
                    percent=round(100 * done / total) if total else 0)
    return progress


def outbox_task_progress(row_id: int, redis: Redis) -> dict | None:
    """The progress of the job carrying one outbox task row (tasks run one row per job)."""
    return job_progress(job_id_for([row_id]), redis)
