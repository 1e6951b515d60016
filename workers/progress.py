"""Progress of long jobs (a batch of invitations): written to the job's meta, read by the back office."""

from __future__ import annotations

from redis import Redis
from rq import get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from webforms.domain import outbox


def report_progress(done: int, total: int, **extra) -> None:
    """Record done/total on the running job; a no-op outside a job (a CLI run, a test calling the task)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = {"done": done, "total": total, **extra}
    job.save_meta()


def job_progress(job_id: str, redis: Redis) -> dict | None:
    """{"status", "done", "total", "percent", …} of a job, or None when RQ no longer knows it."""
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
    return job_progress(outbox.job_id_for([row_id]), redis)
