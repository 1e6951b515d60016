"""The tick job that `rq cron` enqueues every minute."""

from __future__ import annotations

import json
import logging

from webforms.domain.tick import tick
from webforms.services import services
from webforms.timeutil import utcnow
from workers.runtime import app_job

log = logging.getLogger("doithoai.tick")


@app_job
def run_tick() -> list[dict]:
    svc = services()
    actions = tick(utcnow(), svc.rules, svc.calendar)
    for action in actions:
        log.info("tick %s", json.dumps(action, ensure_ascii=False, default=str))
    return actions
