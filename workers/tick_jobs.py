"""The tick job that `rq cron` enqueues every minute."""

from __future__ import annotations

from webforms.domain.tick import tick
from webforms.services import services
from webforms.timeutil import utcnow
from workers.runtime import app_job


@app_job
def run_tick() -> list[dict]:
    """tick(now) logs one `tick conference=… milestone=… action=…` line per action itself."""
    svc = services()
    return tick(utcnow(), svc.rules, svc.calendar, svc.settings, svc.redis)
