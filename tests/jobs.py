"""Run RQ jobs inside a test: a real SimpleWorker against the real Redis, in burst mode."""

from __future__ import annotations

from rq import Queue
from rq.registry import FailedJobRegistry
from rq.worker import SimpleWorker

from workers.queues import ALL_QUEUES


def run_jobs(app, queues=ALL_QUEUES) -> None:
    """Drain the queues (retries with a zero interval included) in this process."""
    with app.app_context():
        redis = app.extensions["doithoai"].redis
        worker = SimpleWorker([Queue(name, connection=redis) for name in queues], connection=redis)
        worker.work(burst=True, with_scheduler=False, logging_level="WARNING")


def failed_job_ids(app, queue: str) -> list[str]:
    with app.app_context():
        redis = app.extensions["doithoai"].redis
        return FailedJobRegistry(queue, connection=redis).get_job_ids()
