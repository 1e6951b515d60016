"""The Flask app inside RQ: built once per worker process, each job in a fresh app context."""

from __future__ import annotations

import functools
import logging

from flask import Flask, current_app, has_app_context

log = logging.getLogger("doithoai.worker")
_app: Flask | None = None


def get_app() -> Flask:
    global _app
    if has_app_context():
        return current_app._get_current_object()
    if _app is None:
        from webforms.app import create_app

        _app = create_app()
    return _app


def app_job(func):
    """Run the job inside its own app context, so it gets its own database session, and in one unit of
    work (webforms/unit_of_work.py): what the job left uncommitted is committed when it returns and rolled
    back when it raises. A job that works in several transactions (chunks, claims) commits each itself."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        from webforms.rules_reload import refresh_rules
        from webforms.unit_of_work import unit_of_work

        app = get_app()
        with app.app_context():
            refresh_rules(app)  # rules changed since the last job apply to this one (no restart)
            with unit_of_work():
                return func(*args, **kwargs)

    return wrapper


def run_worker(*, burst: bool = False, with_scheduler: bool = True) -> bool:
    """An RQ worker on every queue. SimpleWorker: no fork per job (RQ's forking worker spends ~21 ms
    of bookkeeping on each job); the outbox, not the worker process,
    is what guarantees a job killed midway is done again."""
    from rq.worker import SimpleWorker

    from webforms.services import services
    from workers.queues import ALL_QUEUES, get_queue

    global _app
    _app = current_app._get_current_object()
    redis = services().redis
    worker = SimpleWorker([get_queue(name, redis) for name in ALL_QUEUES], connection=redis)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")
