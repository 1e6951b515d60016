"""The cron table for `rq cron workers.cron`. Cron only enqueues; run exactly one cron process
(tick is idempotent through the database, so a second one does no harm)."""

from rq import cron

from config.startup import refuse_unless_ready
from workers.queues import DEFAULT
from workers.tick_jobs import run_tick

refuse_unless_ready()  # before the first tick: a bad rules file stops cron with the reason

# Every minute: milestones, reminders, escalations and the outbox sweep all live in tick(now).
cron.register(run_tick, queue_name=DEFAULT, cron="* * * * *", job_timeout=300, result_ttl=3600)
