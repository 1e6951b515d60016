"""What `doithoai health` checks: the database, Redis, SMTP, the queues, the outbox and failed jobs."""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from webforms.extensions import db
from webforms.models import OutboxMessage, OutboxStatus
from workers.queues import ALL_QUEUES


@dataclass
class Health:
    checks: dict[str, str] = field(default_factory=dict)  # name -> "ok" or the error
    queues: dict[str, int] = field(default_factory=dict)
    failed_jobs: dict[str, int] = field(default_factory=dict)
    oldest_pending_seconds: float | None = None
    failed_outbox_rows: int = 0
    workers: int | None = None
    cron_schedulers: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {"healthy": self.healthy, "checks": self.checks, "queues": self.queues,
                "failed_jobs": self.failed_jobs, "oldest_pending_seconds": self.oldest_pending_seconds,
                "failed_outbox_rows": self.failed_outbox_rows, "workers": self.workers,
                "cron_schedulers": self.cron_schedulers, "problems": self.problems}


def _check_database(report: Health, now: dt.datetime) -> None:
    try:
        db.session.execute(text("SELECT 1"))
        oldest = db.session.scalar(select(func.min(OutboxMessage.created_at)).where(
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))))
        report.failed_outbox_rows = db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.FAILED)) or 0
        db.session.rollback()
    except SQLAlchemyError as exc:
        db.session.rollback()
        report.checks["database"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    report.checks["database"] = "ok"
    if oldest is not None:
        report.oldest_pending_seconds = round((now - oldest).total_seconds(), 1)


def _check_redis(report: Health, redis: Redis) -> None:
    from rq import Queue, Worker
    from rq.cron import CronScheduler
    from rq.registry import FailedJobRegistry

    try:
        redis.ping()
        for name in ALL_QUEUES:
            report.queues[name] = Queue(name, connection=redis).count
            report.failed_jobs[name] = FailedJobRegistry(name, connection=redis).count
        report.workers = Worker.count(connection=redis)
        report.cron_schedulers = len(CronScheduler.all(connection=redis, cleanup=False))
    except (RedisError, OSError) as exc:
        report.checks["redis"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    report.checks["redis"] = "ok"


def _check_smtp(report: Health, settings, timeout: float) -> None:
    try:
        if settings.mail_use_ssl:
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.mail_port, timeout=timeout)
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.mail_port, timeout=timeout)
        try:
            if settings.mail_use_tls and not settings.mail_use_ssl:
                smtp.starttls()
            if settings.mail_username:
                smtp.login(settings.mail_username, settings.mail_password)
            code, _ = smtp.noop()
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except (smtplib.SMTPException, OSError) as exc:
        report.checks["smtp"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return
    report.checks["smtp"] = "ok" if code == 250 else f"NOOP answered {code}"


def check_health(settings, redis: Redis, now: dt.datetime, *, max_pending_seconds: float,
                 max_failed_jobs: int, smtp_timeout: float = 5.0) -> Health:
    """:param max_pending_seconds: an outbox row pending longer than this means work is stuck.
    :param max_failed_jobs: more failed RQ jobs than this (over all queues) is unhealthy."""
    report = Health()
    _check_database(report, now)
    _check_redis(report, redis)
    _check_smtp(report, settings, smtp_timeout)
    report.problems = [f"{name}: {state}" for name, state in report.checks.items() if state != "ok"]
    if report.oldest_pending_seconds is not None and report.oldest_pending_seconds > max_pending_seconds:
        report.problems.append(f"outbox: a row has been pending for {report.oldest_pending_seconds:.0f} s "
                               f"(more than {max_pending_seconds:.0f} s)")
    failed = sum(report.failed_jobs.values())
    if failed > max_failed_jobs:
        report.problems.append(f"jobs: {failed} failed (more than {max_failed_jobs})")
    return report
