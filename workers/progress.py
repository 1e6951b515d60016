"""Progress of long jobs (a batch of invitations): written to the job's meta, read by the back office."""

from __future__ import annotations

from rq import get_current_job

from webforms.domain import outbox


def report_progress(done: int, total: int, **extra) -> None:
    """Record done/total on the running job; a no-op outside a job (a CLI run, a test calling the task)."""
    job = get_current_job()
    if job is None:
        return
    job.meta["progress"] = {"done": done, "total": total, **extra}
    job.save_meta()


# Reading progress is the back office's business too, so it lives with the outbox in the domain.
job_progress = outbox.job_progress
outbox_task_progress = outbox.outbox_task_progress
