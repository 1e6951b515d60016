"""The same answer time whatever a submission found (issue 16, F17).

A new registration does more work (enterprise, registration, recommendations, routing) than a re-submission
held for the contact on file or one dropped past the day's limit, and its answer would come later: a
timing oracle telling whether a tax code is registered. Answers that created nothing wait until the median
time of this process's last `window` new registrations. The wait happens after the request's transaction
has committed (`after_this_request`), so it holds no lock.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import deque

from flask import after_this_request


class AnswerPace:
    def __init__(self, window: int = 32, default: float = 0.15):
        self._recent: deque[float] = deque(maxlen=window)
        self._default = default
        self._lock = threading.Lock()

    @property
    def window(self) -> int:
        """How many of the last new registrations the target is the median of."""
        return self._recent.maxlen

    def answered(self, *, created: bool, seconds: float) -> None:
        with self._lock:
            if created:
                self._recent.append(seconds)
                return
            target = statistics.median(self._recent) if self._recent else self._default
        if seconds < target:
            time.sleep(target - seconds)

    def after_commit(self, *, created: bool, started: float) -> None:
        """Record (a new registration) or wait (anything else) once this request's transaction is over;
        `started` is the request's `time.perf_counter()` before its work began."""

        @after_this_request
        def _pace(response):
            self.answered(created=created, seconds=time.perf_counter() - started)
            return response
