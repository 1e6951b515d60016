"""Bearer tokens out of log lines (issue 16, F14).

Tracking links carry `?token=…`, department links and re-submission confirmations carry the token in
the path (`/tra-loi/<token>…`, `/hoi-nghi/xac-nhan/<token>`). Whoever reads an access log must not be able
to open them, so the token is replaced by a fixed mark in every request line we log: gunicorn's access
log (deploy/gunicorn.conf.py uses `ScrubbingLogger`) and Werkzeug's development log.
"""

from __future__ import annotations

import logging
import re

MARK = "[redacted]"
_QUERY = re.compile(r"(?i)((?:^|[?&;])(?:token|t)=)[^&;\s\"]+")
_PATH = re.compile(r"(/(?:tra-loi|hoi-nghi/xac-nhan)/)(?!da-xu-ly\b)[^/?\s\"]+")


def scrub(text: str) -> str:
    if not text:
        return text
    return _PATH.sub(rf"\g<1>{MARK}", _QUERY.sub(rf"\g<1>{MARK}", text))


class ScrubFilter(logging.Filter):
    """For Werkzeug's request log: its arguments hold the request line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in args)
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        return True


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # gunicorn is a production dependency; the app itself does not need it
    _GunicornLogger = None

if _GunicornLogger is not None:

    class ScrubbingLogger(_GunicornLogger):
        """gunicorn's logger with every access log atom scrubbed (request line, path, query, referer, and the
        {…}e / {…}i environ and header atoms a custom format may use)."""

        def atoms(self, resp, req, environ, request_time):
            atoms = super().atoms(resp, req, environ, request_time)
            return {key: scrub(value) if isinstance(value, str) else value for key, value in atoms.items()}
