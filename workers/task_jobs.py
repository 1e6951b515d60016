"""Outbox rows of kind "task": other side effects (document renders, …), by registered name."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from webforms.domain import outbox
from webforms.extensions import db
from webforms.timeutil import utcnow
from workers.runtime import app_job

log = logging.getLogger("doithoai.tasks")

# name -> callable(args: dict) run inside the app context; it must be idempotent.
TASKS: dict[str, Callable[[dict], object]] = {}
# Modules whose @task functions fill TASKS when first imported.
TASK_MODULES = ("workers.document_jobs",)


def task(name: str):
    def register(func):
        TASKS[name] = func
        return func

    return register


class TransientTaskError(RuntimeError):
    pass


def load_tasks() -> dict[str, Callable[[dict], object]]:
    import importlib

    for module in TASK_MODULES:
        importlib.import_module(module)
    return TASKS


@app_job
def run_outbox_tasks(row_ids: Sequence[int]) -> dict:
    from webforms.services import services

    load_tasks()

    settings = services().settings
    done, skipped, retry = [], [], []
    for row_id in row_ids:
        row = outbox.claim(row_id, utcnow())
        if row is None:
            skipped.append(row_id)
            continue
        name = row.payload.get("task")
        args = row.payload.get("args", {})
        func = TASKS.get(name)
        if func is None:
            outbox.mark_failed(row, f"unknown task {name!r}", utcnow())
            continue
        # End the claim's read: the task starts its own transactions (a render begins read-only, which
        # only works with none open). And end whatever the task left open before marking the row: a
        # write inside its read-only transaction could fail at once on SQLite.
        db.session.commit()
        try:
            func(args)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - recorded on the row, then retried by RQ
            db.session.rollback()
            row = db.session.get(type(row), row_id, populate_existing=True)
            if outbox.mark_for_retry(row, f"{type(exc).__name__}: {exc}", utcnow(), settings.retry_intervals):
                retry.append(row_id)
            log.exception("task row=%s %s failed", row_id, name)
            continue
        row = db.session.get(type(row), row_id, populate_existing=True)
        outbox.mark_done(row, utcnow())
        done.append(row_id)
        log.info("task row=%s %s done", row_id, name)
    if retry:
        raise TransientTaskError(f"will retry rows {retry}")
    return {"done": done, "skipped": skipped}
